//! The allocator of every Rust allocation in the addon, and its two settings. They are set by a
//! constructor before anything allocates; the addon's module init and the compiler's measuring
//! examples call [`tune`] too, so the examples measure the compile the addon runs.
//!
//! The options are set by their index in mimalloc v2's `mimalloc.h` (`libmimalloc-sys` exports
//! no constants for them): a mimalloc upgrade must check both, and
//! `the_indices_name_the_options_meant` does.

use libmimalloc_sys::{mi_option_set, mi_option_t};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay`.
const PURGE_DELAY: mi_option_t = 15;
/// `mi_option_allow_thp`.
const ALLOW_THP: mi_option_t = 37;

/// Sets the allocator up for compiling. Runs by itself before anything allocates (below);
/// calling it again is harmless, and calling it keeps that early run linked in.
///
/// - Freed pages are kept for 1 s (v2 gives them back after 10 ms): each compile frees a
///   module's syntax tree and the next one faulted the same pages back in.
/// - No transparent huge pages for the memory mimalloc maps. It asks for them on its 1 GiB
///   arena (THP `enabled=madvise`, Debian's and Ubuntu's default, then backs it with 2 MiB
///   pages): a cold compile of typescript.js (9 MB) took 0.43 s or 0.86–0.89 s from one
///   process to the next with them, 0.58 s every time without (the first touch of each 2 MiB
///   page is the cost; the kernel recorded no compaction stall). A long run of compiles can be
///   a few percent faster with them; start-up, where the require hook compiles, is what counts.
pub fn tune() {
    #[cfg(target_os = "linux")]
    std::hint::black_box(&EARLY);
    set_options();
}

fn set_options() {
    // SAFETY: options are plain integers mimalloc reads when it maps or purges memory; any
    // thread may set them at any time.
    unsafe {
        mi_option_set(PURGE_DELAY, 1000);
        mi_option_set(ALLOW_THP, 0);
    }
}

/// The arena is mapped (and `madvise`d) at the first allocation, which comes before `main` and
/// before the addon's module init: the options must be set by a constructor that runs ahead of
/// the others (a prioritised `.init_array` entry). mimalloc is started first on purpose:
/// `allow_thp` off at its start makes it turn THP off for the whole process with `prctl`,
/// V8's heap included (that is what `MIMALLOC_ALLOW_THP=0` does); set after its start, the
/// option only stops mimalloc's own `madvise`.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array.00200"]
static EARLY: extern "C" fn() = {
    extern "C" fn early() {
        // SAFETY: starting mimalloc twice is a no-op; it allocates nothing from the arena.
        unsafe { libmimalloc_sys::mi_process_init() };
        set_options();
    }
    early
};

/// mimalloc's options by name with their values (`purge_delay` → 1000), as its own
/// `mi_options_print` reports them: what a check of [`tune`] reads, since the options are set
/// by index.
pub fn options() -> Vec<(String, i64)> {
    use std::ffi::{c_char, c_void, CStr};
    extern "C" {
        // Exported by mimalloc (`mimalloc.h`); `libmimalloc-sys` does not declare it.
        fn mi_options_print();
    }
    unsafe extern "C" fn collect(msg: *const c_char, arg: *mut c_void) {
        // SAFETY: `arg` is the `String` below, alive for the call that prints; `msg` is a C
        // string mimalloc formatted.
        unsafe { (*(arg as *mut String)).push_str(&CStr::from_ptr(msg).to_string_lossy()) }
    }
    let mut text = String::new();
    // SAFETY: the output is registered for the one call and unregistered before `text` moves.
    // mimalloc's output is process-wide: a message another thread prints meanwhile lands in
    // `text` too, and is not an option line.
    unsafe {
        libmimalloc_sys::mi_register_output(Some(collect), &mut text as *mut String as *mut c_void);
        mi_options_print();
        libmimalloc_sys::mi_register_output(None, std::ptr::null_mut());
    }
    text.lines()
        .filter_map(|l| {
            let rest = l.split("option '").nth(1)?;
            let (name, value) = rest.split_once("': ")?;
            let value = value.split_whitespace().next()?.parse().ok()?;
            Some((name.to_string(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The options are set by index: read back by name, they are the ones meant.
    #[test]
    fn the_indices_name_the_options_meant() {
        tune();
        let options = options();
        let get = |name: &str| options.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
        assert_eq!(get("purge_delay"), Some(1000), "{options:?}");
        assert_eq!(get("allow_thp"), Some(0), "{options:?}");
    }

    /// The early constructor ran before the first allocation: the memory a large allocation
    /// lands in was mapped without `MADV_HUGEPAGE` (no `hg` among its mapping's flags).
    #[test]
    #[cfg(target_os = "linux")]
    fn the_arena_is_not_advised_for_huge_pages() {
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
