//! N-API glue for the messaging core (`crates/bus`). Every JS thread of the process loads this
//! addon, and all of them share `Bus::global()`; this file only converts values and wires the
//! receiving thread's event loop in as the inbox's waker.
//!
//! `lib/bus.js` is the documented API; these functions are its raw material.

// napi-derive registers exports only outside `cfg(test)`, so in the lib test build these private
// module's functions look unused.
#![cfg_attr(test, allow(dead_code))]

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use fluxion_bus::{Bus, BusError, Capacity, DrainInto, InboxHandle, SendResult};
use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::CleanupEnvHook;
use napi_derive::napi;
use parking_lot::Mutex;

/// Messages left in the inbox of a thread whose JS environment was torn down (a worker that
/// exited or was terminated without `busClose`). Kept until someone takes them with
/// `busTakeUndelivered`, because dropping them silently would lose a request.
fn undelivered() -> &'static Mutex<HashMap<u32, Vec<Vec<u8>>>> {
    static U: OnceLock<Mutex<HashMap<u32, Vec<Vec<u8>>>>> = OnceLock::new();
    U.get_or_init(Default::default)
}

thread_local! {
    /// The env cleanup hook registered by this JS thread's `busOpen`, removed by its `busClose`.
    /// Thread-local because each JS thread (main or worker) is one OS thread with its own env.
    static CLEANUP: RefCell<Option<(u32, CleanupEnvHook<u32>)>> = const { RefCell::new(None) };
}

thread_local! {
    /// Handles of the inboxes this JS thread sends to or drains, so that a message costs no
    /// registry lookup (a lock word and a reference count that every thread would otherwise
    /// write). A handle of a closed inbox answers NoSuchInbox once and is then dropped.
    static HANDLES: RefCell<HashMap<u32, InboxHandle>> = RefCell::new(HashMap::new());
}

/// Runs `f` on the cached handle of `id`, looking it up again if it is missing or stale.
fn with_handle<R>(
    id: u32,
    stale: impl Fn(&R) -> bool,
    mut f: impl FnMut(&InboxHandle) -> R,
) -> Option<R> {
    HANDLES.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(h) = cache.get(&id) {
            let r = f(h);
            if !stale(&r) {
                return Some(r);
            }
            cache.remove(&id);
        }
        let h = Bus::global().handle(id)?;
        let r = f(&h);
        if !stale(&r) {
            cache.insert(id, h);
        }
        Some(r)
    })
}

fn send_cached(to: u32, payload: &[u8]) -> SendResult {
    send_batch_cached(to, &[payload], 1)
}

fn send_batch_cached(to: u32, parts: &[&[u8]], messages: u32) -> SendResult {
    with_handle(
        to,
        |r| *r == SendResult::NoSuchInbox,
        |h| h.send_batch(parts, messages),
    )
    .unwrap_or(SendResult::NoSuchInbox)
}

/// JS error codes, so that callers can test `err.code` instead of parsing messages.
fn bus_error(e: BusError) -> Error<String> {
    let code = match e {
        BusError::AlreadyOpen(_) => "FLUXION_BUS_ALREADY_OPEN",
        BusError::NoSuchInbox(_) => "FLUXION_BUS_NO_INBOX",
    };
    Error::new(code.to_string(), e.to_string())
}

fn send_result(to: u32, r: SendResult) -> std::result::Result<bool, Error<String>> {
    match r {
        SendResult::Delivered => Ok(true),
        SendResult::Full => Ok(false),
        SendResult::NoSuchInbox => Err(bus_error(BusError::NoSuchInbox(to))),
        SendResult::TooLarge => Err(Error::new(
            "FLUXION_BUS_TOO_LARGE".to_string(),
            "a message is limited to 4 GiB".to_string(),
        )),
    }
}

fn close_on_teardown(id: u32) {
    if let Ok(pending) = Bus::global().close(id) {
        if !pending.is_empty() {
            undelivered().lock().entry(id).or_default().extend(pending);
        }
    }
}

/// Limits of an inbox (defaults: 65,536 messages, 64 MiB). A full inbox refuses sends.
#[napi(object)]
pub struct BusCapacity {
    pub max_messages: Option<u32>,
    pub max_bytes: Option<f64>,
}

