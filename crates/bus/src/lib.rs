//! The messaging core of one Node process: a registry of bounded inboxes keyed by a `u32` thread
//! id (the JS `threadId`; the main thread is 0).
//!
//! A `.node` addon is loaded once per process, so every worker thread sees the same Rust statics:
//! [`Bus::global`] is that one shared registry. The bus moves opaque byte strings (the JS side
//! serialises with `v8.serialize`); it knows nothing of JS. A frame may stand for several
//! messages (a sender's batch, see [`InboxHandle::send_batch`]): the sender says how many, and
//! capacity, counters and drain limits count messages, not frames.
//!
//! Two properties shape the code:
//! - **Wake-up batching.** Waking a JS thread costs a `uv_async_send` plus a turn of its event loop.
//!   The waker is therefore called only on the transition "nobody has been told" → "told", and the
//!   flag is cleared only by a drain that finds the inbox empty (the receiver drains until then):
//!   a burst of N sends costs one wake, and so do sends that land while the receiver is busy.
//! - **Backpressure, never loss.** Inboxes are bounded (messages and bytes). A send to a full inbox
//!   returns [`SendResult::Full`] and keeps nothing; [`Bus::send_blocking`] waits for room. Closing
//!   an inbox hands its pending messages back to the caller.

use std::collections::HashMap;
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

/// Bytes before each frame's payload: `[u32 LE payload length][u32 LE message count]`.
pub const FRAME_HEADER: usize = 8;

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

/// Messages stored back to back as `[u32 LE length][u32 LE message count][bytes]` frames in one
/// growable buffer, read from `pos` on. A frame usually holds one message; a sender's batch is one
/// frame holding several (its payload format is the sender's business).
///
/// One `Vec<u8>` per message would cost a `malloc` on the sending thread and a `free` on the
/// receiving one for every message; glibc serialises those on its arena lock and the two threads
/// then contend on every message. Frames appended to a buffer whose capacity is reused cost no
/// allocation in the steady state, and a batch leaves in the packed layout that the N-API side
/// hands to JS as is.
#[derive(Default)]
struct Frames {
    buf: Vec<u8>,
    pos: usize,
    /// Messages in the frames from `pos` to the end.
    count: usize,
}

impl Frames {
    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Appends one frame whose payload is `parts` concatenated (`len` bytes in all), standing for
    /// `messages` messages.
    fn push(&mut self, parts: &[&[u8]], len: usize, messages: u32) {
        self.buf.reserve(FRAME_HEADER + len);
        self.buf.extend_from_slice(&(len as u32).to_le_bytes());
        self.buf.extend_from_slice(&messages.to_le_bytes());
        for p in parts {
            self.buf.extend_from_slice(p);
        }
        self.count += messages as usize;
    }

    fn u32_at(&self, at: usize) -> usize {
        let h = &self.buf[at..at + 4];
        u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize
    }

    /// Payload length of the frame starting at `at`.
    fn len_at(&self, at: usize) -> usize {
        self.u32_at(at)
    }

    /// Messages in the frame starting at `at`.
    fn messages_at(&self, at: usize) -> usize {
        self.u32_at(at + 4)
    }

    /// How many of the next frames, holding at most `n` messages, fit in `max_bytes` packed:
    /// (messages, bytes, payload bytes). A frame is never split; with `first`, the first frame
    /// counts as fitting `n` even if it holds more messages (a batch larger than the caller's
    /// limit must still be taken whole), but not `max_bytes`.
    fn fitting(&self, n: usize, max_bytes: usize, first: bool) -> (usize, usize, usize) {
        let (mut count, mut span, mut frames) = (0, 0, 0);
        let mut at = self.pos;
        while count < n && count < self.count {
            let frame = FRAME_HEADER + self.len_at(at);
            let messages = self.messages_at(at);
            if span + frame > max_bytes || (count + messages > n && !(first && frames == 0)) {
                break;
            }
            span += frame;
            at += frame;
            count += messages;
            frames += 1;
        }
        (count, span, span - FRAME_HEADER * frames)
    }

    /// The next `span` bytes, holding `count` messages, which the caller has copied out, are
    /// consumed.
    fn consume(&mut self, count: usize, span: usize) {
        self.pos += span;
        self.count -= count;
        if self.count == 0 {
            self.buf.clear();
            self.pos = 0;
        }
    }

    fn next_span(&self, span: usize) -> &[u8] {
        &self.buf[self.pos..self.pos + span]
    }

