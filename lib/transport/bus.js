'use strict';
/**
 * The in-process message bus: every thread of one Node process (the main thread, id 0, and each
 * worker_thread, by its `threadId`) has at most one inbox in the Rust core (crates/bus), shared by
 * all threads because a `.node` addon is loaded once per process.
 *
 *   const bus = require('fluxion/lib/bus');
 *   bus.open((value) => { ... });          // receive on this thread, in order
 *   bus.send(workerThreadId, { any: 'structured-cloneable value' });
 *
 * Values are encoded with structured-clone semantics (`v8.serialize`, with a cheaper JSON path for
 * small plain data: see bus-codec.js): objects, Maps, Sets, Buffers and typed arrays, Dates,
 * RegExps, Errors...; not functions. Guarantees:
 * - per destination, a thread's messages arrive in the order it sent them;
 * - `send` encodes at once (a value that cannot be cloned throws there, and later changes to the
 *   value are not seen), then batches: the messages a thread sends to one destination during one
 *   task go to its inbox together at the end of the current microtask checkpoint (`flush()`
 *   forces it), as one native call and one frame for each run of JSON-encodable messages;
 * - nothing is dropped: a full inbox makes `send` queue locally and retry (backpressure), and
 *   closing an inbox hands its pending messages back (`close()`, `takeUndelivered()`);
 * - an open inbox does not keep the thread alive (call `ref()` for that), so an idle worker or
 *   main thread exits on its own; a thread whose environment ends closes its inbox.
 */
// Node's own timers, not the globals of a Jest test environment (jsdom's, or fake timers).
const { clearInterval, setImmediate, setInterval, setTimeout } = require('node:timers');
const { threadId } = require('node:worker_threads');
const { load } = require('../native');
const v8 = require('node:v8');
const { encodeItem, decodeItem, frameValues } = require('./bus-codec');

/** Messages taken from the Rust inbox per native call. */
const DRAIN_BATCH = 512;
/** Messages delivered per event-loop turn before yielding with setImmediate, so that a flood of
 * messages cannot starve I/O and timers on the receiving thread. */
const TURN_CAP = 4096;
/** Bytes before each frame's payload in a drained batch: `[u32 LE length][u32 LE count]`. */
const FRAME_HEADER = 8;
/** A sender's batch is handed over early once it holds this many messages or characters of JSON,
 * so that the receiver works in parallel with a long synchronous burst and a batch fits in the
 * receiver's reused buffer. */
const BATCH_MESSAGES = 256;
const BATCH_CHARS = 16 * 1024;

let native;
function addon() {
  if (!native) native = load();
  return native;
}

/** Receiving side of this thread: null while closed. */
let inbox = null;

/**
 * Per destination: encoded messages (JSON text or a V8 Buffer, see bus-codec.js) refused because
 * its inbox was full, oldest first. While a destination has a backlog, new messages join it
 * instead of overtaking it.
 * `head` indexes the oldest unsent message: consumed entries are dropped in bulk, not shifted
 * one by one (a flood can leave tens of thousands waiting).
 * @type {Map<number, { items: Array<string | Buffer>, head: number }>}
 */
const backlog = new Map();
let retryScheduled = false;

/**
 * Per destination: messages encoded by `send` during the current task and not handed to the
 * inbox yet (a destination never has both these and a backlog). Flushed in one go at the end of
 * the microtask checkpoint.
 * @type {Map<number, { items: Array<string | Buffer>, chars: number }>}
 */
const outbox = new Map();
let outboxQueued = false;
let exitHooked = false;

function busError(message, code) {
  const err = new Error(message);
  err.code = code;
  return err;
}

/**
 * Batches are copied into this buffer (no allocation per wake-up). Larger messages get a buffer of
 * their own. V8's deserializer returns Buffers and typed arrays that point into its input, so
 * after a batch in which a frame took the V8 path the buffer is not reused but replaced: one
 * allocation per such batch instead of a copy per message.
 */
const SCRATCH_SIZE = 64 * 1024;
let scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);