/// Opens the inbox of `threadId` and makes `onWake` its waker: it is called on this thread's
/// event loop when the inbox goes from empty to non-empty; it must then drain until a drain returns
/// nothing (only that empty drain re-arms the wake-up).
///
/// The threadsafe function is weak (unref'd): an open inbox alone does not keep the thread
/// alive, exactly like an idle `MessagePort` that was `unref()`'d.
#[napi]
pub fn bus_open(
    env: Env,
    thread_id: u32,
    on_wake: Function<(), Unknown<'static>>,
    capacity: Option<BusCapacity>,
) -> std::result::Result<(), Error<String>> {
    let mut limits = Capacity::default();
    if let Some(c) = capacity {
        if let Some(m) = c.max_messages {
            limits.max_messages = m as usize;
        }
        if let Some(b) = c.max_bytes {
            limits.max_bytes = b.clamp(1.0, usize::MAX as f64) as usize;
        }
    }
    let to_napi = |e: Error| Error::new(e.status.as_ref().to_string(), e.reason.clone());
    let tsfn = on_wake
        .build_threadsafe_function::<()>()
        .weak::<true>()
        .build()
        .map_err(to_napi)?;
    Bus::global()
        .open_with(
            thread_id,
            limits,
            Box::new(move || {
                // NonBlocking on an unbounded queue never waits; after the env is gone napi-rs
                // reports Closing, which is fine: nobody is left to wake.
                let _ = tsfn.call((), ThreadsafeFunctionCallMode::NonBlocking);
            }),
        )
        .map_err(bus_error)?;
    // A worker that exits without closing its inbox must not leave senders writing into a
    // mailbox nobody reads, nor lose what was in it.
    let hook = env
        .add_env_cleanup_hook(thread_id, close_on_teardown)
        .map_err(to_napi)?;
    CLEANUP.with(|c| {
        if let Some((_, old)) = c.borrow_mut().replace((thread_id, hook)) {
            let _ = env.remove_env_cleanup_hook(old);
        }
    });
    Ok(())
}

/// Copies `payload` into the inbox of `to` (one copy, no allocation per message). `true`: delivered; `false`: the inbox is full and
/// nothing was queued (retry later). Throws `FLUXION_BUS_NO_INBOX` if no inbox is open.
#[napi]
pub fn bus_send(to: u32, payload: &[u8]) -> std::result::Result<bool, Error<String>> {
    send_result(to, send_cached(to, payload))
}

/// Sends `count` messages at once, as one frame: `json` is their JSON texts joined with commas
/// (`JSON.stringify` output never holds a bare comma outside strings and brackets), and the frame's
/// payload is `[` + `json` + `]`, so that the receiver decodes the whole batch with one
/// `JSON.parse`. One N-API crossing, one lock and one copy for the batch. `true`: delivered;
/// `false`: the inbox has no room for all of them, nothing was queued (the caller may send them
/// one by one). Throws `FLUXION_BUS_NO_INBOX` if no inbox is open.
#[napi]
pub fn bus_send_json(
    to: u32,
    json: String,
    count: u32,
) -> std::result::Result<bool, Error<String>> {
    send_result(
        to,
        send_batch_cached(to, &[b"[", json.as_bytes(), b"]"], count),
    )
}

/// Whether `to` has an open inbox now (it may close right after: sends still report that).
#[napi]
pub fn bus_has_inbox(to: u32) -> bool {
    with_handle(to, |open: &bool| !*open, |h| h.is_open()).unwrap_or(false)
}

/// Sends several messages packed as `[u32 little-endian length][bytes]...` with one call, in
/// order. Returns how many were delivered: fewer than packed means the inbox filled up, and the
/// caller resends from that message on. Amortises the N-API crossing over a burst.
#[napi]
pub fn bus_send_packed(to: u32, packed: &[u8]) -> std::result::Result<u32, Error<String>> {
    let mut sent = 0u32;
    let mut rest = packed;
    while rest.len() >= 4 {
        let n = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(body) = rest.get(4..4 + n) else {
            return Err(Error::new(
                "FLUXION_BUS_BAD_PACKING".to_string(),
                "packed messages are truncated".to_string(),
            ));
        };
        if !send_result(to, send_cached(to, body))? {
            break;
        }
        sent += 1;
        rest = &rest[4 + n..];
    }
    Ok(sent)
}

/// Like `busSend`, but waits up to `timeoutMs` for room. Blocks the calling JS thread: meant for
/// workers producing faster than their consumer; never call it for the calling thread's own
/// inbox (nothing would drain it while it waits).
#[napi]
pub fn bus_send_blocking(
    to: u32,
    payload: &[u8],
    timeout_ms: f64,
) -> std::result::Result<bool, Error<String>> {
    let timeout = Duration::from_secs_f64((timeout_ms.max(0.0) / 1000.0).min(1e9));
    send_result(to, Bus::global().send_blocking(to, payload, timeout))
}