    /// Removes the next frame's payload as a `Vec`, with its message count.
    fn pop_vec(&mut self) -> (Vec<u8>, usize) {
        let len = self.len_at(self.pos);
        let messages = self.messages_at(self.pos);
        let start = self.pos + FRAME_HEADER;
        let m = self.buf[start..start + len].to_vec();
        self.consume(messages, FRAME_HEADER + len);
        (m, messages)
    }

    /// A burst can grow a buffer a lot; give the memory back once it is empty, so that an idle
    /// inbox does not keep its peak size forever.
    fn release_if_idle(&mut self) {
        if self.count == 0 && self.buf.capacity() > 8 << 20 {
            self.buf.shrink_to(1 << 20);
        }
    }
}

struct Queue {
    /// Frames appended by senders, not yet taken by the receiver.
    write: Frames,
    /// Messages in the inbox: in `write` plus those the receiver has taken into its read buffer
    /// but not handed out yet (capacity counts both).
    pending: usize,
    /// Payload bytes of those messages (frame headers not counted).
    bytes: usize,
    high_water: usize,
    closed: bool,
    /// True from the wake-up that announced pending messages until a drain empties the inbox.
    /// A plain field under the lock (not an atomic beside it): every send takes this lock anyway,
    /// and each extra shared word is one more cache line bouncing between sender and receiver.
    notified: bool,
    sent: u64,
    received: u64,
    full: u64,
    wakes: u64,
    /// Taken out on close, so that the waker (in Node: a threadsafe function that keeps a
    /// reference to the JS callback) is released as soon as the inbox is closed.
    waker: Option<SharedWaker>,
}

struct Inbox {
    id: u32,
    capacity: Capacity,
    queue: Mutex<Queue>,
    /// The receiver's side: frames taken from `Queue::write` in one swap and handed out from here,
    /// so that copying a batch out never happens under the lock that senders need. Lock order:
    /// `read`, then `queue`.
    read: Mutex<Frames>,
    /// Signalled when a drain makes room or the inbox closes; blocking senders wait on it.
    room: Condvar,
}

impl Inbox {
    /// Whether a frame of `messages` messages and `len` payload bytes may go in now. An empty
    /// inbox takes any single message (however large); a batch must fit whole.
    fn fits(&self, q: &Queue, messages: usize, len: usize) -> bool {
        (q.pending == 0 && messages <= 1)
            || (q.pending + messages <= self.capacity.max_messages
                && q.bytes + len <= self.capacity.max_bytes)
    }

