//! The messaging core of one Node process: a registry of bounded inboxes keyed by a `u32` thread
//! id (the JS `threadId`; the main thread is 0).
//!
//! A `.node` addon is loaded once per process, so every worker thread sees the same Rust statics:
//! [`Bus::global`] is that one shared registry. The bus moves opaque byte strings (the JS side
//! serialises with `v8.serialize`); it knows nothing of JS.
//!
//! Two properties shape the code:
//! - **Wake-up batching.** Waking a JS thread costs a `uv_async_send` plus a turn of its event loop.
//!   The waker is therefore called only on the transition "nobody has been told" → "told", and the
//!   flag is cleared only when a drain leaves the inbox empty: a burst of N sends costs one wake.
//! - **Backpressure, never loss.** Inboxes are bounded (messages and bytes). A send to a full inbox
//!   returns [`SendResult::Full`] and keeps nothing; [`Bus::send_blocking`] waits for room. Closing
//!   an inbox hands its pending messages back to the caller.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, RwLock};

/// Called (from the sending thread) when an inbox goes from "nothing to report" to "has
/// messages". It must not block: in Node it schedules a call on the receiving thread's loop.
pub type Waker = Box<dyn Fn() + Send + Sync>;

/// Shared so that a sender can call it after releasing the inbox lock, even if the inbox is being
/// closed concurrently.
type SharedWaker = Arc<dyn Fn() + Send + Sync>;

/// Outcome of a send. Not an error type: `Full` is normal flow control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendResult {
    Delivered,
    /// The inbox is at capacity; the message was not taken (the caller still owns it).
    Full,
    /// No inbox is open under that id (never opened, or closed).
    NoSuchInbox,
    /// Longer than a frame can describe (`u32::MAX` bytes); never accepted.
    TooLarge,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    #[error("an inbox is already open for thread {0}")]
    AlreadyOpen(u32),
    #[error("no inbox is open for thread {0}")]
    NoSuchInbox(u32),
}

/// Limits of one inbox. A send is refused when either would be exceeded, except that an empty
/// inbox always accepts one message: otherwise a single message larger than `max_bytes` could
/// never be delivered and a blocking sender would wait forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub max_messages: usize,
    pub max_bytes: usize,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            max_messages: 65_536,
            max_bytes: 64 << 20,
        }
    }
}

/// Result of [`Bus::drain_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainInto {
    /// `count` messages, `written` bytes of frames at the start of the buffer (0, 0 if empty).
    Taken { count: usize, written: usize },
    /// The oldest message needs a buffer of this many bytes (frame header included).
    NeedsRoom(usize),
}

/// A snapshot of one inbox's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxStats {
    pub id: u32,
    /// Messages waiting now.
    pub length: usize,
    /// Bytes waiting now.
    pub bytes: usize,
    /// Messages accepted into this inbox since it was opened.
    pub sent: u64,
    /// Messages taken out by `drain` since it was opened.
    pub received: u64,
    /// Largest `length` ever observed.
    pub high_water: usize,
    /// Sends refused because the inbox was full (each retry counts).
    pub full: u64,
    /// Times the waker was called.
    pub wakes: u64,
}

/// Pending messages stored back to back as `[u32 LE length][bytes]` frames in one ring buffer.
///
/// One `Vec<u8>` per message would cost a `malloc` on the sending thread and a `free` on the
/// receiving one for every message; glibc serialises those on its arena lock and the two threads
/// then contend on every message. Frames in a ring cost no allocation in the steady state, and a
/// batch leaves in the same packed layout that the N-API side hands to JS as one Buffer.
#[derive(Default)]
struct Frames {
    data: VecDeque<u8>,
    /// Payload length of each frame, oldest first (saves re-reading headers from the ring).
    lens: VecDeque<u32>,
}

impl Frames {
    fn len(&self) -> usize {
        self.lens.len()
    }

    fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    fn push(&mut self, payload: &[u8]) {
        let n = payload.len() as u32;
        self.data.extend(&n.to_le_bytes());
        self.data.extend(payload);
        self.lens.push_back(n);
    }

    /// Copies the first `span` bytes of the ring into `out` and removes them.
    fn take_bytes(&mut self, span: usize, out: &mut Vec<u8>) {
        let (a, b) = self.data.as_slices();
        let from_a = span.min(a.len());
        out.extend_from_slice(&a[..from_a]);
        out.extend_from_slice(&b[..span - from_a]);
        self.data.drain(..span);
    }