/// Takes up to `max` (default 1024) messages, oldest first, as one Buffer per frame (a batch sent
/// with `busSendJson` is one frame; the first frame is taken whole even beyond `max`). Each Buffer
/// wraps the Rust allocation (no copy). Keep draining until this returns nothing: only that re-arms the wake-up.
#[napi]
pub fn bus_drain(
    thread_id: u32,
    max: Option<u32>,
) -> std::result::Result<Vec<Buffer>, Error<String>> {
    let out = Bus::global()
        .drain(thread_id, max.unwrap_or(1024) as usize)
        .map_err(bus_error)?;
    Ok(out.into_iter().map(Buffer::from).collect())
}

/// Like `busDrain`, but returns one Buffer of frames `[u32 LE length][u32 LE message count][bytes]`
/// (empty when nothing is pending): one allocation and one JS object per batch instead of one per message.
/// The batch stops before `maxBytes` (default 256 KiB) unless its first message is larger.
#[napi]
pub fn bus_drain_packed(
    thread_id: u32,
    max: Option<u32>,
    max_bytes: Option<u32>,
) -> std::result::Result<Buffer, Error<String>> {
    let (_, packed) = Bus::global()
        .drain_packed(
            thread_id,
            max.unwrap_or(1024) as usize,
            max_bytes.unwrap_or(256 << 10) as usize,
        )
        .map_err(bus_error)?;
    Ok(Buffer::from(packed))
}

/// Copies up to `max` (default 1024) messages into `target` as
/// `[u32 LE length][u32 LE message count][bytes]` frames, as many as fit (a frame is never split). Returns the bytes written (0: the inbox is empty, and the wake-up is
/// re-armed), or minus the size `target` must have when even the oldest message does not fit
/// (nothing is taken then). The receiver reuses one buffer for every batch: no allocation and no
/// external Buffer per wake-up.
#[napi]
pub fn bus_drain_into(
    thread_id: u32,
    mut target: BufferSlice<'_>,
    max: Option<u32>,
) -> std::result::Result<f64, Error<String>> {
    let max = max.unwrap_or(1024) as usize;
    let drained = with_handle(
        thread_id,
        |r| matches!(r, Err(BusError::NoSuchInbox(_))),
        |h| h.drain_into(max, &mut target),
    )
    .unwrap_or(Err(BusError::NoSuchInbox(thread_id)));
    match drained.map_err(bus_error)? {
        DrainInto::Taken { written, .. } => Ok(written as f64),
        DrainInto::NeedsRoom(n) => Ok(-(n as f64)),
    }
}

/// Closes the inbox of `threadId` and returns the frames nobody drained, oldest first (one
/// Buffer per frame: a batch frame holds several messages).
#[napi]
pub fn bus_close(env: Env, thread_id: u32) -> std::result::Result<Vec<Buffer>, Error<String>> {
    let pending = Bus::global().close(thread_id).map_err(bus_error)?;
    CLEANUP.with(|c| {
        let mut c = c.borrow_mut();
        if matches!(&*c, Some((id, _)) if *id == thread_id) {
            if let Some((_, hook)) = c.take() {
                let _ = env.remove_env_cleanup_hook(hook);
            }
        }
    });
    Ok(pending.into_iter().map(Buffer::from).collect())
}

/// Messages that were pending in the inbox of `threadId` when its thread's environment was torn
/// down without `busClose`; taking them forgets them.
#[napi]
pub fn bus_take_undelivered(thread_id: u32) -> Vec<Buffer> {
    undelivered()
        .lock()
        .remove(&thread_id)
        .unwrap_or_default()
        .into_iter()
        .map(Buffer::from)
        .collect()
}

#[napi(object)]
pub struct BusInboxStats {
    pub thread_id: u32,
    /// Messages waiting now.
    pub length: u32,
    /// Bytes waiting now.
    pub bytes: f64,
    /// Messages accepted into the inbox since it was opened.
    pub sent: f64,
    /// Messages drained since it was opened.
    pub received: f64,
    /// Largest length observed.
    pub high_water: u32,
    /// Sends refused because the inbox was full.
    pub full: f64,
    /// Times the receiving thread was woken.
    pub wakes: f64,
}

/// Counters of every open inbox of the process, by thread id.
#[napi]
pub fn bus_stats() -> Vec<BusInboxStats> {
    Bus::global()
        .stats()
        .into_iter()
        .map(|s| BusInboxStats {
            thread_id: s.id,
            length: s.length as u32,
            bytes: s.bytes as f64,
            sent: s.sent as f64,
            received: s.received as f64,
            high_water: s.high_water as u32,
            full: s.full as f64,
            wakes: s.wakes as f64,
        })
        .collect()
}
