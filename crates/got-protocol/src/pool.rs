//! A small process-wide pool of large frame buffers.
//!
//! A 1 MB frame needs a 1 MB buffer to be encoded into and another to be read into. Fresh
//! memory of that size is mapped by the allocator and faulted in page by page (256 page faults
//! per megabyte), which cost more than encoding the frame; connections are often short-lived
//! (a new client, a new server thread), so the buffers are recycled process-wide rather than
//! per connection. At most [`MAX_POOLED`] buffers of at most [`MAX_BYTES`] each are kept.

use std::sync::Mutex;

/// Buffers smaller than this are not worth pooling (the allocator serves them from its free
/// lists).
pub(crate) const MIN_BYTES: usize = 64 * 1024;
/// Larger buffers are freed rather than kept.
pub(crate) const MAX_BYTES: usize = 4 * 1024 * 1024;
/// Buffers kept at most (one being encoded and one being read by each side of a local
/// exchange).
pub(crate) const MAX_POOLED: usize = 4;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `capacity` bytes (a recycled one when the size
/// makes it worth it).
pub(crate) fn take(capacity: usize) -> Vec<u8> {
    if capacity >= MIN_BYTES {
        let pooled = POOL.lock().ok().and_then(|mut p| p.pop());
        if let Some(mut buf) = pooled {
            buf.clear();
            buf.reserve(capacity);
            return buf;
        }
    }
    Vec::with_capacity(capacity)
}

/// Gives a buffer back (kept if the pool has room and its size is in the pooled range).
pub(crate) fn give(buf: Vec<u8>) {
    if (MIN_BYTES..=MAX_BYTES).contains(&buf.capacity()) {
        if let Ok(mut p) = POOL.lock() {
            if p.len() < MAX_POOLED {
                p.push(buf);
            }
        }
    }
}
