//! The allocator of every Rust allocation in the addon and in the compiler's measuring examples
//! (which link this crate so they measure the compile the addon runs): jemalloc, with its
//! defaults.
//!
//! Why jemalloc (README, "Dependencies"): the compiler allocates and frees swc's syntax tree
//! node by node, module after module. With mimalloc v2, which this crate held before, a long run
//! of compiles got slower as its pages filled with the scattered holes earlier trees left: the
//! whole `node_modules` (6,170 files) compiled at 19–21 MB/s, at 22–24 MB/s with jemalloc in the
//! same minutes, with the same peak RSS. A fresh process compiling one 9 MB file is 5–8% slower
//! with jemalloc (more first touches of fresh pages).
//!
//! jemalloc asks for no transparent huge pages unless configured to (`thp:default`): no
//! `MADV_HUGEPAGE` on the compiler's memory, which made cold compiles erratic with mimalloc
//! (a test below checks it).

#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts. `background_thread:true`: a thread of jemalloc's
/// gives freed pages back to the system once they have decayed (10 s), where jemalloc otherwise
/// does it only when something allocates. The require hook compiles at start-up and then
/// nothing may allocate for hours: three compiles of typescript.js left a process at 228 MB
/// RSS for as long as it stayed idle, and at 130 MB 12 s later with the thread (README).
/// jemalloc runs its threads on Linux only.
#[cfg(all(not(target_env = "msvc"), target_os = "linux"))]
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: Option<&'static std::ffi::c_char> = {
    // `c"..."` as the `const char *` jemalloc reads.
    const CONF: &std::ffi::CStr = c"background_thread:true";
    // SAFETY: a `CStr`'s first byte is a C string's first character, alive for 'static.
    Some(unsafe { &*CONF.as_ptr() })
};

/// The allocator Rust allocations go to, for reports (`jemalloc`, or `system` where jemalloc
/// does not build). Referring to it also keeps this crate, and so its global allocator, linked
/// into a binary that uses nothing else of it.
pub fn name() -> &'static str {
    if cfg!(target_env = "msvc") {
        "system"
    } else {
        "jemalloc"
    }
}

#[cfg(test)]
mod tests {
    /// A `Box` comes from jemalloc: jemalloc knows its block, and the block has the size class
    /// jemalloc rounds the request to (`nallocx`). A block from another allocator is unknown to
    /// jemalloc.
    #[test]
    #[cfg(not(target_env = "msvc"))]
    fn rust_allocations_are_jemallocs() {
        assert_eq!(super::name(), "jemalloc");
        let block = Box::new([7u8; 100]);
        let usable = unsafe { tikv_jemallocator::usable_size(block.as_ptr()) };
        // SAFETY: `nallocx` only computes a size class.
        let class = unsafe { tikv_jemalloc_sys::nallocx(100, 0) };
        assert_eq!(usable, class);
        assert!((100..128).contains(&usable), "{usable}");
        assert_eq!(block[99], 7);
    }

    /// The settings above are the ones jemalloc started with: its background thread runs.
    #[test]
    #[cfg(target_os = "linux")]
    fn jemalloc_frees_pages_on_its_own_thread() {
        let read = |name: &std::ffi::CStr| {
            let mut on = false;
            let mut len = std::mem::size_of::<bool>();
            // SAFETY: both names are jemalloc `bool` controls; `on` and `len` describe a bool.
            let rc = unsafe {
                tikv_jemalloc_sys::mallctl(
                    name.as_ptr(),
                    &mut on as *mut bool as *mut std::ffi::c_void,
                    &mut len,
                    std::ptr::null_mut(),
                    0,
                )
            };
            assert_eq!(rc, 0, "mallctl {name:?}");
            on
        };
        drop(vec![0u8; 1 << 20]);
        assert!(read(c"opt.background_thread"));
        assert!(read(c"background_thread"));
    }

    /// No memory the allocator maps is advised for huge pages: a large block's mapping has no
    /// `hg` among its flags (`MADV_HUGEPAGE`).
    #[test]
    #[cfg(target_os = "linux")]
    fn no_memory_is_advised_for_huge_pages() {
        let block = vec![1u8; 8 << 20];
        let at = block.as_ptr() as usize;
        let smaps = std::fs::read_to_string("/proc/self/smaps").expect("read /proc/self/smaps");
        let mut inside = false;
        let mut flags = None;
        for line in smaps.lines() {
            let range = line
                .split_whitespace()
                .next()
                .and_then(|r| r.split_once('-'));
            if let Some((lo, hi)) = range.filter(|_| !line.starts_with("VmFlags")) {
                if let (Ok(lo), Ok(hi)) =
                    (usize::from_str_radix(lo, 16), usize::from_str_radix(hi, 16))
                {
                    inside = lo <= at && at < hi;
                    continue;
                }
            }
            if inside && line.starts_with("VmFlags:") {
                flags = Some(line.to_string());
            }
        }
        let flags = flags.expect("the block's mapping is in /proc/self/smaps");
        assert!(!flags.split_whitespace().any(|f| f == "hg"), "{flags}");
        assert!(block[(8 << 20) - 1] == 1);
    }
}
