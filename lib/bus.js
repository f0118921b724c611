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
 * - nothing is dropped: a full inbox makes `send` queue locally and retry (backpressure), and
 *   closing an inbox hands its pending messages back (`close()`, `takeUndelivered()`);
 * - an open inbox does not keep the thread alive (call `ref()` for that), so an idle worker or
 *   main thread exits on its own; a thread whose environment ends closes its inbox.
 */
const { threadId } = require('node:worker_threads');
const { load } = require('./native');
const { encode, decode, decodeFrame } = require('./bus-codec');

/** Messages taken from the Rust inbox per native call. */
const DRAIN_BATCH = 512;
/** Messages delivered per event-loop turn before yielding with setImmediate, so that a flood of
 * messages cannot starve I/O and timers on the receiving thread. */
const TURN_CAP = 4096;

let native;
function addon() {
  if (!native) native = load();
  return native;
}

/** Receiving side of this thread: null while closed. */
let inbox = null;

/**
 * Per destination: serialized messages refused because its inbox was full, oldest first. While a
 * destination has a backlog, new messages join it instead of overtaking it.
 * `head` indexes the oldest unsent message: consumed entries are dropped in bulk, not shifted
 * one by one (a flood can leave tens of thousands waiting).
 * @type {Map<number, { items: Buffer[], head: number }>}
 */
const backlog = new Map();
let flushScheduled = false;

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

/** Takes the next frame of the current batch and decodes it. */
function nextValue(box) {
  const len = box.buf.readUInt32LE(box.pos);
  const start = box.pos + 4;
  box.pos = start + len;
  if (box.buf[start] === 0xff && box.buf === scratch) box.aliased = true;
  return decodeFrame(box.buf, start, box.pos);
}

/** Delivers drained messages until the inbox is empty or this turn's cap is reached. */
function drainTurn() {
  const box = inbox;
  if (!box) return;
  box.scheduled = false;
  let delivered = 0;
  for (;;) {
    if (box.pos === box.end && !fetchBatch(box)) return; // empty: the core re-arms the waker
    if (box.pos === box.end) continue;
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
  const box = { onMessage, buf: scratch, aliased: false, pos: 0, end: 0, scheduled: false, keepAlive: null };
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
 * Sends `value` to the inbox of thread `to`. Returns true if it was handed to the inbox now,
 * false if the inbox was full and the message waits in this thread's backlog (it will be retried,
 * in order, and never dropped). Throws `FLUXION_BUS_NO_INBOX` if `to` has no open inbox.
 * @param {number} to
 * @param {unknown} value
 */
function send(to, value) {
  const bytes = encode(value);
  const queue = backlog.get(to);
  if (queue) {
    queue.items.push(bytes);
    return false;
  }
  if (addon().busSend(to, bytes)) return true;
  backlog.set(to, { items: [bytes], head: 0 });
  scheduleFlush(false);
  return false;
}

function scheduleFlush(progress) {
  if (flushScheduled) return;
  flushScheduled = true;
  // Retry on the next turn while the receiver is making room; back off to a timer when it is not,
  // so that a stalled receiver does not turn this thread into a busy loop.
  if (progress) setImmediate(flush);
  else setTimeout(flush, 1);
}

function flush() {
  flushScheduled = false;
  let progress = false;
  for (const [to, queue] of backlog) {
    const { items } = queue;
    let sent = queue.head;
    try {
      while (sent < items.length && addon().busSend(to, items[sent])) sent++;
    } catch (err) {
      if (err.code !== 'FLUXION_BUS_NO_INBOX') throw err;
      // The destination closed: what could not be delivered is reported, not dropped.
      backlog.delete(to);
      const values = items.slice(sent).map((b) => decode(b));
      process.emitWarning(
        `fluxion bus: ${values.length} message(s) for thread ${to} could not be delivered (inbox closed)`,
        { code: 'FLUXION_BUS_UNDELIVERED' }
      );
      undeliverable.push({ threadId: to, values });
      continue;
    }
    if (sent > queue.head) progress = true;
    if (sent === items.length) backlog.delete(to);
    else if (sent > 1024 && sent * 2 > items.length) {
      items.splice(0, sent);
      queue.head = 0;
    } else queue.head = sent;
  }
  if (backlog.size > 0) scheduleFlush(progress);
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
  inbox = null;
  process.removeListener('beforeExit', beforeExit);
  if (box.keepAlive) clearInterval(box.keepAlive);
  const rest = [];
  while (box.pos < box.end) rest.push(nextValue(box));
  for (const b of addon().busClose(threadId)) rest.push(decode(b));
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
 * Counters of every open inbox in the process.
 * @returns {import('../bus').BusInboxStats[]}
 */
function stats() {
  return addon().busStats();
}

/** Messages waiting in this thread's backlog for `to` (its inbox was full). */
function queued(to) {
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
  const values = addon()
    .busTakeUndelivered(id)
    .map((b) => decode(b));
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

module.exports = { open, send, close, ref, unref, stats, queued, takeUndelivered, isOpen, threadId };
