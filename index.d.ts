// Types for the fluxion package. Mirrors lib/*.js (hand-written; the addon's raw binding types are
// generated into native.d.ts by `npm run build`).

export * from './versions';

/** Project configuration: the "fluxion" key of package.json, or module.exports of fluxion.config.js. */
export interface FluxionConfig {
  /**
   * Extra callees the compiler treats as rupture points, on top of Node core and Express.
   * Patterns are dot paths: `"db.query"`, `"redis.*"`, `"*.subscribe"`; a module's name stands for
   * what `require()`/`import` gives (`"mysql.createPool().query"`).
   */
  rupturePoints?: {
    /** Listeners: each call of the callback starts a new chain (`>>`). */
    start?: string[];
    /** Continuations: the callback runs once with an asynchronous result (`->`). */
    post?: string[];
  };
  /** Packages (besides Node's own modules) known to keep no per-process state. */
  statelessModules?: string[];
  /** Packages under node_modules that the require hook compiles too. */
  compileNodeModules?: string[];
}

/**
 * The process's settings (lib/config.js SETTINGS; `fluxion help settings`): read once from the
 * FLUXION_* environment variables, checked, frozen; workers get the main thread's copy.
 */
export interface FluxionSettings {
  /** FLUXION_WORKERS: worker threads (default one per core). */
  readonly workers: number;
  /** FLUXION_PLACEMENT. */
  readonly placement: 'auto' | 'eager' | 'inline';
  /** FLUXION_OFFLOAD_ABOVE_US; null: 150 µs or twice a message's cost. */
  readonly offloadAboveUs: number | null;
  /** FLUXION_TRANSPORT. */
  readonly transport: 'port' | 'bus';
  /** FLUXION_REBALANCE. */
  readonly rebalance: boolean;
  /** FLUXION_REBALANCE_MS. */
  readonly rebalanceMs: number;
  /** FLUXION_WORKER_YOUNG_MB; 0: V8's own limit. */
  readonly workerYoungMb: number;
  /** FLUXION_JIT. */
  readonly jit: boolean;
  /** FLUXION_TAILS. */
  readonly tails: boolean;
  /** FLUXION_STRICT. */
  readonly strict: boolean;
  /** FLUXION_CACHE. */
  readonly cache: boolean;
  /** FLUXION_CACHE_DIR; null: node_modules/.cache/fluxion, else fluxion-cache-UID in the temp dir. */
  readonly cacheDir: string | null;
  /** FLUXION_STATS_FILE (`%p`: the process id); null: none. */
  readonly statsFile: string | null;
  /** FLUXION_DASHBOARD: the live dashboard's port (0: any free one); null: off. */
  readonly dashboard: number | null;
  /** FLUXION_DASHBOARD_HOST: its address (default 127.0.0.1; other than loopback needs a token). */
  readonly dashboardHost: string;
  /** FLUXION_DASHBOARD_TOKEN: the secret the dashboard asks for; null: none (loopback only). */
  readonly dashboardToken: string | null;
  /** FLUXION_GOT_TOKEN: the token GoT servers require and remote dataframes present; null: none. */
  readonly gotToken: string | null;
  /** FLUXION_GOT_ORIGINS: comma-separated WebSocket origins GoT servers accept (`*`: any);
   *  null: the server's own host. */
  readonly gotOrigins: string | null;
}

/** The settings in use (validated on first call; throws FluxionConfigError on a bad one). */
export function settings(): Readonly<FluxionSettings>;

/** svg: a picture laid out by dagre, as the dashboard draws the graph. */
export type EmitFormat = 'flx' | 'json' | 'dot' | 'svg';

export interface CompileOptions {
  /** Used in messages and to find the project configuration. Default `<input>`. */
  filename?: string;
  /** Default `flx`. */
  emit?: EmitFormat;
  /** Use this configuration instead of looking it up from `filename`. */
  config?: FluxionConfig;
}

export interface CompileWarning {
  code: 'opaque-eval' | 'opaque-with' | 'recovered-syntax' | string;
  message: string;
  file: string;
  line: number;
  column: number;
}

export interface CompileResult {
  output: string;
  warnings: CompileWarning[];
}

export type RuptureKind = 'start' | 'post';
export type VarKind = 'scope' | 'stream' | 'share' | 'resource' | 'module' | 'code';
export type ResourceKind = 'request' | 'response' | 'next' | 'socket' | 'stream' | 'server' | 'app';
export interface Loc {
  line: number;
  col: number;
}

/** What the runtime needs to decide where a fluxion may run. */
export interface FluxionHints {
  resources: Array<{
    name: string;
    kind: ResourceKind;
    props: string[];
    calls: string[];
    escapes: boolean;
    /**
     * When it escapes only as an argument of calls to named functions declared outside the
     * fluxion (`fn(req, res, next)` in a wrapper made by `wrap(fn)`): those calls. `args` is
     * every argument of the call, a parameter's name (`req`, `...args`) or `?`.
     */
    passedTo?: Array<{ callee: string; index: number; spread: boolean; args: string[] }>;
    /** A rest parameter (`...args`): the arguments as an array. */
    rest?: boolean;
    /**
     * A rest parameter whose elements (`args[i]`) only go into locals that are only called or
     * handed to a promise (`const next = args[args.length - 1]` ... `.catch(next)`).
     */
    elementsOnlyCalled?: boolean;
  }>;
  state: Array<{ name: string; kind: VarKind; write: boolean; pureInit: boolean; constant: boolean }>;
  modules: string[];
  /** Parameters of the factory that re-creates a post callback on another thread. */
  factory?: string[];
  usesThis: boolean;
  /**
   * How many parameter names its function declares (a destructured parameter counts each name):
   * a route handler with four is analysed as an error handler (error, request, response, next).
   */
  params: number;
  registered: boolean;
  dynamicRequire: boolean;
}