/** Fetches the next batch into box.buf; false when the inbox is empty. */
function fetchBatch(box) {
  if (box.aliased) {
    scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
    box.aliased = false;
  }
  const n = addon().busDrainInto(threadId, scratch, DRAIN_BATCH);
  if (n > 0) {
    box.buf = scratch;
    box.pos = 0;
    box.end = n;
    return true;
  }
  if (n === 0) return false;
  // The oldest message is larger than the scratch buffer: it gets a buffer of its own.
  const big = Buffer.allocUnsafeSlow(-n);
  const m = addon().busDrainInto(threadId, big, 1);
  box.buf = big;
  box.pos = 0;
  box.end = Math.max(m, 0);
  return true;
}

/** Whether messages drained from the inbox are waiting to be delivered. */
function hasDrained(box) {
  return box.values !== null || box.pos < box.end;
}

/**
 * Takes the next message. A batch frame (a JSON array of a sender's messages) is decoded with one
 * `JSON.parse`, and its messages are then handed out one by one (the per-turn cap counts messages).
 */
function nextValue(box) {
  const values = box.values;
  if (values !== null) {
    const v = values[box.vi++];
    if (box.vi === values.length) box.values = null;
    return v;
  }
  const buf = box.buf;
  const len = buf.readUInt32LE(box.pos);
  const start = box.pos + FRAME_HEADER;
  const end = start + len;
  box.pos = end;
  if (buf[start] === 0xff) {
    if (buf === scratch) box.aliased = true;
    return v8.deserialize(buf.subarray(start, end));
  }
  const batch = JSON.parse(buf.utf8Slice(start, end));
  if (batch.length > 1) {
    box.values = batch;
    box.vi = 1;
  }
  return batch[0];
}

/** Delivers drained messages until the inbox is empty or this turn's cap is reached. */
function drainTurn() {
  const box = inbox;
  if (!box) return;
  box.scheduled = false;
  let delivered = 0;
  for (;;) {
    if (!hasDrained(box) && !fetchBatch(box)) return; // empty: the core re-arms the waker
    if (!hasDrained(box)) continue;
    if (delivered >= TURN_CAP) break;
    delivered++;
    try {
      box.onMessage(nextValue(box));
    } catch (err) {
      // Like a throwing 'message' listener: the error is uncaught on this thread, but the rest
      // of the batch must still be delivered, on the next turn.
      schedule(box);
      throw err;
    }
    if (inbox !== box) return; // closed by the handler
  }
  schedule(box);
}

function schedule(box) {
  if (box.scheduled || inbox !== box) return;
  box.scheduled = true;
  setImmediate(drainTurn);
}

/**
 * Opens this thread's inbox. `onMessage(value)` is called for each message, in arrival order.
 * `options.capacity` bounds the inbox (default 65,536 messages and 64 MiB); senders to a full
 * inbox keep their messages in their own backlog until there is room.
 * Throws `FLUXION_BUS_ALREADY_OPEN` if this thread's inbox is open.
 * @param {(value: unknown) => void} onMessage
 * @param {{ capacity?: { maxMessages?: number, maxBytes?: number } }} [options]
 */
function open(onMessage, options = {}) {
  if (typeof onMessage !== 'function') throw new TypeError('bus.open(onMessage): onMessage must be a function');
  if (inbox) throw busError(`the bus is already open on thread ${threadId}`, 'FLUXION_BUS_ALREADY_OPEN');
  // buf[pos..end] holds the frames drained but not delivered yet.
  // values[vi..] are the rest of a decoded batch frame.
  const box = {
    onMessage,
    buf: scratch,
    aliased: false,
    pos: 0,
    end: 0,
    values: null,
    vi: 0,
    scheduled: false,
    keepAlive: null,
  };
  // The waker runs on this thread's loop when the inbox goes from empty to non-empty.
  addon().busOpen(threadId, () => {
    if (inbox === box && !box.scheduled) drainTurn();
  }, options.capacity);
  inbox = box;
  applyRef();
  process.on('beforeExit', beforeExit);
}