    /// Removes up to `n` frames, stopping before `max_bytes` of packed output (but taking at
    /// least one); returns them packed, how many, and their payload bytes.
    fn take_packed(&mut self, n: usize, max_bytes: usize) -> (Vec<u8>, usize, usize) {
        let (count, payload) = match self.fitting(n, max_bytes) {
            // The oldest message alone is larger than the cap: it still has to go.
            (0, _) if n > 0 => (1, self.first_len()),
            fit => fit,
        };
        self.lens.drain(..count);
        let span = payload + 4 * count;
        let mut out = Vec::with_capacity(span);
        self.take_bytes(span, &mut out);
        self.release_if_idle();
        (out, count, payload)
    }

    fn first_len(&self) -> usize {
        self.lens.front().map_or(0, |&l| l as usize)
    }

    /// How many of the first `n` frames fit in `max_bytes` packed, and their payload bytes.
    fn fitting(&self, n: usize, max_bytes: usize) -> (usize, usize) {
        let (mut count, mut payload) = (0, 0);
        for &len in self.lens.iter().take(n) {
            if payload + len as usize + 4 * (count + 1) > max_bytes {
                break;
            }
            payload += len as usize;
            count += 1;
        }
        (count, payload)
    }

    /// Moves as many of the first `n` frames as fit into `out`, packed; returns how many, the
    /// bytes written and their payload bytes.
    fn take_into(&mut self, n: usize, out: &mut [u8]) -> (usize, usize, usize) {
        let (count, payload) = self.fitting(n, out.len());
        self.lens.drain(..count);
        let span = payload + 4 * count;
        let (a, b) = self.data.as_slices();
        let from_a = span.min(a.len());
        out[..from_a].copy_from_slice(&a[..from_a]);
        out[from_a..span].copy_from_slice(&b[..span - from_a]);
        self.data.drain(..span);
        self.release_if_idle();
        (count, span, payload)
    }

    /// Removes the first `n` frames, one `Vec` each.
    fn take_vecs(&mut self, n: usize) -> Vec<Vec<u8>> {
        let lens: Vec<u32> = self.lens.drain(..n).collect();
        let mut out = Vec::with_capacity(n);
        for len in lens {
            self.data.drain(..4);
            let mut m = Vec::with_capacity(len as usize);
            self.take_bytes(len as usize, &mut m);
            out.push(m);
        }
        self.release_if_idle();
        out
    }

    /// A burst can grow the ring a lot; give the memory back once it is drained, so that an
    /// idle inbox does not keep its peak size forever.
    fn release_if_idle(&mut self) {
        if self.data.is_empty() && self.data.capacity() > 8 << 20 {
            self.data.shrink_to(1 << 20);
            self.lens.shrink_to(1 << 12);
        }
    }
}

struct Queue {
    messages: Frames,
    /// Payload bytes waiting (frame headers not counted).
    bytes: usize,
    high_water: usize,
    closed: bool,
    /// Taken out on close, so that the waker (in Node: a threadsafe function that keeps a
    /// reference to the JS callback) is released as soon as the inbox is closed.
    waker: Option<SharedWaker>,
}

struct Inbox {
    id: u32,
    capacity: Capacity,
    queue: Mutex<Queue>,
    /// Signalled when a drain makes room or the inbox closes; blocking senders wait on it.
    room: Condvar,
    /// True from the wake-up that announced pending messages until a drain empties the inbox.
    /// Only written under `queue`'s lock, so it never disagrees with the queue; an atomic so that
    /// stats and `is_notified` can read it without the lock.
    notified: AtomicBool,
    sent: AtomicU64,
    received: AtomicU64,
    full: AtomicU64,
    wakes: AtomicU64,
}

impl Inbox {
    fn fits(&self, q: &Queue, len: usize) -> bool {
        q.messages.is_empty()
            || (q.messages.len() < self.capacity.max_messages
                && q.bytes + len <= self.capacity.max_bytes)
    }

    /// Copies `bytes` in if there is room. `Ok` carries the waker to call once the lock is
    /// released, if this push is the one that must announce the inbox.
    fn push(&self, q: &mut Queue, bytes: &[u8]) -> Result<Option<SharedWaker>, SendResult> {
        if bytes.len() > u32::MAX as usize {
            return Err(SendResult::TooLarge);
        }
        if !self.fits(q, bytes.len()) {
            self.full.fetch_add(1, Ordering::Relaxed);
            return Err(SendResult::Full);
        }
        q.bytes += bytes.len();
        q.messages.push(bytes);
        q.high_water = q.high_water.max(q.messages.len());
        self.sent.fetch_add(1, Ordering::Relaxed);
        if self.notified.swap(true, Ordering::AcqRel) {
            Ok(None)
        } else {
            self.wakes.fetch_add(1, Ordering::Relaxed);
            Ok(q.waker.clone())
        }
    }
}

/// A registry of inboxes. Tests make their own; Node uses [`Bus::global`].
#[derive(Default)]
pub struct Bus {
    inboxes: RwLock<HashMap<u32, Arc<Inbox>>>,
}

impl Bus {
    pub fn new() -> Self {
        Self::default()
    }