export interface FluxionGraph {
  file: string;
  fluxions: Array<{
    name: string;
    id: string;
    kind: 'main' | 'callback' | 'continuation';
    tags: string[];
    context: string[];
    streams: Array<{ kind: RuptureKind; to: string; vars: string[] }>;
    loc: Loc;
    /** For a route handler: its method and path as the source says (`GET /count`, `USE /`). */
    route?: string;
    span: [number, number];
    opaque: boolean;
    hints: FluxionHints;
  }>;
  variables: Array<{
    name: string;
    kind: VarKind;
    declaredIn: string;
    loc: Loc;
    usedBy: string[];
    writtenBy: string[];
    tag?: string;
    resource?: ResourceKind;
  }>;
  rupturePoints: Array<{
    kind: RuptureKind;
    callee: string;
    loc: Loc;
    from: string;
    to: string[];
    dynamic?: string[];
    event?: string;
  }>;
  warnings: Array<{ code: string; message: string; file: string; loc: Loc }>;
  /** Some module-level variable is written after the top level ran. */
  stateful: boolean;
  esModule: boolean;
}

/** Compiles one module; throws FluxionSyntaxError (with file, line, column, frame) on bad input. */
export function compile(source: string, options?: CompileOptions): CompileResult;
/** The fluxion graph of one module, as an object. */
export function graph(source: string, options?: Omit<CompileOptions, 'emit'>): FluxionGraph;
/** The compiler's version. */
export function version(): string;

export class FluxionSyntaxError extends SyntaxError {
  code: 'FLUXION_SYNTAX';
  file: string;
  line: number;
  column: number;
  frame: string;
  reason: string;
}
export class FluxionConfigError extends Error {
  code: 'FLUXION_CONFIG';
  /** The variable, option or config key as the user wrote it (e.g. `FLUXION_WORKERS`). */
  key: string;
  /** 'environment', 'command line', or the configuration file. */
  source?: string;
  /** For settings: what the setting accepts. */
  allowed?: string;
  /** For settings: the value given. */
  given?: string;
}
export class FluxionInternalError extends Error {
  code: 'FLUXION_INTERNAL';
  file?: string;
}

// ---- runtime ------------------------------------------------------------------------------------

export interface FluxionStats {
  /**
   * `<file>#<name>@<offset>`; handlers compiled at run time from the router use the same form,
   * with `~<n>` for the n-th closure a factory made of the same code.
   */
  id: string;
  /** For a route handler: its method and path, for people (`GET /count`, `POST <dynamic>`). */
  route?: string | null;
  /** Where its code is: `file:line:column` (modules compiled as they load). */
  source?: string | null;
  /**
   * `replicated` (with `compiled at run time`, or `optimistic on replicas: <n> committed,
   * <n> conflicts, <n> unfinished` for handlers run on copies of a shared object), `group <key>`
   * (one thread hosts its context), or `main (<reason>)`.
   */
  placement: string;
  messagesIn: number;
  messagesOut: number;
  /** Messages received and not yet run. */
  inbox: number;
  executions: Array<{ threadId: number; count: number }>;
  /** Mean wall-clock time of a run. */
  meanRunMs: number;
  /** Mean CPU time of a run on the thread that ran it: what placement decides on. */
  meanCpuMs: number;
  /** Mean CPU time a message to it cost its sender (building and sending it): a run must cost more to move. */
  meanMessageCpuMs: number;
}

/**
 * Runs an Express app's fluxions on worker threads and returns the same app. Handlers of modules
 * loaded through the require hook (`node -r fluxion/register`) are compiled as they load; every
 * other handler in the app's router (node_modules, factories, handlers added later) is compiled
 * from its live source and closure now and whenever the router grows (`FLUXION_JIT=0`: off).
 * Under the require hook this also happens by itself when the app's server starts listening.
 * The pool has one worker per core (`os.availableParallelism()`; `FLUXION_WORKERS` overrides):
 * the main thread mostly waits on sockets and shares a core with a worker. `FLUXION_WORKER_YOUNG_MB`
 * caps each worker's V8 young generation (default `0`: V8's own limit).
 */
export function fluxionize<T extends (...args: any[]) => any>(app: T): T;
/** Per-fluxion figures for the whole process, from whichever thread calls it. */
export function stats(): FluxionStats[];
/**
 * Undoes what fluxion did to this process: workers stopped, `net.Server.prototype.listen` and the
 * require hook restored (the Jest preset calls it after each test file).
 */
export function shutdown(): Promise<void>;
/** Stops a worker thread (by thread id or slot); it is replaced, its requests get an error response. */
export function terminateWorker(which?: number): Promise<number>;
/** The worker pool, from the main thread. */
export function workers(): Array<{
  slot: number;
  threadId: number;
  inflight: number;
  /** Contexts (group keys) this worker hosts. */
  groups: string[];
}>;
/**
 * Moves a fluxion's context (its group) to another thread without losing a message or a write.
 * `fluxionOrGroup`: a fluxion id from stats() or a group key; `threadId`: a worker's thread id
 * (see workers()) or 0 for the main thread. Resolves to the new host. Main thread only.
 */
export function moveContext(fluxionOrGroup: string, threadId: number): Promise<number>;