    /// Pushes under the lock, wakes outside it.
    fn send_batch(&self, parts: &[&[u8]], messages: u32) -> SendResult {
        let wake = {
            let mut q = self.queue.lock();
            if q.closed {
                return SendResult::NoSuchInbox;
            }
            match self.push(&mut q, parts, messages) {
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

    fn drain_into(&self, max: usize, out: &mut [u8]) -> Result<DrainInto, BusError> {
        let mut written = 0;
        let mut needs = None;
        let count = self.take(max, |f, n, first| {
            let (count, span, payload) = f.fitting(n, out.len() - written, first);
            if count == 0 && written == 0 && n > 0 {
                needs = Some(FRAME_HEADER + f.len_at(f.pos));
            }
            out[written..written + span].copy_from_slice(f.next_span(span));
            written += span;
            f.consume(count, span);
            (count, payload)
        })?;
        Ok(match needs {
            Some(n) => DrainInto::NeedsRoom(n),
            None => DrainInto::Taken { count, written },
        })
    }

    /// Hands frames to `step` until `max` messages are taken, `step` takes none, or the inbox is
    /// empty. `step(frames, n, first)` may take frames holding up to `n` messages from the
    /// receiver's read buffer (with `first`, nothing was taken yet: one frame may hold more) and
    /// returns (messages taken, payload bytes); it runs without the senders' lock.
    fn take(
        &self,
        max: usize,
        mut step: impl FnMut(&mut Frames, usize, bool) -> (usize, usize),
    ) -> Result<usize, BusError> {
        let inbox = self;
        let mut r = inbox.read.lock();
        let (mut taken, mut payload) = (0, 0);
        while taken < max {
            if r.is_empty() {
                let mut q = inbox.queue.lock();
                if q.closed && taken == 0 {
                    return Err(BusError::NoSuchInbox(inbox.id));
                }
                if q.write.is_empty() {
                    if taken == 0 {
                        // Only a drain that finds nothing re-arms the waker: until then the
                        // receiver is still draining and will see any new message itself, so
                        // a send during its batch costs no wake-up.
                        q.notified = false;
                    }
                    break;
                }
                // O(1) under the senders' lock: the receiver takes their buffer and gives back
                // its own, empty but with its capacity, to be filled next.
                r.release_if_idle();
                std::mem::swap(&mut *r, &mut q.write);
            }
            let (n, p) = step(&mut r, max - taken, taken == 0);
            taken += n;
            payload += p;
            if n == 0 || !r.is_empty() {
                break;
            }
        }
        drop(r);
        if taken > 0 {
            let mut q = inbox.queue.lock();
            q.pending -= taken;
            q.bytes -= payload;
            q.received += taken as u64;
            drop(q);
            inbox.room.notify_all();
        }
        Ok(taken)
    }

    /// Copies the frame made of `parts` in if there is room. `Ok` carries the waker to call once
    /// the lock is released, if this push is the one that must announce the inbox.
    fn push(
        &self,
        q: &mut Queue,
        parts: &[&[u8]],
        messages: u32,
    ) -> Result<Option<SharedWaker>, SendResult> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len > u32::MAX as usize {
            return Err(SendResult::TooLarge);
        }
        if messages == 0 {
            return Ok(None);
        }
        if !self.fits(q, messages as usize, len) {
            q.full += 1;
            return Err(SendResult::Full);
        }
        q.bytes += len;
        q.pending += messages as usize;
        q.write.push(parts, len, messages);
        q.high_water = q.high_water.max(q.pending);
        q.sent += messages as u64;
        if q.notified {
            Ok(None)
        } else {
            q.notified = true;
            q.wakes += 1;
            Ok(q.waker.clone())
        }
    }
}

/// A handle on one open inbox, for a caller that sends to (or drains) the same inbox many times:
/// it skips the registry lookup, whose read lock and reference count are shared by every thread
/// and would bounce between cores on every message. It goes stale when the inbox closes: its
/// operations then return `NoSuchInbox`, and the caller looks the id up again (it may have been
/// reopened).
#[derive(Clone)]
pub struct InboxHandle(Arc<Inbox>);

impl InboxHandle {
    pub fn id(&self) -> u32 {
        self.0.id
    }

    pub fn send_slice(&self, bytes: &[u8]) -> SendResult {
        self.0.send_batch(&[bytes], 1)
    }

    /// Sends one frame, the concatenation of `parts`, that stands for `messages` messages (a
    /// sender's batch: one lock, one copy and at most one wake-up for all of them). It is taken
    /// whole or refused whole (`Full`): unlike a single message, a batch is not let into an empty
    /// inbox beyond its capacity, so the sender can fall back to sending its messages one by one.
    /// A batch of 0 messages sends nothing.
    pub fn send_batch(&self, parts: &[&[u8]], messages: u32) -> SendResult {
        self.0.send_batch(parts, messages)
    }

    pub fn is_open(&self) -> bool {
        !self.0.queue.lock().closed
    }

    /// See [`Bus::drain_into`].
    pub fn drain_into(&self, max: usize, out: &mut [u8]) -> Result<DrainInto, BusError> {
        self.0.drain_into(max, out)
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
                    write: Frames::default(),
                    pending: 0,
                    bytes: 0,
                    high_water: 0,
                    closed: false,
                    notified: false,
                    sent: 0,
                    received: 0,
                    full: 0,
                    wakes: 0,
                    waker: Some(Arc::from(waker)),
                }),
                read: Mutex::new(Frames::default()),
                room: Condvar::new(),
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
        match self.inbox(to) {
            Some(inbox) => inbox.send_batch(&[bytes], 1),
            None => SendResult::NoSuchInbox,
        }
    }

    /// See [`InboxHandle::send_batch`].
    pub fn send_batch(&self, to: u32, parts: &[&[u8]], messages: u32) -> SendResult {
        match self.inbox(to) {
            Some(inbox) => inbox.send_batch(parts, messages),
            None => SendResult::NoSuchInbox,
        }
    }

