//! Every compile runs on a stack of its own, sized from the source.
//!
//! swc's parser, its resolver and our visitors recurse once per level of nesting. Node's own
//! parser runs on the main thread's 8 MB stack, or a worker's 4 MB one, and accepts nestings
//! (`((((…))))`, `!!!!…`, long `a + a + …` chains, functions in functions) far deeper than those
//! stacks allow our passes: the addon used to die with SIGSEGV on a file Node runs. A program
//! cannot be nested deeper than it has bytes, so a stack of `PER_BYTE` bytes a source byte (plus
//! `BASE`) is enough for any file: the compile switches to such a stack and back (psm).
//!
//! The stack is only address space: mapped with `MAP_NORESERVE`, so pages cost memory only when a
//! deep file touches them. Each thread keeps its largest stack for the next compile and gives
//! back, after each one, the pages below the first `BASE` bytes that a deep file touched.

use crate::diagnostics::CompileError;
use std::cell::RefCell;

/// Stack bytes reserved for each source byte. The costliest byte measured is an unclosed `(`: the
/// parser's chain from an expression down to a parenthesised one takes about 3.3 KB of stack in a
/// release build and 9 KB in a debug one; the rest is margin. Only address space: pages never
/// touched cost nothing.
#[cfg(not(debug_assertions))]
pub const PER_BYTE: usize = 8 << 10;
#[cfg(debug_assertions)]
pub const PER_BYTE: usize = 24 << 10;
/// Stack for the passes' fixed depth, and the part kept touched between compiles.
pub const BASE: usize = 16 << 20;
/// The largest source compiled: its stack is 128 GB of address space (of a process's 128 TB).
/// Larger files load unmodified.
pub const MAX_SOURCE: usize = 16 << 20;

const GUARD: usize = 64 << 10;

struct Stack {
    base: *mut u8,
    len: usize,
}

impl Stack {
    fn map(len: usize) -> Option<Stack> {
        // SAFETY: a fresh anonymous mapping; nothing else refers to it.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            );
            if p == libc::MAP_FAILED {
                return None;
            }
            // A guard at the low end: running off the stack faults instead of writing elsewhere.
            if libc::mprotect(p, GUARD, libc::PROT_NONE) != 0 {
                libc::munmap(p, len);
                return None;
            }
            Some(Stack {
                base: p as *mut u8,
                len,
            })
        }
    }

    /// Gives back the pages a deep compile touched below the top `BASE` bytes.
    fn release_deep(&self) {
        let keep = BASE.min(self.len - GUARD);
        let deep = self.len - GUARD - keep;
        if deep > 0 {
            // SAFETY: the range lies inside our mapping, and no frame lives there between compiles.
            unsafe {
                libc::madvise(
                    self.base.add(GUARD) as *mut libc::c_void,
                    deep,
                    libc::MADV_DONTNEED,
                );
            }
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: our own mapping, no longer in use.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}

thread_local! {
    static STACK: RefCell<Option<Stack>> = const { RefCell::new(None) };
    static ON_OWN_STACK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The stack a source of `bytes` bytes is compiled on.
pub fn size_for(bytes: usize) -> usize {
    let page = 4096;
    (BASE + GUARD + bytes.saturating_mul(PER_BYTE)).div_ceil(page) * page
}

/// Runs `f` (a compile of `file`, `bytes` long) on a stack deep enough for any nesting it holds.
pub fn run<R>(
    file: &str,
    bytes: usize,
    f: impl FnOnce() -> Result<R, CompileError>,
) -> Result<R, CompileError> {
    // A compile inside a compile (`transform` analyses twice) is already on a stack sized for it.
    if ON_OWN_STACK.with(|c| c.get()) {
        return f();
    }
    if bytes > MAX_SOURCE {
        return Err(CompileError::TooLarge {
            file: file.to_string(),
            bytes,
            limit: MAX_SOURCE,
        });
    }
    let len = size_for(bytes);
    let stack = STACK.with(|s| {
        let mut s = s.borrow_mut();
        if s.as_ref().is_none_or(|st| st.len < len) {
            *s = None; // unmap the smaller one first
            *s = Stack::map(len);
        }
        s.as_ref().map(|st| (st.base, st.len))
    });
    let Some((base, len)) = stack else {
        return Err(CompileError::NoStack {
            file: file.to_string(),
            bytes: len,
        });
    };
    ON_OWN_STACK.with(|c| c.set(true));
    // A panic must not unwind across the stack switch: caught on the new stack, raised again here.
    // SAFETY: `base..base+len` is our mapping, aligned to pages, with a guard at its low end; it
    // is used by one call at a time (`ON_OWN_STACK`), and stays mapped until this call returns.
    let out = unsafe {
        psm::on_stack(base, len, || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        })
    };
    ON_OWN_STACK.with(|c| c.set(false));
    STACK.with(|s| {
        if let Some(st) = s.borrow().as_ref() {
            st.release_deep();
        }
    });
    match out {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