/**
 * The waker is unref'd so that an idle thread can exit, but then a wake-up that arrives while the
 * loop is running out of work may never be processed: libuv stops before polling an unref'd
 * handle. 'beforeExit' runs exactly then, so messages already in the inbox are delivered (which
 * schedules more work and keeps the thread alive) instead of being stranded.
 */
function beforeExit() {
  if (inbox && !inbox.scheduled) drainTurn();
}

/**
 * Sends `value` to the inbox of thread `to`. It is encoded now (throws if it cannot be cloned,
 * and nothing is queued then) and handed to the inbox at the end of the current microtask
 * checkpoint, together with the other messages this thread sent to `to` meanwhile (or sooner, when
 * that batch is large, or on `flush()`). Returns false if `to`'s inbox was found full earlier and
 * the message joins this thread's backlog for it (retried in order, never dropped), true
 * otherwise. Throws `FLUXION_BUS_NO_INBOX` if `to` has no open inbox when its batch starts; if it
 * closes before the batch is handed over, the batch goes to `takeUndelivered(to)` with a warning.
 * @param {number} to
 * @param {unknown} value
 */
function send(to, value) {
  const item = encodeItem(value);
  const queue = backlog.get(to);
  if (queue) {
    queue.items.push(item);
    return false;
  }
  let out = outbox.get(to);
  if (out === undefined) {
    if (!addon().busHasInbox(to)) throw busError(`no inbox is open for thread ${to}`, 'FLUXION_BUS_NO_INBOX');
    out = { items: [], chars: 0 };
    outbox.set(to, out);
    if (!outboxQueued) {
      outboxQueued = true;
      queueMicrotask(flush);
    }
    if (!exitHooked) {
      // process.exit() runs no more microtasks: hand over what was sent before it.
      exitHooked = true;
      process.on('exit', flush);
    }
  }
  out.items.push(item);
  out.chars += item.length;
  if (out.items.length >= BATCH_MESSAGES || out.chars >= BATCH_CHARS) {
    outbox.delete(to);
    handOver(to, out.items);
  }
  return true;
}

/** Hands every message this thread has sent but not yet handed over to its destination's inbox. */
function flush() {
  outboxQueued = false;
  try {
    for (const [to, out] of outbox) {
      outbox.delete(to);
      handOver(to, out.items);
    }
  } finally {
    if (outbox.size > 0 && !outboxQueued) {
      outboxQueued = true;
      queueMicrotask(flush);
    }
  }
}

/** Sends a new batch for `to`; what the inbox has no room for starts its backlog. */
function handOver(to, items) {
  const sent = sendItems(to, items, 0);
  if (sent < items.length) {
    backlog.set(to, { items: sent === 0 ? items : items.slice(sent), head: 0 });
    scheduleRetry(false);
  }
}

/**
 * Sends `items[from..]` to `to` in order, with as few native calls as possible: each run of JSON
 * texts goes as one frame (`busSendJson`, decoded by the receiver with one `JSON.parse`), each V8
 * Buffer as its own. Returns the index of the first item the inbox had no room for
 * (`items.length`: all sent). If the inbox is closed, the rest is reported as undeliverable
 * and counts as handled.
 */
function sendItems(to, items, from) {
  const native = addon();
  let i = from;
  try {
    while (i < items.length) {
      const item = items[i];
      if (typeof item !== 'string') {
        if (!native.busSend(to, item)) return i;
        i++;
        continue;
      }
      let j = i + 1;
      let chars = item.length;
      while (j < items.length && j - i < BATCH_MESSAGES && chars < BATCH_CHARS && typeof items[j] === 'string') {
        chars += items[j].length;
        j++;
      }
      let text;
      if (j - i === 1) text = item;
      else if (i === 0 && j === items.length) text = items.join(',');
      else text = items.slice(i, j).join(',');
      if (native.busSendJson(to, text, j - i)) {
        i = j;
        continue;
      }
      // No room for the whole run: as many as fit, one by one.
      while (i < j && native.busSendJson(to, items[i], 1)) i++;
      return i;
    }
    return i;
  } catch (err) {
    if (err.code !== 'FLUXION_BUS_NO_INBOX') throw err;
    // The destination closed: what could not be delivered is reported, not dropped.
    const values = items.slice(i).map(decodeItem);
    process.emitWarning(
      `fluxion bus: ${values.length} message(s) for thread ${to} could not be delivered (inbox closed)`,
      { code: 'FLUXION_BUS_UNDELIVERED' }
    );
    undeliverable.push({ threadId: to, values });
    return items.length;
  }
}

