// Types of the GoT layer: dataframes of typed objects, their server. Re-exported by index.d.ts.

/** Dimension kinds and the JavaScript values they hold. */
export interface DimKinds {
  /** A 64-bit integer: a number when it is a safe integer, a bigint beyond 2^53. */
  int: number | bigint
  float: number
  str: string
  bool: boolean
  /** Read back as a Buffer. */
  bytes: Uint8Array
  list: unknown[]
  map: Record<string, unknown>
  any: unknown
}

export type DimKind = keyof DimKinds

export interface DimensionSpec<K extends DimKind = DimKind, P extends boolean = boolean> {
  readonly kind: K
  readonly primaryKey: P
}

/** A dimension given as its kind (`'int'`) or as `dimension('int')` / `primaryKey('str')`. */
export type DimSpec = DimKind | DimensionSpec

type KindOf<S> = S extends DimKind ? S : S extends DimensionSpec<infer K, boolean> ? K : never
type KeyNames<D> = { [N in keyof D]: D[N] extends DimensionSpec<DimKind, true> ? N : never }[keyof D]

/** The object type a set of dimensions describes: the key is required, every other dimension
 *  optional (absent ones read back as null). */
export type ObjectOf<D extends Record<string, DimSpec>> = {
  [N in KeyNames<D>]: DimKinds[KindOf<D[N]>]
} & {
  [N in Exclude<keyof D, KeyNames<D>>]?: DimKinds[KindOf<D[N]>] | null
}

/** A declared type of tracked objects (the thesis's `@pcc_set` class). */
export interface PccSet<O extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string
  /** The primary-key dimension. */
  readonly key: string
  readonly dims: ReadonlyArray<{ readonly name: string; readonly kind: DimKind }>
  /** Phantom: the object type, for inference only. */
  readonly __object?: O
}

export type ObjectOfSet<T> = T extends PccSet<infer O> ? O : Record<string, unknown>

/** A tracked dimension of kind `kind`. */
export declare function dimension<K extends DimKind>(kind: K): DimensionSpec<K, false>
/** The primary-key dimension: `int` or `str`. */
export declare function primaryKey<K extends 'int' | 'str'>(kind: K): DimensionSpec<K, true>
/**
 * Declares a type: `pccSet('Counter', { name: primaryKey('str'), count: 'int' })`. Exactly one
 * dimension is the primary key.
 */
export declare function pccSet<const D extends Record<string, DimSpec>>(
  name: string,
  dims: D,
): PccSet<ObjectOf<D>>
/** Alias of pccSet. */
export declare const defineType: typeof pccSet

/**
 * Decides one conflicting object of a 3-way merge: the object at the common ancestor
 * (`original`), on this side (`yours`) and on the shared side (`theirs`), each null where the
 * object does not exist. Return the merged object, or null to delete it. It runs inside the
 * merge and must not call dataframe methods; if it throws, the conflict resolves theirs-wins
 * and the operation rethrows the error.
 */
export type MergeFn = (
  original: Record<string, unknown> | null,
  yours: Record<string, unknown> | null,
  theirs: Record<string, unknown> | null,
  typeName: string,
) => Record<string, unknown> | null | undefined

export interface DataframeOptions {
  /** `got://host:port`: mirror that server's app of the same name. Default: the process-wide
   *  store shared by every thread of this process. */
  remote?: string
  /** Local dataframes: keep the app's version graph in this directory (created if needed; a
   *  push returns once durable; a restart recovers the graph and head). docs/durability.md */
  dataDir?: string
  mergeFn?: MergeFn
  /** Remote: connection and answer timeout in ms (default 30000). */
  timeoutMs?: number
  /** Remote: largest frame accepted from the server (default 16 MiB). */
  maxFrameBytes?: number
  /** Remote: deepest CBOR nesting accepted from the server (default 64). */
  maxDepth?: number
  /** Remote: the server's token, sent in each connection's first frame (default:
   *  FLUXION_GOT_TOKEN; null: none). */
  token?: string | null
}

export interface AwaitResult {
  /** 200: something new was fetched; 408: the timeout passed first. */
  status: 200 | 408
  changed: boolean
  /** The local head afterwards. */
  version: string
}

type TypeArg<T extends PccSet> = T | string

