/// <reference types="node" />
/**
 * Types of `lib/transport/bus.js`: the in-process message bus between the main thread (id 0) and
 * worker_threads (by `threadId`). Values travel as `v8.serialize` output, so anything structured
 * clone supports can be sent (not functions).
 */

/** Counters of one open inbox (`stats()`). */
export interface BusInboxStats {
  threadId: number
  /** Messages waiting now. */
  length: number
  /** Bytes waiting now. */
  bytes: number
  /** Messages accepted into the inbox since it was opened. */
  sent: number
  /** Messages drained since it was opened. */
  received: number
  /** Largest length observed. */
  highWater: number
  /** Sends refused because the inbox was full (each retry counts). */
  full: number
  /** Times the receiving thread was woken (one per burst, not per message). */
  wakes: number
}

/** Errors thrown by the bus carry one of these codes. */
export type BusErrorCode =
  | 'FLUXION_BUS_ALREADY_OPEN'
  | 'FLUXION_BUS_NO_INBOX'
  | 'FLUXION_BUS_BAD_PACKING'
  | 'FLUXION_BUS_TOO_LARGE'

/**
 * Opens this thread's inbox; `onMessage` receives each value, in order. An open inbox does not
 * keep the thread alive (see `ref`). Throws `FLUXION_BUS_ALREADY_OPEN` if already open.
 */
export declare function open(onMessage: (value: unknown) => void, options?: BusOpenOptions): void

export interface BusOpenOptions {
  /** Bounds of this thread's inbox; defaults: 65,536 messages, 64 MiB. */
  capacity?: BusCapacity
}

export interface BusCapacity {
  maxMessages?: number
  maxBytes?: number
}

/**
 * Sends `value` to thread `to`. It is encoded now (a value that cannot be cloned throws here, and
 * later changes to it are not sent) and handed to the inbox with the other messages sent to `to`
 * during this task, at the end of the current microtask checkpoint (see `flush`).
 * `false`: `to`'s inbox was found full earlier and the message joins this thread's backlog, to be
 * retried in order (never dropped); `true` otherwise.
 * Throws `FLUXION_BUS_NO_INBOX` if `to` has no open inbox when its batch starts.
 */
export declare function send(to: number, value: unknown): boolean

/** Hands the messages this thread has sent but not handed over yet to their inboxes now. */
export declare function flush(): void

/** Closes this thread's inbox and returns the messages not yet delivered to `onMessage`. */
export declare function close(): unknown[]

/** Keeps this thread alive while the bus is open. */
export declare function ref(): void

/** The open bus no longer keeps this thread alive (the default). */
export declare function unref(): void

/** Counters of every open inbox of the process. */
export declare function stats(): BusInboxStats[]

/** Messages waiting in this thread's backlog for `to` because its inbox was full. */
export declare function queued(to: number): number

/**
 * Messages left in the inbox of a thread that ended without closing its bus, plus those this
 * thread could not deliver to it; taking them forgets them.
 */
export declare function takeUndelivered(threadId: number): unknown[]

export declare function isOpen(): boolean

/** This thread's id (`require('node:worker_threads').threadId`). */
export declare const threadId: number

/** The raw N-API functions behind `lib/transport/bus.js` (`require('fluxion/lib/native').load()`). */
export interface NativeBus {
  busOpen(threadId: number, onWake: () => void, capacity?: BusCapacity): void
  busSend(to: number, payload: Uint8Array): boolean
  /** `count` JSON texts joined with commas, as one frame `[...]`; false (nothing queued) if they do not all fit. */
  busSendJson(to: number, json: string, count: number): boolean
  busHasInbox(to: number): boolean
  /** `[u32 LE length][bytes]...`; returns how many were delivered before the inbox filled. */
  busSendPacked(to: number, packed: Uint8Array): number
  busSendBlocking(to: number, payload: Uint8Array, timeoutMs: number): boolean
  /** One Buffer per frame (a `busSendJson` batch is one frame). */
  busDrain(threadId: number, max?: number): Buffer[]
  /** One Buffer `[u32 LE length][u32 LE message count][bytes]...`, empty when nothing is pending. */
  busDrainPacked(threadId: number, max?: number, maxBytes?: number): Buffer
  /** Copies frames (as in `busDrainPacked`) into `target`; returns bytes written, or -(size needed) if the oldest does not fit. */
  busDrainInto(threadId: number, target: Buffer, max?: number): number
  busClose(threadId: number): Buffer[]
  busTakeUndelivered(threadId: number): Buffer[]
  busStats(): BusInboxStats[]
}
