//! The names compiled code uses to reach the runtime, in one place. `lib/core/abi.js` mirrors
//! them; `__test__/unit/core/abi.test.js` checks that the two agree.

/// The module-local variable that holds the runtime's per-module API.
pub const RUNTIME_VAR: &str = "__flx";
/// ES modules import the runtime's factory under this name.
pub const ESM_IMPORT: &str = "__flxRuntime";
/// `__flx.fn(id, f)`: a listener registered with the runtime, keeping its identity.
pub const FN: &str = "fn";
/// `__flx.route(id, f)`: a route handler; on the main thread it becomes a dispatcher.
pub const ROUTE: &str = "route";
/// `__flx.post(id, vars, f)`: a post callback, routed to the thread that hosts its fluxion.
pub const POST: &str = "post";
/// `__flx.factory(id, build)`: re-creates a post callback on another thread.
pub const FACTORY: &str = "factory";
/// `__flx.context(names, get, set)`: reads and writes the module's context variables.
pub const CONTEXT: &str = "context";
/// `__flx.tail(f, ...args)`: a context-free tail split off a fluxion with a context.
pub const TAIL: &str = "tail";
/// The name of a tail's function (its fluxion id starts with it).
pub const TAIL_FN: &str = "__flx_tail";
