//! The addon's allocator and its setting (src/lib.rs), for the examples that measure the compile:
//! their numbers are those of the compile the addon runs.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v2's `mimalloc.h` (the crate exports no constant).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed pages kept for 1 s, as the addon sets it when loaded (src/lib.rs `tune_allocator`).
pub fn tune() {
    // SAFETY: options are plain integers mimalloc reads when it purges; any thread may set them.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 1000) }
}