function scheduleRetry(progress) {
  if (retryScheduled) return;
  retryScheduled = true;
  // Retry on the next turn while the receiver is making room; back off to a timer when it is not,
  // so that a stalled receiver does not turn this thread into a busy loop.
  if (progress) setImmediate(retryBacklog);
  else setTimeout(retryBacklog, 1);
}

function retryBacklog() {
  retryScheduled = false;
  let progress = false;
  for (const [to, queue] of backlog) {
    const { items } = queue;
    const sent = sendItems(to, items, queue.head);
    if (sent > queue.head) progress = true;
    if (sent === items.length) backlog.delete(to);
    else if (sent > 1024 && sent * 2 > items.length) {
      items.splice(0, sent);
      queue.head = 0;
    } else queue.head = sent;
  }
  if (backlog.size > 0) scheduleRetry(progress);
}

/** Messages from this thread's backlog whose destination closed before they could be delivered. */
const undeliverable = [];

/**
 * Closes this thread's inbox. Returns the messages that had arrived but were not yet delivered
 * to `onMessage`, in order (closing never drops them). Closing a closed bus returns [].
 * @returns {unknown[]}
 */
function close() {
  const box = inbox;
  if (!box) return [];
  flush(); // messages this thread sent to itself are in its inbox, hence in what is returned
  inbox = null;
  process.removeListener('beforeExit', beforeExit);
  if (box.keepAlive) clearInterval(box.keepAlive);
  const rest = [];
  while (hasDrained(box)) rest.push(nextValue(box));
  for (const b of addon().busClose(threadId)) for (const v of frameValues(b, 0, b.length)) rest.push(v);
  return rest;
}

/** Whether an open bus should keep this thread alive; may be set before `open`. */
let refed = false;

function applyRef() {
  if (inbox && refed && !inbox.keepAlive) inbox.keepAlive = setInterval(() => {}, 1 << 30);
  if (inbox && !refed && inbox.keepAlive) {
    clearInterval(inbox.keepAlive);
    inbox.keepAlive = null;
  }
}

/** Keeps this thread alive while the bus is open (like `port.ref()`); may be called before `open`. */
function ref() {
  refed = true;
  applyRef();
}

/** Undoes `ref()`: the open bus no longer keeps this thread alive (the default). */
function unref() {
  refed = false;
  applyRef();
}

/**
 * Counters of every open inbox in the process (this thread's pending batches are handed over
 * first, so that they are counted).
 * @returns {import('../bus').BusInboxStats[]}
 */
function stats() {
  flush();
  return addon().busStats();
}

/** Messages waiting in this thread's backlog for `to` (its inbox was full); hands over this
 * thread's pending batches first. */
function queued(to) {
  flush();
  const q = backlog.get(to);
  return q ? q.items.length - q.head : 0;
}

/**
 * Takes the messages that were waiting in the inbox of a thread that ended without closing its
 * bus (for example a terminated worker), and the ones this thread could not deliver to it.
 * @param {number} id
 * @returns {unknown[]}
 */
function takeUndelivered(id) {
  flush();
  const values = [];
  for (const b of addon().busTakeUndelivered(id)) for (const v of frameValues(b, 0, b.length)) values.push(v);
  for (let i = 0; i < undeliverable.length; ) {
    if (undeliverable[i].threadId === id) {
      values.push(...undeliverable[i].values);
      undeliverable.splice(i, 1);
    } else i++;
  }
  return values;
}

function isOpen() {
  return inbox !== null;
}

module.exports = { open, send, flush, close, ref, unref, stats, queued, takeUndelivered, isOpen, threadId };
