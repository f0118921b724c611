//! Time spent per compiler pass, for finding what is slow on a real file
//! (`cargo run --release --example tree -- <dir> --timings`). Off unless enabled: a disabled
//! pass costs one atomic load. Timings are kept per thread, so parallel compiles do not mix.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);

thread_local! {
    static PASSES: RefCell<Vec<(&'static str, Duration)>> = const { RefCell::new(Vec::new()) };
}

/// Turns recording on or off for every thread.
pub fn enable(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Runs `f`, adding its time to pass `name` (a pass run twice, as with tails, adds up).
pub fn time<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let d = start.elapsed();
    PASSES.with(|p| {
        let mut p = p.borrow_mut();
        match p.iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 += d,
            None => p.push((name, d)),
        }
    });
    out
}

/// This thread's pass times since the last call, in the order the passes first ran.
pub fn take() -> Vec<(&'static str, Duration)> {
    PASSES.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// CPU time this thread has run for (Linux: `CLOCK_THREAD_CPUTIME_ID`): unlike wall time, it does
/// not count waiting for a core on a shared machine. `None` elsewhere.
#[cfg(target_os = "linux")]
pub fn thread_cpu() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, tp: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut t = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `t` is a valid timespec (64-bit time_t and long on Linux x86_64 and aarch64).
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut t) };
    (rc == 0).then(|| Duration::new(t.sec as u64, t.nsec as u32))
}

/// CPU time this thread has run for: only on Linux.
#[cfg(not(target_os = "linux"))]
pub fn thread_cpu() -> Option<Duration> {
    None
}
