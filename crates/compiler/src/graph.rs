//! The fluxion graph: what the compiler produces and every emitter prints.

use crate::analyze::ResourceKind;
use crate::diagnostics::Warning;
use crate::rules::RuptureKind;
use crate::source::Loc;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Graph {
    pub file: String,
    pub fluxions: Vec<Fluxion>,
    pub variables: Vec<Variable>,
    pub rupture_points: Vec<RupturePoint>,
    pub warnings: Vec<Warning>,
    /// Some module-level variable is written after the module's top level ran: every thread
    /// that loads this module gets its own copy, so code using it must run where its owner does.
    pub stateful: bool,
    /// An ES module (`import`/`export`); the others are scripts (CommonJS).
    pub es_module: bool,
    #[serde(skip)]
    pub rewrite: Rewrite,
    /// Context-free tails found in fluxions that own a context (see `tails`).
    #[serde(skip)]
    pub tails: Vec<Tail>,
}

/// The statements that end a fluxion with a context and touch it no more than by reading it:
/// `start..end` in the source, and the context variables they read (their values are passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    pub start: usize,
    pub end: usize,
    pub params: Vec<String>,
}

/// How to turn the module into one that registers its fluxions with the runtime.
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    /// Where code may be inserted at the top (after the directives).
    pub prologue_at: usize,
    /// Text inserted around a callback argument: `(start, end, before, after)`.
    pub wraps: Vec<(usize, usize, String, String)>,
    /// Post callbacks that another thread can re-create: `(id, params, span)`.
    pub factories: Vec<(String, Vec<String>, (usize, usize))>,
    /// Module-level variables that hold contexts (`let`/`var`): the runtime saves and restores
    /// them when a context is committed, recovered or moved.
    pub context_vars: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FluxionKind {
    /// The module's top level.
    Main,
    /// A function passed at a rupture point.
    Callback,
    /// The code after an `await`.
    Continuation,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fluxion {
    pub name: String,
    /// Unique in its module: `name@offset`. The runtime prefixes the file name.
    pub id: String,
    pub kind: FluxionKind,
    /// `network` when it touches sockets; `grp_x` for each shared variable `x`.
    pub tags: Vec<String>,
    /// Variables held in its context (scope, share and code variables).
    pub context: Vec<String>,
    pub streams: Vec<Stream>,
    pub loc: Loc,
    /// For a route handler (and the code after its `await`s): the method and path it answers,
    /// for people (`GET /count`, `USE /api`, `POST <dynamic>`); `id` and `loc` name the code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Byte range of its code in the source.
    pub span: (usize, usize),
    /// Contains `eval`/`with`: never moved.
    pub opaque: bool,
    /// What the runtime needs to decide where it may run.
    pub hints: Hints,
    /// Its code, with downstream fluxions replaced by `>> name` / `-> name`. Empty in the graph
    /// `transform` returns: only the flx form prints it (`classify::Texts`).
    #[serde(skip)]
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Hints {
    /// Resources it touches and how.
    pub resources: Vec<ResourceUse>,
    /// Module-level variables it reads or writes (not imports).
    pub state: Vec<StateUse>,
    /// Modules whose exports it uses (`require`/`import` specifiers).
    pub modules: Vec<String>,
    /// For a post callback that can be re-created on another thread: the variables its
    /// factory takes (its stream and resource variables).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factory: Option<Vec<String>>,
    /// An arrow depending on the enclosing `this`/`arguments`.
    pub uses_this: bool,
    /// How many parameter names its function declares (defaults and a rest included; a
    /// destructured parameter counts each of its names): the compiler gives a route handler's
    /// names the roles error, request, response, next when there are four, else request,
    /// response, next.
    pub params: usize,
    /// Its start or post callback is registered with the runtime (see `Rewrite`).
    pub registered: bool,
    /// Calls `require` while it runs: it would load its own copy of modules on another thread.
    pub dynamic_require: bool,
    /// State variables whose values it stores on a request or response (`req.user = users[id]`):
    /// a copy of the request would hold a copy of that state, and writes to it would be lost.
    pub stores_state: Vec<String>,
    /// Properties of the request or response whose objects it writes into (`req.session.views
    /// += 1`): objects earlier middleware put there, which other requests may share.
    pub writes_into: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceUse {
    pub name: String,
    pub kind: ResourceKind,
    /// Properties read or written directly (`req.query`, `res.locals`).
    pub props: Vec<String>,
    /// Methods called (`res.send`, `res.status(404).json` gives status and json).
    pub calls: Vec<String>,
    /// Used other than through its members: passed to a function, stored, returned.
    pub escapes: bool,
    /// When it escapes only as an argument of calls to named functions declared outside this
    /// fluxion (`fn(req, res, next)` in a wrapper made by `wrap(fn)`): those calls. The runtime
    /// may then check the callees as handlers; any other escape leaves this out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passed_to: Option<Vec<PassedTo>>,
    /// A rest parameter (`...args`): the arguments as an array.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rest: bool,
    /// A rest parameter whose elements (`args[i]`) are only taken into locals that are only
    /// called or handed to a promise (`const next = args[args.length - 1]` ... `.catch(next)`):
    /// they never reach anything else.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub elements_only_called: bool,
}

/// One call a resource is handed to (see `ResourceUse::passed_to`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassedTo {
    /// The function's name, as the fluxion's code says it.
    pub callee: String,
    /// The argument's position.
    pub index: usize,
    /// Passed as `...name`: its elements fill the positions from `index` on.
    pub spread: bool,
    /// The call's arguments: a parameter's name (`req`, `...args`) or `?` for anything else.
    pub args: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StateUse {
    pub name: String,
    pub kind: VarKind,
    pub write: bool,
    /// Its initialiser gives the same value on every thread that runs the module.
    pub pure_init: bool,
    /// Never written after such an initialiser: every thread has the same value.
    pub constant: bool,
    /// Never reassigned, and nothing in the module writes into it: its value on the main thread
    /// can be copied once the module has run (what run-time compilation does).
    pub fixed: bool,
    /// Declared in an enclosing function (a factory's parameter or local), not at the top level:
    /// a thread that loads the module does not have it.
    pub captured: bool,
    /// Assigned again after its declaration (`x = ...`): a reference to its value may go stale.
    pub rebound: bool,
    /// Declared in a block of the top level (`if (...) { let visits = 0 }`): no context
    /// accessor can reach it, so its users stay where the module runs.
    pub block_scoped: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stream {
    pub kind: RuptureKind,
    pub to: String,
    pub vars: Vec<String>,
}

/// The paper's §3.2 classes, plus `resource` (cannot leave its thread: travels as a handle),
/// `module` (a `require`/`import` binding: every thread loads its own) and `code` (a function
/// never reassigned, used by several fluxions: every thread has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VarKind {
    Scope,
    Stream,
    Share,
    Resource,
    Module,
    Code,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    pub name: String,
    pub kind: VarKind,
    pub declared_in: String,
    pub loc: Loc,
    pub used_by: Vec<String>,
    pub written_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ResourceKind>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RupturePoint {
    pub kind: RuptureKind,
    /// The canonical callee path, e.g. `express().get` or `fs.readFile`.
    pub callee: String,
    pub loc: Loc,
    /// The fluxion the call is in.
    pub from: String,
    /// Fluxions it feeds; empty when its callbacks are known only at run time.
    pub to: Vec<String>,
    /// Callback arguments the compiler cannot resolve (left to `fluxionize(app)` at run time).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dynamic: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
}

impl Graph {
    pub fn fluxion(&self, name: &str) -> Option<&Fluxion> {
        self.fluxions.iter().find(|f| f.name == name)
    }

    pub fn variable(&self, name: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.name == name)
    }
}