/** A local working copy of typed objects with its own version history (Table 3.1 of the thesis). */
export declare class Dataframe<Types extends ReadonlyArray<PccSet> = ReadonlyArray<PccSet>> {
  constructor(name: string, types: Types, options?: DataframeOptions)
  readonly name: string
  readonly remote: string | null
  addOne<T extends Types[number]>(type: TypeArg<T>, obj: ObjectOfSet<T>): void
  /** Adds objects, all or none; returns how many. */
  addMany<T extends Types[number]>(type: TypeArg<T>, objs: ReadonlyArray<ObjectOfSet<T>>): number
  /** A copy of the object, or null. */
  readOne<T extends Types[number]>(type: TypeArg<T>, key: number | bigint | string): ObjectOfSet<T> | null
  readAll<T extends Types[number]>(type: TypeArg<T>): Array<ObjectOfSet<T>>
  /** Changes dimensions of an existing object. */
  updateOne<T extends Types[number]>(type: TypeArg<T>, key: number | bigint | string, changes: Partial<ObjectOfSet<T>>): void
  updateOne<T extends Types[number]>(type: T, obj: ObjectOfSet<T>): void
  deleteOne<T extends Types[number]>(type: TypeArg<T>, key: number | bigint | string): void
  /** Returns how many objects were deleted. */
  deleteAll<T extends Types[number]>(type: TypeArg<T>): number
  /** Drops the changes made since the last commit or checkout. */
  discard(): void
  /** Records the staged changes as a new local version; returns the local head. */
  commit(): string
  /** Replaces the working copy with a version of the local history (default: the head). */
  checkout(version?: string): string
  /** Keeps a version in the (garbage-collected) local history until unpin. */
  pin(version: string): void
  unpin(version: string): void
  /** Gets new versions from the store or server and merges them into the local head. */
  fetch(): string
  /** Sends local versions; a remote dataframe fetches and merges first. Returns the store's or
   *  server's head. */
  push(): string | null
  /** fetch, then checkout. */
  pull(): string
  /** push with the network round trips off the JS thread. */
  pushAwait(): Promise<string | null>
  /** Waits (off the JS thread) for a version not seen yet, then fetches it. */
  fetchAwait(options?: { timeoutMs?: number }): Promise<AwaitResult>
  /** fetchAwait, then checkout. */
  pullAwait(options?: { timeoutMs?: number }): Promise<AwaitResult>
  /** Serves the process-wide store over the GoT protocol (local dataframes only). */
  serve(options?: ServeOptions): GotServer
  readonly head: string
  readonly version: string
  readonly serverVersion: string | null
  readonly hasStaged: boolean
  readonly localVersions: number
  readonly storeVersions: number
}

export interface ServeOptions {
  /** Keep the served apps' version graphs in this directory: stored apps come back at start,
   *  a push is acknowledged once durable (docs/durability.md). */
  dataDir?: string
  /** Default 127.0.0.1. Any other than loopback needs a token or allowUnauthenticated. */
  host?: string
  /** Default 0: any free port. */
  port?: number
  /** Largest accepted frame body in bytes (default 16 MiB); larger ones get status 413. */
  maxFrameBytes?: number
  /** Deepest accepted CBOR nesting (default 64). */
  maxDepth?: number
  /** Longest a fetch with Wait may block, in ms (default 30000). */
  maxWaitMs?: number
  /** Deadline for a whole frame (or WebSocket handshake) from its first byte, in ms, however
   *  slowly its bytes come (default 10000); a new connection's first byte must come within it
   *  too. Past it: status 400 and a close. */
  frameTimeoutMs?: number
  /** Longest a connection may wait between frames before it is closed, in ms (default 120000). */
  idleMs?: number
  /** Open connections at most (default 256). When full, the connection idle the longest is
   *  closed for the new one; only when none is idle does the new one get status 503. */
  maxConnections?: number
  /** Fetched-but-unacknowledged versions one connection may hold (default 16); the oldest is
   *  released beyond. */
  maxUnacked?: number
  /** Longest a fetched version stays held without its ack, in ms (default 60000). */
  unackedMs?: number
  /** The token clients must present: in the first frame (field 10), or in the WebSocket
   *  handshake (subprotocol `fluxion-got-token.<token>`, or `Authorization: Bearer`).
   *  16-256 characters of A-Z a-z 0-9 - . _ ~. Default: FLUXION_GOT_TOKEN; null: none. */
  token?: string | null
  /** Serve connections that present no token even though a token is set (a wrong token is
   *  still refused). Spacetime 2.1 clients cannot send a token: serving them with a token set
   *  needs this. Also needed to listen beyond loopback without a token. */
  allowUnauthenticated?: boolean
  /** WebSocket origins allowed (`scheme://host[:port]`), `["*"]` for any page. Default:
   *  FLUXION_GOT_ORIGINS, else pages of the server's own host (any port). Others get HTTP 403. */
  origins?: string[] | string
  /** The dataframes (apps) served. Default: every one but fluxion's internal ones
   *  (`fluxion-…`, e.g. fluxion-contexts); `dataframe.serve()`: that dataframe's. An internal
   *  one named here is served read-only. */
  apps?: string[]
}

/** A GoT server on Rust threads of this process: TCP and WebSocket on one port. It serves until
 *  close(), whether or not its object is kept. */
export declare class GotServer {
  readonly host: string
  readonly port: number
  /** got://host:port, for `new Dataframe(name, types, { remote })`. */
  readonly url: string
  /** ws://host:port, for browsers. */
  readonly wsUrl: string
  readonly connections: number
  close(): void
}

export declare function serve(options?: ServeOptions): GotServer

/** A dataframe, store or protocol error. */
export declare class GotError extends Error {
  /** GOT_SCHEMA, GOT_DIFF, GOT_UNKNOWN_VERSION, GOT_UNCOMMITTED, GOT_MERGE, GOT_REENTRANT,
   *  GOT_INVALID, GOT_NETWORK, GOT_STATUS_<status>, ... */
  code: string
  /** The server's status, for GOT_STATUS_* errors. */
  status?: number
}