    /// The registry shared by every thread of the process.
    pub fn global() -> &'static Bus {
        static GLOBAL: OnceLock<Bus> = OnceLock::new();
        GLOBAL.get_or_init(Bus::new)
    }

    fn inbox(&self, id: u32) -> Option<Arc<Inbox>> {
        self.inboxes.read().get(&id).cloned()
    }

    /// Opens the inbox of thread `id` with the default capacity.
    pub fn open(&self, id: u32, waker: Waker) -> Result<(), BusError> {
        self.open_with(id, Capacity::default(), waker)
    }

    pub fn open_with(&self, id: u32, capacity: Capacity, waker: Waker) -> Result<(), BusError> {
        let mut map = self.inboxes.write();
        if map.contains_key(&id) {
            return Err(BusError::AlreadyOpen(id));
        }
        let capacity = Capacity {
            max_messages: capacity.max_messages.max(1),
            max_bytes: capacity.max_bytes.max(1),
        };
        map.insert(
            id,
            Arc::new(Inbox {
                id,
                capacity,
                queue: Mutex::new(Queue {
                    messages: Frames::default(),
                    bytes: 0,
                    high_water: 0,
                    closed: false,
                    waker: Some(Arc::from(waker)),
                }),
                room: Condvar::new(),
                notified: AtomicBool::new(false),
                sent: AtomicU64::new(0),
                received: AtomicU64::new(0),
                full: AtomicU64::new(0),
                wakes: AtomicU64::new(0),
            }),
        );
        Ok(())
    }

    /// Sends without waiting. A refused message is not queued anywhere; the caller keeps its own
    /// copy (the N-API layer copies out of a JS buffer) or uses [`Bus::try_send`] to get it back.
    pub fn send(&self, to: u32, bytes: Vec<u8>) -> SendResult {
        self.send_slice(to, &bytes)
    }

    /// Like [`Bus::send`], but a refused message comes back to the caller with the reason.
    pub fn try_send(&self, to: u32, bytes: Vec<u8>) -> Result<(), (SendResult, Vec<u8>)> {
        match self.send_slice(to, &bytes) {
            SendResult::Delivered => Ok(()),
            r => Err((r, bytes)),
        }
    }

    /// Copies `bytes` into the inbox of `to` (the inbox keeps no reference to the slice).
    pub fn send_slice(&self, to: u32, bytes: &[u8]) -> SendResult {
        let Some(inbox) = self.inbox(to) else {
            return SendResult::NoSuchInbox;
        };
        let wake = {
            let mut q = inbox.queue.lock();
            if q.closed {
                return SendResult::NoSuchInbox;
            }
            match inbox.push(&mut q, bytes) {
                Ok(w) => w,
                Err(r) => return r,
            }
        };
        // Called outside the lock: a waker may take time (it enters libuv) and must never be able
        // to deadlock against a drain on the receiving thread.
        if let Some(w) = wake {
            w();
        }
        SendResult::Delivered
    }

    /// Sends, waiting up to `timeout` for room. Returns `Full` if the time ran out, and
    /// `NoSuchInbox` if the inbox is (or becomes, while waiting) closed.
    pub fn send_blocking(&self, to: u32, bytes: &[u8], timeout: Duration) -> SendResult {
        let Some(inbox) = self.inbox(to) else {
            return SendResult::NoSuchInbox;
        };
        let deadline = Instant::now().checked_add(timeout);
        let wake = {
            let mut q = inbox.queue.lock();
            loop {
                if q.closed {
                    return SendResult::NoSuchInbox;
                }
                match inbox.push(&mut q, bytes) {
                    Ok(w) => break w,
                    Err(SendResult::Full) => {}
                    Err(r) => return r,
                }
                let timed_out = match deadline {
                    Some(d) => inbox.room.wait_until(&mut q, d).timed_out(),
                    // A timeout too large to represent means "forever".
                    None => {
                        inbox.room.wait(&mut q);
                        false
                    }
                };
                if timed_out && !q.closed && !inbox.fits(&q, bytes.len()) {
                    return SendResult::Full;
                }
            }
        };
        if let Some(w) = wake {
            w();
        }
        SendResult::Delivered
    }

    /// Takes up to `max` messages, oldest first. Clears the "notified" flag when it leaves the
    /// inbox empty, so that the next send wakes the receiver again; a partial drain leaves the flag
    /// set, because the receiver is expected to keep draining until it gets fewer than `max`.
    pub fn drain(&self, id: u32, max: usize) -> Result<Vec<Vec<u8>>, BusError> {
        self.take(id, max, |f, n| {
            let before = f.data.len();
            let v = f.take_vecs(n);
            (v, n, before - f.data.len() - 4 * n)
        })
    }

    /// Like [`Bus::drain`], but returns the messages packed back to back as
    /// `[u32 little-endian length][bytes]` frames (empty when nothing is pending): one
    /// allocation per batch instead of one per message. The batch also stops before `max_bytes`
    /// (but holds at least one message): a few hundred KB per batch stays in malloc's arenas,
    /// where a batch of many MB would be an mmap and a page fault per 4 KB each time.
    pub fn drain_packed(
        &self,
        id: u32,
        max: usize,
        max_bytes: usize,
    ) -> Result<(usize, Vec<u8>), BusError> {
        self.take(id, max, |f, n| {
            let (packed, count, payload) = f.take_packed(n, max_bytes);
            ((count, packed), count, payload)
        })
    }

    /// Like [`Bus::drain_packed`], but copies the frames into the caller's buffer, so that a
    /// receiver can reuse one buffer for every batch and allocate nothing. Takes as many of the
    /// first `max` messages as fit. If even the first message does not fit, nothing is taken and
    /// the result says how large `out` must be.
    pub fn drain_into(&self, id: u32, max: usize, out: &mut [u8]) -> Result<DrainInto, BusError> {
        self.take(id, max, |f, n| {
            let first = f.first_len() + 4;
            if n > 0 && first > out.len() {
                return (DrainInto::NeedsRoom(first), 0, 0);
            }
            let (count, written, payload) = f.take_into(n, out);
            (DrainInto::Taken { count, written }, count, payload)
        })
    }

    fn take<T>(
        &self,
        id: u32,
        max: usize,
        take: impl FnOnce(&mut Frames, usize) -> (T, usize, usize),
    ) -> Result<T, BusError> {
        let inbox = self.inbox(id).ok_or(BusError::NoSuchInbox(id))?;
        let (out, n) = {
            let mut q = inbox.queue.lock();
            let n = max.min(q.messages.len());
            let (out, n, payload) = take(&mut q.messages, n);
            q.bytes -= payload;
            if q.messages.is_empty() {
                inbox.notified.store(false, Ordering::Release);
            }
            (out, n)
        };
        if n > 0 {
            inbox.received.fetch_add(n as u64, Ordering::Relaxed);
            inbox.room.notify_all();
        }
        Ok(out)
    }

    /// Closes the inbox and returns the messages nobody drained. Senders blocked on it return
    /// `NoSuchInbox`; later sends return `NoSuchInbox`; the waker is dropped.
    pub fn close(&self, id: u32) -> Result<Vec<Vec<u8>>, BusError> {
        let inbox = self
            .inboxes
            .write()
            .remove(&id)
            .ok_or(BusError::NoSuchInbox(id))?;
        let (pending, waker) = {
            let mut q = inbox.queue.lock();
            q.closed = true;
            q.bytes = 0;
            let n = q.messages.len();
            (q.messages.take_vecs(n), q.waker.take())
        };
        inbox.room.notify_all();
        // Dropped after the lock is released: dropping a Node threadsafe function releases it.
        drop(waker);
        Ok(pending)
    }

    /// Messages waiting in the inbox of `id`.
    pub fn len(&self, id: u32) -> Result<usize, BusError> {
        let inbox = self.inbox(id).ok_or(BusError::NoSuchInbox(id))?;
        let n = inbox.queue.lock().messages.len();
        Ok(n)
    }

    pub fn is_open(&self, id: u32) -> bool {
        self.inboxes.read().contains_key(&id)
    }

    /// Whether the receiver of `id` has been woken and has not yet emptied its inbox.
    pub fn is_notified(&self, id: u32) -> Result<bool, BusError> {
        let inbox = self.inbox(id).ok_or(BusError::NoSuchInbox(id))?;
        Ok(inbox.notified.load(Ordering::Acquire))
    }

    pub fn stats_of(&self, id: u32) -> Result<InboxStats, BusError> {
        let inbox = self.inbox(id).ok_or(BusError::NoSuchInbox(id))?;
        Ok(snapshot(&inbox))
    }

    /// Counters of every open inbox, sorted by id.
    pub fn stats(&self) -> Vec<InboxStats> {
        let inboxes: Vec<Arc<Inbox>> = self.inboxes.read().values().cloned().collect();
        let mut out: Vec<InboxStats> = inboxes.iter().map(|i| snapshot(i)).collect();
        out.sort_by_key(|s| s.id);
        out
    }
}

fn snapshot(inbox: &Inbox) -> InboxStats {
    let q = inbox.queue.lock();
    InboxStats {
        id: inbox.id,
        length: q.messages.len(),
        bytes: q.bytes,
        sent: inbox.sent.load(Ordering::Relaxed),
        received: inbox.received.load(Ordering::Relaxed),
        high_water: q.high_water,
        full: inbox.full.load(Ordering::Relaxed),
        wakes: inbox.wakes.load(Ordering::Relaxed),
    }
}