    /// A handle on the inbox of `id`, if open: see [`InboxHandle`].
    pub fn handle(&self, id: u32) -> Option<InboxHandle> {
        self.inbox(id).map(InboxHandle)
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
                match inbox.push(&mut q, &[bytes], 1) {
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
                if timed_out && !q.closed && !inbox.fits(&q, 1, bytes.len()) {
                    return SendResult::Full;
                }
            }
        };
        if let Some(w) = wake {
            w();
        }
        SendResult::Delivered
    }

    /// Takes up to `max` messages, oldest first (one `Vec` per frame: a batch frame stays one
    /// `Vec`; the first frame is taken whole even if it holds more than `max`). The receiver is expected to keep draining until
    /// a drain returns nothing; only that empty drain clears the "notified" flag, so that the next
    /// send wakes the receiver again. Sends that arrive while it is still draining (its batch is
    /// being handled) cost no wake-up.
    pub fn drain(&self, id: u32, max: usize) -> Result<Vec<Vec<u8>>, BusError> {
        let mut out = Vec::new();
        self.inbox(id)
            .ok_or(BusError::NoSuchInbox(id))?
            .take(max, |f, n, first| {
                let (mut taken, mut payload) = (0, 0);
                while !f.is_empty() {
                    let messages = f.messages_at(f.pos);
                    if taken + messages > n && !(first && taken == 0) {
                        break;
                    }
                    let (m, messages) = f.pop_vec();
                    payload += m.len();
                    taken += messages;
                    out.push(m);
                }
                (taken, payload)
            })?;
        Ok(out)
    }

    /// Like [`Bus::drain`], but returns the frames packed back to back as
    /// `[u32 LE length][u32 LE message count][bytes]` (empty when nothing is pending): one
    /// allocation per batch instead of one per message. The batch also stops before `max_bytes`
    /// (but holds at least one message): a few hundred KB per batch stays in malloc's arenas,
    /// where a batch of many MB would be an mmap and a page fault per 4 KB each time.
    pub fn drain_packed(
        &self,
        id: u32,
        max: usize,
        max_bytes: usize,
    ) -> Result<(usize, Vec<u8>), BusError> {
        let mut out = Vec::new();
        let n = self
            .inbox(id)
            .ok_or(BusError::NoSuchInbox(id))?
            .take(max, |f, n, first| {
                let (mut count, mut span, mut payload) =
                    f.fitting(n, max_bytes - out.len().min(max_bytes), first);
                if count == 0 && out.is_empty() && n > 0 {
                    // The oldest frame alone is larger than the cap: it still has to go.
                    payload = f.len_at(f.pos);
                    (count, span) = (f.messages_at(f.pos), FRAME_HEADER + payload);
                }
                out.extend_from_slice(f.next_span(span));
                f.consume(count, span);
                (count, payload)
            })?;
        Ok((n, out))
    }

    /// Like [`Bus::drain_packed`], but copies the frames into the caller's buffer, so that a
    /// receiver can reuse one buffer for every batch and allocate nothing. Takes as many of the
    /// first `max` messages as fit. If even the first message does not fit, nothing is taken and
    /// the result says how large `out` must be.
    pub fn drain_into(&self, id: u32, max: usize, out: &mut [u8]) -> Result<DrainInto, BusError> {
        self.inbox(id)
            .ok_or(BusError::NoSuchInbox(id))?
            .drain_into(max, out)
    }

    /// Closes the inbox and returns the frames nobody drained (a batch frame is one `Vec`). Senders blocked on it return
    /// `NoSuchInbox`; later sends return `NoSuchInbox`; the waker is dropped.
    pub fn close(&self, id: u32) -> Result<Vec<Vec<u8>>, BusError> {
        let inbox = self
            .inboxes
            .write()
            .remove(&id)
            .ok_or(BusError::NoSuchInbox(id))?;
        let mut pending = Vec::new();
        let waker = {
            let mut r = inbox.read.lock();
            let mut q = inbox.queue.lock();
            q.closed = true;
            q.bytes = 0;
            q.pending = 0;
            while !r.is_empty() {
                pending.push(r.pop_vec().0);
            }
            while !q.write.is_empty() {
                pending.push(q.write.pop_vec().0);
            }
            // A stale InboxHandle may keep this Inbox alive for a while: not its buffers.
            *r = Frames::default();
            q.write = Frames::default();
            q.waker.take()
        };
        inbox.room.notify_all();
        // Dropped after the lock is released: dropping a Node threadsafe function releases it.
        drop(waker);
        Ok(pending)
    }

    /// Messages waiting in the inbox of `id`.
    pub fn len(&self, id: u32) -> Result<usize, BusError> {
        let inbox = self.inbox(id).ok_or(BusError::NoSuchInbox(id))?;
        let n = inbox.queue.lock().pending;
        Ok(n)
    }

    pub fn is_open(&self, id: u32) -> bool {
        self.inboxes.read().contains_key(&id)
    }

    /// Whether the receiver of `id` has been woken and has not yet emptied its inbox.
    pub fn is_notified(&self, id: u32) -> Result<bool, BusError> {
        let inbox = self.inbox(id).ok_or(BusError::NoSuchInbox(id))?;
        let notified = inbox.queue.lock().notified;
        Ok(notified)
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
        length: q.pending,
        bytes: q.bytes,
        sent: q.sent,
        received: q.received,
        high_water: q.high_water,
        full: q.full,
        wakes: q.wakes,
    }
}
