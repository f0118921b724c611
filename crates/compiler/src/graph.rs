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
    pub kind: FluxionKind,
    /// `network` when it touches sockets; `grp_x` for each shared variable `x`.
    pub tags: Vec<String>,
    /// Variables held in its context (scope, share and code variables).
    pub context: Vec<String>,
    pub streams: Vec<Stream>,
    pub loc: Loc,
    /// Byte range of its code in the source.
    pub span: (usize, usize),
    /// Contains `eval`/`with`: never moved.
    pub opaque: bool,
    /// Its code, with downstream fluxions replaced by `>> name` / `-> name`.
    #[serde(skip)]
    pub text: String,
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
