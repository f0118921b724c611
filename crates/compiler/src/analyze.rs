//! Scope facts: every function, every binding, every read and write, every rupture site.
//!
//! Runs after swc's `resolver`, so each identifier carries the syntax context of the binding it
//! refers to. Two passes over the AST: `Declarations` creates functions and bindings (hoisting
//! means a use can precede its declaration), `Uses` records accesses and rupture sites.

use crate::diagnostics::{Warning, WarningCode};
use crate::rules::{ParamShape, Rules, RuptureKind};
use crate::source::SourceText;
use std::collections::{HashMap, HashSet};
use swc_core::common::{BytePos, Span, Spanned, SyntaxContext};
use swc_core::ecma::ast::*;
use swc_core::ecma::atoms::Atom;
use swc_core::ecma::visit::{Visit, VisitWith};

pub type FuncId = usize;
pub type BindingId = usize;

/// Where a piece of code runs, lexically: module top level, or segment `k` of a function
/// (segment 0 is the code before the first `await`, segment `k` the code after the k-th).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    Top,
    In(FuncId, u32),
}

#[derive(Debug, Clone)]
pub struct Func {
    /// Byte range of the whole function in the source.
    pub span: (usize, usize),
    pub name: Option<String>,
    pub parent: Place,
    pub is_async: bool,
    pub params: Vec<BindingId>,
    /// The binding whose value is this function (`function f(){}`, `const f = () => {}`).
    pub binding: Option<BindingId>,
    /// Called where it is written: `(function () { ... })()`.
    pub is_iife: bool,
    /// One entry per `await`: where segment k+1 starts.
    pub segments: Vec<SegmentStart>,
    /// Contains `eval` or `with`: never moved, touches everything in scope.
    pub opaque: bool,
    pub is_arrow: bool,
    /// An arrow that reads `this` or `arguments` of the function around it: it cannot be
    /// re-created anywhere else.
    pub uses_this: bool,
    /// Byte ranges of the statements of its body (a block body), in order.
    pub stmts: Vec<(usize, usize)>,
}

#[derive(Debug, Clone, Copy)]
pub struct SegmentStart {
    /// Offset just after the `await` expression.
    pub at: usize,
    /// Offset of the end of the function-body statement containing that `await`.
    pub stmt_end: usize,
    /// Offset of the end of the function body.
    pub body_end: usize,
}

/// How a value was obtained, when the analysis can tell: `require('express')()` is
/// `Module("express")` followed by a call.
#[derive(Debug, Clone)]
pub struct Origin {
    pub root: OriginRoot,
    pub segs: Vec<Seg>,
}

#[derive(Debug, Clone)]
pub enum OriginRoot {
    Binding(BindingId),
    Global(String),
    Module(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Prop(String),
    Call,
}

/// What a value that cannot leave its thread is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceKind {
    Request,
    Response,
    Next,
    Socket,
    Stream,
    Server,
    App,
}

impl ResourceKind {
    /// Touching it means touching the network (or another thread-bound I/O object).
    pub fn is_network(self) -> bool {
        !matches!(self, ResourceKind::Request | ResourceKind::Next)
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub name: String,
    pub decl: Place,
    pub offset: usize,
    pub origin: Option<Origin>,
    pub func: Option<FuncId>,
    pub methods: HashMap<String, FuncId>,
    pub param_of: Option<(FuncId, usize)>,
    /// Holds a mutable container (object/array literal, `new X`): passing it to a call may
    /// mutate it.
    pub container: bool,
    pub is_import: bool,
    pub reassigned: bool,
    pub resource: Option<ResourceKind>,
    /// Declared with `let` or `var` at the top level: the runtime can save and restore it.
    pub assignable: bool,
    /// Initialised with an expression that gives the same value on every thread (literals,
    /// `require`, `path.join(__dirname, ...)`, `process.env.X`...).
    pub pure_init: bool,
    /// A `let`/`const`/class/function declared inside a block of the top level (`if (...) {
    /// let visits = 0 }`): only that block's code reaches it, so neither the runtime's context
    /// accessors nor a factory appended to the module can name it.
    pub block_scoped: bool,
    /// Initialised with a member path into another binding's value (`db.pets[id]`,
    /// `cache.get(k)` excluded): the object may be that binding's, shared, not a copy.
    pub member_of: Option<BindingId>,
}

/// `res.send(...)`, `req.query`, `res.status(404).json(...)`: a property of a parameter used
/// directly (or through a chain of calls on it).
#[derive(Debug, Clone)]
pub struct MemberUse {
    pub binding: BindingId,
    pub prop: String,
    pub at: Place,
    pub call: bool,
}

/// `obj.prop = value` where `value` mentions variables: if `obj` turns out to be a request or a
/// response, those variables' values are now reachable from it (an alias a copy would break).
#[derive(Debug, Clone)]
pub struct Store {
    pub target: BindingId,
    pub values: Vec<BindingId>,
    pub at: Place,
    /// The value is one of those bindings itself, or a member path into it (`req.pet = pet`,
    /// `req.pet = db.pets[id]`): the same object, not a new one built from it.
    pub alias: Option<BindingId>,
    /// The value is made here as an instance or a function (`new AsyncLocalStorage()`,
    /// `() => ...`, `class {}`): not plain data, so a copy on another thread would lose it.
    pub opaque: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Access {
    pub binding: BindingId,
    pub at: Place,
    pub write: bool,
    pub offset: usize,
}

/// A mention of a function bound to a name, for attributing its body to its callers.
#[derive(Debug, Clone, Copy)]
pub struct FnRef {
    pub func: FuncId,
    pub at: Place,
    pub direct_call: bool,
}

#[derive(Debug, Clone)]
pub enum Callback {
    /// A function the analysis resolved: written in place, by name, or `obj.method`.
    Func {
        func: FuncId,
        /// The argument's byte range (replaced by `>> name` in the fluxional text).
        arg: (usize, usize),
    },
    /// Known only at run time (`bodyParser(limit)`, `routes.handler` of another module).
    Dynamic { text: String },
}

#[derive(Debug, Clone)]
pub struct Site {
    pub kind: RuptureKind,
    pub callee: String,
    pub pattern: String,
    pub params: ParamShape,
    pub at: Place,
    pub offset: usize,
    pub callbacks: Vec<Callback>,
    /// The event name of `.on('event', fn)`.
    pub event: Option<String>,
    /// `p.then(a).then(b)`: `b` runs after `a`.
    pub after: Option<FuncId>,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub funcs: Vec<Func>,
    pub bindings: Vec<Binding>,
    pub accesses: Vec<Access>,
    pub fn_refs: Vec<FnRef>,
    pub sites: Vec<Site>,
    /// Places that call `listen`/`createServer`: they own sockets.
    pub network_at: Vec<Place>,
    pub top_opaque: bool,
    /// `module.exports = ...` or `exports.x = ...` at the top level with a value that may differ
    /// per thread (a call, `new`, a random number): a copy of the module elsewhere exports another.
    pub impure_exports: bool,
    /// `require(...)` called inside functions: modules loaded at run time, per thread.
    pub require_at: Vec<Place>,
    pub member_uses: Vec<MemberUse>,
    pub stores: Vec<Store>,
    /// Writes into an object held by a property of a binding (`req.session.views += 1`,
    /// `req.cart.items.push(x)`): the binding, that first property, where.
    pub member_writes: Vec<(BindingId, String, Place)>,
    pub warnings: Vec<Warning>,
    /// Directives (`'use strict'`) end here: code inserted at the top goes after them.
    pub prologue_end: usize,
    pub is_module: bool,
}

type Id = (Atom, SyntaxContext);

pub struct Analyzer<'a> {
    pub src: &'a SourceText<'a>,
    pub file: &'a str,
    pub start: BytePos,
    pub unresolved: SyntaxContext,
    pub rules: &'a Rules,
    /// See `Options::handlers`.
    pub handlers: &'a [usize],
    /// See `Options::functions`.
    pub functions: &'a [usize],
}

impl Analyzer<'_> {
    pub fn run(&self, program: &Program) -> Facts {
        let mut d = Declarations {
            a: self,
            facts: Facts::default(),
            ids: HashMap::new(),
            func_by_span: HashMap::new(),
            stack: Vec::new(),
            reassigned: HashSet::new(),
            pending_name: None,
            in_assignable_decl: false,
            in_var_decl: false,
            top_block_depth: 0,
        };
        program.visit_with(&mut d);
        for id in &d.reassigned {
            if let Some(&b) = d.ids.get(id) {
                d.facts.bindings[b].reassigned = true;
            }
        }
        let mut u = Uses {
            a: self,
            facts: d.facts,
            ids: d.ids,
            func_by_span: d.func_by_span,
            stack: Vec::new(),
            site_by_call: HashMap::new(),
        };
        program.visit_with(&mut u);
        let mut facts = u.facts;
        add_run_time_handlers(&mut facts, self.handlers, ParamShape::Express);
        add_run_time_handlers(&mut facts, self.functions, ParamShape::None);
        classify_resources(&mut facts);
        facts
    }

    fn off(&self, pos: BytePos) -> usize {
        (pos.0.saturating_sub(self.start.0)) as usize
    }

    fn range(&self, span: Span) -> (usize, usize) {
        (self.off(span.lo), self.off(span.hi))
    }

    fn warn(&self, facts: &mut Facts, code: WarningCode, span: Span, message: String) {
        facts.warnings.push(Warning {
            code,
            message,
            file: self.file.to_string(),
            loc: self.src.loc(self.off(span.lo)),
        });
    }
}

/// Every identifier an expression reads.
#[derive(Default)]
struct IdentCollector(Vec<Ident>);

impl Visit for IdentCollector {
    fn visit_ident(&mut self, i: &Ident) {
        self.0.push(i.clone());
    }
    fn visit_member_prop(&mut self, p: &MemberProp) {
        if let MemberProp::Computed(c) = p {
            c.visit_with(self);
        }
    }
    fn visit_prop_name(&mut self, p: &PropName) {
        if let PropName::Computed(c) = p {
            c.visit_with(self);
        }
    }
}

fn id_of(i: &Ident) -> Id {
    (i.sym.clone(), i.ctxt)
}

fn str_value(s: &Str) -> String {
    s.value.to_string_lossy().into_owned()
}

fn prop_name(p: &MemberProp) -> Option<String> {
    match p {
        MemberProp::Ident(i) => Some(i.sym.to_string()),
        MemberProp::Computed(c) => match &*c.expr {
            Expr::Lit(Lit::Str(s)) => Some(str_value(s)),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

fn key_name(k: &PropName) -> Option<String> {
    match k {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(str_value(s)),
        _ => None,
    }
}

fn strip_parens(mut e: &Expr) -> &Expr {
    loop {
        match e {
            Expr::Paren(p) => e = &p.expr,
            Expr::TsAs(t) => e = &t.expr,
            Expr::TsNonNull(t) => e = &t.expr,
            Expr::TsSatisfies(t) => e = &t.expr,
            _ => return e,
        }
    }
}

/// End offset of the leading directives (`'use strict';`), or the start of the first statement.
fn directives_end<'s>(stmts: impl Iterator<Item = Option<&'s Stmt>>, a: &Analyzer) -> usize {
    let mut end = 0;
    for s in stmts {
        match s {
            Some(Stmt::Expr(e)) if matches!(&*e.expr, Expr::Lit(Lit::Str(_))) => {
                end = a.off(e.span.hi);
            }
            _ => break,
        }
    }
    end
}

/// `res` in `res.x`, `res.status(404).x`: the parameter a member is read from, directly or
/// through a chain of method calls on it.
fn chain_root(e: &Expr) -> Option<&Ident> {
    match strip_parens(e) {
        Expr::Ident(i) => Some(i),
        Expr::Call(c) => match &c.callee {
            Callee::Expr(callee) => match strip_parens(callee) {
                Expr::Member(m) => chain_root(&m.obj),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// The identifier at the root of `a.b[c].d`.
fn root_ident(e: &Expr) -> Option<&Ident> {
    match strip_parens(e) {
        Expr::Ident(i) => Some(i),
        Expr::Member(m) => root_ident(&m.obj),
        Expr::OptChain(o) => match &*o.base {
            OptChainBase::Member(m) => root_ident(&m.obj),
            OptChainBase::Call(c) => root_ident(&c.callee),
        },
        _ => None,
    }
}

/// `req.session.views` -> (`req`, "session"): the root identifier and the property right after it,
/// when the chain goes at least one property further (a write into that property's object).
fn into_member(e: &Expr, min_depth: usize) -> Option<(&Ident, String)> {
    let Expr::Member(outer) = strip_parens(e) else {
        return None;
    };
    let mut chain = vec![outer];
    let mut obj = strip_parens(&outer.obj);
    while let Expr::Member(m) = obj {
        chain.push(m);
        obj = strip_parens(&m.obj);
    }
    let Expr::Ident(root) = obj else {
        return None;
    };
    if chain.len() < min_depth {
        return None;
    }
    let first = chain.last()?;
    Some((root, prop_name(&first.prop)?))
}

fn require_module(call: &CallExpr) -> Option<String> {
    let Callee::Expr(callee) = &call.callee else {
        return None;
    };
    let Expr::Ident(i) = strip_parens(callee) else {
        return None;
    };
    if &*i.sym != "require" || call.args.len() != 1 {
        return None;
    }
    match &*call.args[0].expr {
        Expr::Lit(Lit::Str(s)) => Some(str_value(s)),
        _ => None,
    }
}

/// `node:fs` is `fs`; a relative module (`./lib/db.js`) is named by its file stem (`db`), so that a
/// project rule `db.query` matches `require('./db').query`.
pub fn normalize_module(m: &str) -> String {
    if m.starts_with('.') || m.starts_with('/') {
        let stem = m.rsplit('/').next().unwrap_or(m);
        let stem = stem.split('.').next().unwrap_or(stem);
        return if stem.is_empty() {
            "index".into()
        } else {
            stem.to_string()
        };
    }
    m.strip_prefix("node:").unwrap_or(m).to_string()
}

/// Methods that only read their receiver. Any other method call on a binding counts as a write:
/// the analysis cannot prove it harmless, and state must never be silently split.
const READ_ONLY_METHODS: &[&str] = &[
    "get",
    "has",
    "includes",
    "indexOf",
    "lastIndexOf",
    "slice",
    "map",
    "filter",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
    "some",
    "every",
    "reduce",
    "reduceRight",
    "forEach",
    "join",
    "concat",
    "keys",
    "values",
    "entries",
    "toString",
    "toJSON",
    "valueOf",
    "at",
    "flat",
    "flatMap",
    "charAt",
    "charCodeAt",
    "codePointAt",
    "startsWith",
    "endsWith",
    "trim",
    "trimStart",
    "trimEnd",
    "toUpperCase",
    "toLowerCase",
    "split",
    "substring",
    "substr",
    "replace",
    "replaceAll",
    "match",
    "matchAll",
    "padStart",
    "padEnd",
    "repeat",
    "test",
    "exec",
    "call",
    "apply",
    "bind",
    "toFixed",
    "toISOString",
    "getTime",
    "format",
    "render",
    "compile",
    "hasOwnProperty",
    "localeCompare",
    "normalize",
    "search",
    "toLocaleString",
    "readUInt8",
    "readUInt32BE",
    "readUInt32LE",
    "equals",
    "compare",
    "digest",
];

fn is_function_expr(e: &Expr) -> bool {
    matches!(strip_parens(e), Expr::Fn(_) | Expr::Arrow(_))
}

// ---------------------------------------------------------------------------------------------
// Pass 1: functions and bindings.

/// `module.exports`, `module.exports.x`, `exports.x`.
fn is_exports_target(t: &AssignTarget) -> bool {
    let AssignTarget::Simple(SimpleAssignTarget::Member(m)) = t else {
        return false;
    };
    let is_module_exports = |e: &Expr| {
        matches!(strip_parens(e), Expr::Member(inner)
            if matches!(strip_parens(&inner.obj), Expr::Ident(o) if &*o.sym == "module")
                && prop_name(&inner.prop).as_deref() == Some("exports"))
    };
    let obj = strip_parens(&m.obj);
    (matches!(obj, Expr::Ident(o) if &*o.sym == "module")
        && prop_name(&m.prop).as_deref() == Some("exports"))
        || matches!(obj, Expr::Ident(o) if &*o.sym == "exports")
        || is_module_exports(obj)
}

struct Declarations<'a> {
    a: &'a Analyzer<'a>,
    facts: Facts,
    ids: HashMap<Id, BindingId>,
    func_by_span: HashMap<(u32, u32), FuncId>,
    stack: Vec<FuncId>,
    reassigned: HashSet<Id>,
    /// Name given to the next function expression by its context (`const f = function(){}`).
    pending_name: Option<String>,
    /// Inside a `let`/`var` declaration (not `const`, `using`).
    in_assignable_decl: bool,
    /// Inside a `var` declaration: function-scoped, so a top-level block does not enclose it.
    in_var_decl: bool,
    /// Blocks (if, for, switch, catch, `{}`) around the current top-level code.
    top_block_depth: usize,
}

impl Declarations<'_> {
    /// Visits a block; at the top level, what it declares with `let`/`const` is block-scoped.
    fn in_top_block(&mut self, visit: impl FnOnce(&mut Self)) {
        let top = self.stack.is_empty();
        if top {
            self.top_block_depth += 1;
        }
        visit(self);
        if top {
            self.top_block_depth -= 1;
        }
    }

    fn place(&self) -> Place {
        self.stack.last().map_or(Place::Top, |&f| Place::In(f, 0))
    }

    fn declare(&mut self, i: &Ident, place: Place) -> BindingId {
        if let Some(&b) = self.ids.get(&id_of(i)) {
            return b; // `var` redeclared, or a function declared twice
        }
        let b = self.facts.bindings.len();
        self.facts.bindings.push(Binding {
            name: i.sym.to_string(),
            decl: place,
            offset: self.a.off(i.span.lo),
            origin: None,
            func: None,
            methods: HashMap::new(),
            param_of: None,
            container: false,
            is_import: false,
            reassigned: false,
            resource: None,
            pure_init: false,
            assignable: false,
            block_scoped: self.stack.is_empty() && self.top_block_depth > 0 && !self.in_var_decl,
            member_of: None,
        });
        self.ids.insert(id_of(i), b);
        b
    }

    fn new_func(&mut self, span: Span, name: Option<String>, is_async: bool) -> FuncId {
        let f = self.facts.funcs.len();
        self.facts.funcs.push(Func {
            span: self.a.range(span),
            name,
            parent: self.place(),
            is_async,
            params: Vec::new(),
            binding: None,
            is_iife: false,
            segments: Vec::new(),
            opaque: false,
            is_arrow: false,
            uses_this: false,
            stmts: Vec::new(),
        });
        self.func_by_span.insert((span.lo.0, span.hi.0), f);
        f
    }

    fn declare_params<'p>(&mut self, f: FuncId, pats: impl Iterator<Item = &'p Pat>) {
        for (idx, pat) in pats.enumerate() {
            let ids: Vec<Ident> = swc_core::ecma::utils::find_pat_ids(pat);
            for i in ids {
                let b = self.declare(&i, Place::In(f, 0));
                self.facts.bindings[b].param_of = Some((f, idx));
                self.facts.funcs[f].params.push(b);
            }
        }
    }

    /// The origin of an expression, in terms of bindings (resolved later, lazily).
    /// The binding whose object a value may be (or be part of): `store` for `store`,
    /// `db.pets[id]`, `sessions.get(sid)`, `sessions.get(sid) || new Session()`.
    fn member_root(&self, e: &Expr) -> Option<BindingId> {
        match strip_parens(e) {
            Expr::Ident(i) => self.ids.get(&id_of(i)).copied(),
            Expr::Member(m) => self.member_root(&m.obj),
            Expr::Call(c) => match &c.callee {
                Callee::Expr(callee) => match strip_parens(callee) {
                    Expr::Member(m) => self.member_root(&m.obj),
                    _ => None,
                },
                _ => None,
            },
            Expr::Bin(b)
                if matches!(
                    b.op,
                    BinaryOp::LogicalOr | BinaryOp::NullishCoalescing | BinaryOp::LogicalAnd
                ) =>
            {
                self.member_root(&b.left)
                    .or_else(|| self.member_root(&b.right))
            }
            Expr::Cond(c) => self
                .member_root(&c.cons)
                .or_else(|| self.member_root(&c.alt)),
            _ => None,
        }
    }

    fn origin_of(&self, e: &Expr) -> Option<Origin> {
        match strip_parens(e) {
            Expr::Ident(i) => Some(Origin {
                root: match self.ids.get(&id_of(i)) {
                    Some(&b) => OriginRoot::Binding(b),
                    None => OriginRoot::Global(i.sym.to_string()),
                },
                segs: vec![],
            }),
            Expr::Member(m) => {
                let mut o = self.origin_of(&m.obj)?;
                o.segs.push(Seg::Prop(prop_name(&m.prop)?));
                Some(o)
            }
            Expr::Call(c) => {
                if let Some(m) = require_module(c) {
                    return Some(Origin {
                        root: OriginRoot::Module(m),
                        segs: vec![],
                    });
                }
                let Callee::Expr(callee) = &c.callee else {
                    return None;
                };
                let mut o = self.origin_of(callee)?;
                o.segs.push(Seg::Call);
                Some(o)
            }
            Expr::New(n) => {
                let mut o = self.origin_of(&n.callee)?;
                o.segs.push(Seg::Call);
                Some(o)
            }
            Expr::Await(a) => self.origin_of(&a.arg),
            _ => None,
        }
    }

    fn bind_pattern(&mut self, pat: &Pat, init: Option<&Expr>) {
        let place = self.place();
        match pat {
            Pat::Ident(bi) => {
                let b = self.declare(&bi.id, place);
                let Some(init) = init else { return };
                let init = strip_parens(init);
                let binding = &mut self.facts.bindings[b];
                binding.container = matches!(init, Expr::Object(_) | Expr::Array(_) | Expr::New(_));
                let origin = self.origin_of(init);
                self.facts.bindings[b].origin = origin;
                self.facts.bindings[b].pure_init = self.is_pure(init, 0);
                self.facts.bindings[b].member_of = self.member_root(init);
            }
            Pat::Object(op) => {
                let base = init.and_then(|e| self.origin_of(e));
                for prop in &op.props {
                    match prop {
                        ObjectPatProp::Assign(a) => {
                            let b = self.declare(&a.key.id, place);
                            if let Some(base) = &base {
                                let mut o = base.clone();
                                o.segs.push(Seg::Prop(a.key.id.sym.to_string()));
                                self.facts.bindings[b].origin = Some(o);
                            }
                        }
                        ObjectPatProp::KeyValue(kv) => {
                            if let (Pat::Ident(bi), Some(base), Some(k)) =
                                (&*kv.value, &base, key_name(&kv.key))
                            {
                                let b = self.declare(&bi.id, place);
                                let mut o = base.clone();
                                o.segs.push(Seg::Prop(k));
                                self.facts.bindings[b].origin = Some(o);
                            } else {
                                self.bind_pattern(&kv.value, None);
                            }
                        }
                        ObjectPatProp::Rest(r) => self.bind_pattern(&r.arg, None),
                    }
                }
            }
            _ => {
                let ids: Vec<Ident> = swc_core::ecma::utils::find_pat_ids(pat);
                for i in ids {
                    self.declare(&i, place);
                }
            }
        }
    }

    /// Follows `const x = require('m')` one step: `x.f` is then `m.f`.
    fn resolve_origin(&self, o: Origin) -> Origin {
        if let (OriginRoot::Binding(b), true) = (&o.root, o.segs.is_empty()) {
            let binding = &self.facts.bindings[*b];
            if let (Some(inner), false) = (&binding.origin, binding.reassigned) {
                return inner.clone();
            }
        }
        o
    }

    /// Same value on every thread that evaluates it (each thread runs the module's top level).
    fn is_pure(&self, e: &Expr, depth: u32) -> bool {
        if depth > 16 {
            return false;
        }
        let pure = |e: &Expr| self.is_pure(e, depth + 1);
        match strip_parens(e) {
            Expr::Lit(_) | Expr::Fn(_) | Expr::Arrow(_) => true,
            Expr::Tpl(t) => t.exprs.iter().all(|e| pure(e)),
            Expr::Ident(i) => match self.ids.get(&id_of(i)) {
                Some(&b) => {
                    let b = &self.facts.bindings[b];
                    b.pure_init || b.is_import || b.func.is_some()
                }
                None => matches!(
                    &*i.sym,
                    "__dirname" | "__filename" | "undefined" | "NaN" | "Infinity"
                ),
            },
            Expr::Member(m) => {
                let env = matches!(strip_parens(&m.obj), Expr::Member(inner)
                    if matches!(strip_parens(&inner.obj), Expr::Ident(p) if &*p.sym == "process")
                        && prop_name(&inner.prop).as_deref() == Some("env"));
                env || (pure(&m.obj) && !matches!(m.prop, MemberProp::Computed(_)))
            }
            Expr::Unary(u) => pure(&u.arg),
            Expr::Bin(b) => pure(&b.left) && pure(&b.right),
            Expr::Cond(c) => pure(&c.test) && pure(&c.cons) && pure(&c.alt),
            Expr::Array(a) => a
                .elems
                .iter()
                .flatten()
                .all(|x| x.spread.is_none() && pure(&x.expr)),
            Expr::Object(o) => o.props.iter().all(|p| match p {
                PropOrSpread::Prop(p) => match &**p {
                    Prop::KeyValue(kv) => pure(&kv.value),
                    Prop::Shorthand(i) => pure(&Expr::Ident(i.clone())),
                    Prop::Method(_) => true,
                    _ => false,
                },
                PropOrSpread::Spread(_) => false,
            }),
            Expr::Call(c) => {
                if require_module(c).is_some() {
                    return true;
                }
                let Callee::Expr(callee) = &c.callee else {
                    return false;
                };
                let args_pure = c.args.iter().all(|a| a.spread.is_none() && pure(&a.expr));
                let known = match strip_parens(callee) {
                    Expr::Member(m) => match (
                        self.origin_of(&m.obj).map(|o| self.resolve_origin(o)),
                        prop_name(&m.prop),
                    ) {
                        (
                            Some(Origin {
                                root: OriginRoot::Module(module),
                                segs,
                            }),
                            Some(f),
                        ) if segs.is_empty() => {
                            matches!(
                                normalize_module(&module).as_str(),
                                "path" | "url" | "util" | "querystring"
                            ) && !f.starts_with("callbackify")
                        }
                        (
                            Some(Origin {
                                root: OriginRoot::Global(g),
                                segs,
                            }),
                            Some(f),
                        ) if segs.is_empty() => {
                            matches!(
                                (g.as_str(), f.as_str()),
                                ("JSON", _)
                                    | ("Object", "freeze")
                                    | (
                                        "Math",
                                        "max" | "min" | "floor" | "ceil" | "round" | "abs" | "pow"
                                    )
                            )
                        }
                        _ => false,
                    },
                    Expr::Ident(i) => {
                        !self.ids.contains_key(&id_of(i))
                            && matches!(
                                &*i.sym,
                                "Number"
                                    | "String"
                                    | "Boolean"
                                    | "parseInt"
                                    | "parseFloat"
                                    | "Symbol"
                            )
                    }
                    _ => false,
                };
                known && args_pure
            }
            Expr::New(n) => {
                matches!(strip_parens(&n.callee), Expr::Ident(i)
                if !self.ids.contains_key(&id_of(i)) && matches!(&*i.sym, "Map" | "Set" | "WeakMap" | "RegExp"))
                    && n.args
                        .as_ref()
                        .is_none_or(|a| a.iter().all(|x| pure(&x.expr)))
            }
            _ => false,
        }
    }

    fn name_from_target(t: &AssignTarget) -> Option<String> {
        match t {
            AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => Some(i.id.sym.to_string()),
            AssignTarget::Simple(SimpleAssignTarget::Member(m)) => prop_name(&m.prop),
            _ => None,
        }
    }
}

impl Visit for Declarations<'_> {
    fn visit_fn_decl(&mut self, n: &FnDecl) {
        let place = self.place();
        let b = self.declare(&n.ident, place);
        let f = self.new_func(
            n.function.span,
            Some(n.ident.sym.to_string()),
            n.function.is_async,
        );
        self.facts.funcs[f].binding = Some(b);
        self.facts.bindings[b].func = Some(f);
        self.enter_function(f, &n.function);
    }

    fn visit_fn_expr(&mut self, n: &FnExpr) {
        let name = n
            .ident
            .as_ref()
            .map(|i| i.sym.to_string())
            .or_else(|| self.pending_name.take());
        self.pending_name = None;
        let f = self.new_func(n.function.span, name, n.function.is_async);
        if let Some(i) = &n.ident {
            let b = self.declare(i, Place::In(f, 0));
            self.facts.bindings[b].func = Some(f);
        }
        self.enter_function(f, &n.function);
    }

    fn visit_arrow_expr(&mut self, n: &ArrowExpr) {
        let name = self.pending_name.take();
        let f = self.new_func(n.span, name, n.is_async);
        self.facts.funcs[f].is_arrow = true;
        if let ArrowFunctionBody::FunctionBody(b) = &*n.body {
            self.facts.funcs[f].stmts = b.stmts.iter().map(|s| self.a.range(s.span())).collect();
        }
        self.stack.push(f);
        self.declare_params(f, n.params.iter());
        n.params.visit_with(self);
        n.body.visit_with(self);
        self.stack.pop();
    }

    fn visit_class_method(&mut self, n: &ClassMethod) {
        self.keyed_method(&n.key, &n.function);
    }

    fn visit_method_prop(&mut self, n: &MethodProp) {
        self.keyed_method(&n.key, &n.function);
    }

    fn visit_constructor(&mut self, n: &Constructor) {
        let f = self.new_func(n.span, Some("constructor".into()), false);
        self.stack.push(f);
        for p in &n.params {
            if let ParamOrTsParamProp::Param(p) = p {
                self.declare_params(f, std::iter::once(&p.pat));
            }
        }
        n.params.visit_with(self);
        n.body.visit_with(self);
        self.stack.pop();
    }

    fn visit_getter_prop(&mut self, n: &GetterProp) {
        self.keyed_method(&n.key, &n.function);
    }

    fn visit_setter_prop(&mut self, n: &SetterProp) {
        self.keyed_method(&n.key, &n.function);
    }

    fn visit_var_decl(&mut self, n: &VarDecl) {
        let outer = (self.in_assignable_decl, self.in_var_decl);
        self.in_assignable_decl = n.kind != VarDeclKind::Const;
        self.in_var_decl = n.kind == VarDeclKind::Var;
        n.visit_children_with(self);
        (self.in_assignable_decl, self.in_var_decl) = outer;
    }

    fn visit_block_stmt(&mut self, n: &BlockStmt) {
        self.in_top_block(|d| n.visit_children_with(d));
    }

    fn visit_for_stmt(&mut self, n: &ForStmt) {
        self.in_top_block(|d| n.visit_children_with(d));
    }

    fn visit_for_in_stmt(&mut self, n: &ForInStmt) {
        self.in_top_block(|d| n.visit_children_with(d));
    }

    fn visit_for_of_stmt(&mut self, n: &ForOfStmt) {
        self.in_top_block(|d| n.visit_children_with(d));
    }

    fn visit_switch_stmt(&mut self, n: &SwitchStmt) {
        self.in_top_block(|d| n.visit_children_with(d));
    }

    fn visit_var_declarator(&mut self, n: &VarDeclarator) {
        let before = self.facts.bindings.len();
        self.bind_pattern(&n.name, n.init.as_deref());
        if self.in_assignable_decl {
            for b in &mut self.facts.bindings[before..] {
                b.assignable = b.decl == Place::Top;
            }
        }
        if let (Pat::Ident(bi), Some(init)) = (&n.name, &n.init) {
            if is_function_expr(init) {
                self.pending_name = Some(bi.id.sym.to_string());
            }
            // The init's own function, if any, is the first one created while visiting it.
            let f = self.facts.funcs.len();
            init.visit_with(self);
            let b = self.ids[&id_of(&bi.id)];
            if is_function_expr(init) {
                self.facts.bindings[b].func = Some(f);
                if self.facts.funcs[f].binding.is_none() {
                    self.facts.funcs[f].binding = Some(b);
                }
            } else if let Expr::Object(obj) = strip_parens(init) {
                self.collect_methods(b, obj);
            }
        } else {
            n.init.visit_with(self);
        }
    }

    fn visit_assign_expr(&mut self, n: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Ident(i)) = &n.left {
            self.reassigned.insert(id_of(&i.id));
        }
        if let AssignTarget::Pat(p) = &n.left {
            let ids: Vec<Ident> = swc_core::ecma::utils::find_pat_ids(p);
            self.reassigned.extend(ids.iter().map(id_of));
        }
        n.left.visit_with(self);
        if is_function_expr(&n.right) {
            self.pending_name = Self::name_from_target(&n.left);
        }
        if self.stack.is_empty() && is_exports_target(&n.left) && !self.is_pure(&n.right, 0) {
            self.facts.impure_exports = true;
        }
        n.right.visit_with(self);
    }

    fn visit_update_expr(&mut self, n: &UpdateExpr) {
        if let Expr::Ident(i) = strip_parens(&n.arg) {
            self.reassigned.insert(id_of(i));
        }
        n.arg.visit_with(self);
    }

    fn visit_key_value_prop(&mut self, n: &KeyValueProp) {
        n.key.visit_with(self);
        if is_function_expr(&n.value) {
            self.pending_name = key_name(&n.key);
        }
        n.value.visit_with(self);
    }

    fn visit_call_expr(&mut self, n: &CallExpr) {
        n.callee.visit_with(self);
        for arg in &n.args {
            self.pending_name = None;
            arg.visit_with(self);
        }
        if let Callee::Expr(callee) = &n.callee {
            if let Expr::Fn(fe) = strip_parens(callee) {
                if let Some(&f) = self
                    .func_by_span
                    .get(&(fe.function.span.lo.0, fe.function.span.hi.0))
                {
                    self.facts.funcs[f].is_iife = true;
                }
            }
            if let Expr::Arrow(ae) = strip_parens(callee) {
                if let Some(&f) = self.func_by_span.get(&(ae.span.lo.0, ae.span.hi.0)) {
                    self.facts.funcs[f].is_iife = true;
                }
            }
        }
    }

    fn visit_class_decl(&mut self, n: &ClassDecl) {
        let place = self.place();
        self.declare(&n.ident, place);
        n.class.visit_with(self);
    }

    fn visit_class_expr(&mut self, n: &ClassExpr) {
        if let Some(i) = &n.ident {
            let place = self.place();
            self.declare(i, place);
        }
        n.class.visit_with(self);
    }

    fn visit_catch_clause(&mut self, n: &CatchClause) {
        self.in_top_block(|d| {
            if let Some(p) = &n.param {
                d.bind_pattern(p, None);
            }
            n.body.visit_with(d);
        });
    }

    fn visit_import_decl(&mut self, n: &ImportDecl) {
        let module = str_value(&n.src);
        for s in &n.specifiers {
            let (local, prop) = match s {
                ImportSpecifier::Named(ns) => {
                    let imported = match &ns.imported {
                        Some(ModuleExportName::Ident(i)) => i.sym.to_string(),
                        Some(ModuleExportName::Str(s)) => str_value(s),
                        None => ns.local.sym.to_string(),
                    };
                    (&ns.local, Some(imported))
                }
                ImportSpecifier::Default(d) => (&d.local, None),
                ImportSpecifier::Namespace(ns) => (&ns.local, None),
            };
            let b = self.declare(local, Place::Top);
            let mut segs = Vec::new();
            if let Some(p) = prop.filter(|p| p != "default") {
                segs.push(Seg::Prop(p));
            }
            let binding = &mut self.facts.bindings[b];
            binding.is_import = true;
            binding.origin = Some(Origin {
                root: OriginRoot::Module(module.clone()),
                segs,
            });
        }
    }

    fn visit_ts_module_decl(&mut self, _: &TsModuleDecl) {}
}

impl Declarations<'_> {
    fn enter_function(&mut self, f: FuncId, function: &Function) {
        if let Some(body) = &function.body {
            self.facts.funcs[f].stmts = body.stmts.iter().map(|s| self.a.range(s.span())).collect();
        }
        self.stack.push(f);
        self.declare_params(f, function.params.iter().map(|p| &p.pat));
        function.params.visit_with(self);
        function.body.visit_with(self);
        self.stack.pop();
    }

    /// Methods, getters and setters are named after their key.
    fn keyed_method(&mut self, key: &PropName, function: &Function) {
        key.visit_with(self);
        self.pending_name = key_name(key);
        self.method(function);
    }

    fn method(&mut self, function: &Function) {
        let name = self.pending_name.take();
        let f = self.new_func(function.span, name, function.is_async);
        self.enter_function(f, function);
    }

    fn collect_methods(&mut self, b: BindingId, obj: &ObjectLit) {
        for p in &obj.props {
            let PropOrSpread::Prop(p) = p else { continue };
            let (key, span) = match &**p {
                Prop::Method(m) => (key_name(&m.key), Some(m.function.span)),
                Prop::KeyValue(kv) => match strip_parens(&kv.value) {
                    Expr::Fn(fe) => (key_name(&kv.key), Some(fe.function.span)),
                    Expr::Arrow(ae) => (key_name(&kv.key), Some(ae.span)),
                    _ => (None, None),
                },
                _ => (None, None),
            };
            if let (Some(k), Some(span)) = (key, span) {
                if let Some(&f) = self.func_by_span.get(&(span.lo.0, span.hi.0)) {
                    self.facts.bindings[b].methods.insert(k, f);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: reads, writes, rupture sites.

struct Frame {
    func: FuncId,
    seg: u32,
    stmt_end: usize,
    body_end: usize,
}

struct Uses<'a> {
    a: &'a Analyzer<'a>,
    facts: Facts,
    ids: HashMap<Id, BindingId>,
    func_by_span: HashMap<(u32, u32), FuncId>,
    stack: Vec<Frame>,
    site_by_call: HashMap<(u32, u32), usize>,
}

impl Uses<'_> {
    /// `this`/`arguments` belong to the nearest non-arrow function: every arrow in between
    /// depends on it.
    fn mark_this(&mut self) {
        for fr in self.stack.iter().rev() {
            let f = &mut self.facts.funcs[fr.func];
            if !f.is_arrow {
                break;
            }
            f.uses_this = true;
        }
    }

    fn place(&self) -> Place {
        self.stack
            .last()
            .map_or(Place::Top, |fr| Place::In(fr.func, fr.seg))
    }

    fn binding(&self, i: &Ident) -> Option<BindingId> {
        if i.ctxt == self.a.unresolved {
            return None;
        }
        self.ids.get(&id_of(i)).copied()
    }

    /// `req.session.views = x` (depth 2: into req.session's object), or a method of unknown
    /// effect called on `req.cart` (depth 1: its receiver is req.cart's object).
    fn note_member_write(&mut self, target: &Expr, min_depth: usize) {
        if let Some((root, prop)) = into_member(target, min_depth) {
            if let Some(b) = self.binding(root) {
                let at = self.place();
                self.facts.member_writes.push((b, prop, at));
            }
        }
    }

    fn access(&mut self, i: &Ident, write: bool) {
        if let Some(b) = self.binding(i) {
            let at = self.place();
            let offset = self.a.off(i.span.lo);
            self.facts.accesses.push(Access {
                binding: b,
                at,
                write,
                offset,
            });
            // A write through a local that holds another binding's object (`const s = store;
            // s.n += 1`) writes that object too.
            let mut seen = b;
            for _ in 0..4 {
                // Not into a handler's parameters (`const body = req.body; body.x = 1` changes the
                // request, which travels back on its own).
                let Some(r) = self.facts.bindings[seen]
                    .member_of
                    .filter(|&r| r != seen && self.facts.bindings[r].param_of.is_none())
                else {
                    break;
                };
                if !write {
                    break;
                }
                self.facts.accesses.push(Access {
                    binding: r,
                    at,
                    write,
                    offset,
                });
                seen = r;
            }
        }
    }

    fn read_ident(&mut self, i: &Ident, direct_call: bool) {
        self.access(i, false);
        if let Some(b) = self.binding(i) {
            let binding = &self.facts.bindings[b];
            if let (Some(f), false) = (binding.func, binding.reassigned) {
                let at = self.place();
                self.facts.fn_refs.push(FnRef {
                    func: f,
                    at,
                    direct_call,
                });
            }
        }
    }

    fn func_at(&self, span: Span) -> Option<FuncId> {
        self.func_by_span.get(&(span.lo.0, span.hi.0)).copied()
    }

    fn enter(&mut self, f: FuncId, body_end: usize) {
        let parent = self.place();
        self.facts.funcs[f].parent = parent;
        for &b in &self.facts.funcs[f].params.clone() {
            self.facts.bindings[b].decl = Place::In(f, 0);
        }
        self.stack.push(Frame {
            func: f,
            seg: 0,
            stmt_end: body_end,
            body_end,
        });
    }

    fn visit_body_stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            if let Some(fr) = self.stack.last_mut() {
                fr.stmt_end = self.a.off(s.span().hi);
            }
            s.visit_with(self);
        }
    }

    fn function(&mut self, function: &Function) {
        let Some(f) = self.func_at(function.span) else {
            return function.visit_children_with(self);
        };
        let body_end = function
            .body
            .as_ref()
            .map_or(self.a.off(function.span.hi), |b| self.a.off(b.span.hi) - 1);
        self.enter(f, body_end);
        for p in &function.params {
            self.pat(&p.pat, PatMode::Param);
        }
        if let Some(body) = &function.body {
            self.visit_body_stmts(&body.stmts);
        }
        self.stack.pop();
    }

    /// Walks a pattern: binding names are declared or written, default values are read.
    fn pat(&mut self, p: &Pat, mode: PatMode) {
        match p {
            Pat::Ident(bi) => match mode {
                PatMode::Param => {}
                PatMode::Declare { init } => {
                    if let Some(b) = self.binding(&bi.id) {
                        let place = self.place();
                        self.facts.bindings[b].decl = place;
                    }
                    if init {
                        self.access(&bi.id, true);
                    }
                }
                PatMode::Assign => self.access(&bi.id, true),
            },
            Pat::Array(a) => {
                for e in a.elems.iter().flatten() {
                    self.pat(e, mode);
                }
            }
            Pat::Object(o) => {
                for prop in &o.props {
                    match prop {
                        ObjectPatProp::KeyValue(kv) => {
                            kv.key.visit_with(self);
                            self.pat(&kv.value, mode);
                        }
                        ObjectPatProp::Assign(a) => {
                            a.value.visit_with(self);
                            self.pat(&Pat::Ident(a.key.clone()), mode);
                        }
                        ObjectPatProp::Rest(r) => self.pat(&r.arg, mode),
                    }
                }
            }
            Pat::Rest(r) => self.pat(&r.arg, mode),
            Pat::Assign(a) => {
                a.right.visit_with(self);
                self.pat(&a.left, mode);
            }
            Pat::Expr(e) => self.write_target(e),
            Pat::Invalid(_) => {}
        }
    }

    /// `obj.x = v`, `obj[k]++`, `delete obj.x`: the root binding is written.
    fn record_store(&mut self, obj: &Expr, value: &Expr) {
        let Some(target) = root_ident(obj).and_then(|i| self.binding(i)) else {
            return;
        };
        let mut idents = IdentCollector::default();
        value.visit_with(&mut idents);
        let values: Vec<BindingId> = idents
            .0
            .iter()
            .filter_map(|i| self.binding(i))
            .filter(|&b| b != target)
            .collect();
        let value = strip_parens(value);
        let alias = match value {
            Expr::Ident(i) => self.binding(i),
            Expr::Member(_) => root_ident(value).and_then(|i| self.binding(i)),
            _ => None,
        };
        let opaque = matches!(
            value,
            Expr::New(_) | Expr::Fn(_) | Expr::Arrow(_) | Expr::Class(_)
        );
        if !values.is_empty() || opaque {
            let at = self.place();
            self.facts.stores.push(Store {
                target,
                values,
                at,
                alias,
                opaque,
            });
        }
    }

    fn write_target(&mut self, e: &Expr) {
        match strip_parens(e) {
            Expr::Ident(i) => self.access(i, true),
            other => {
                other.visit_with(self);
                if let Some(i) = root_ident(other) {
                    self.access(i, true);
                }
                self.note_member_write(other, 2);
            }
        }
    }

    fn resolve_fn(&self, e: &Expr) -> Option<FuncId> {
        match strip_parens(e) {
            Expr::Fn(fe) => self.func_at(fe.function.span),
            Expr::Arrow(ae) => self.func_at(ae.span),
            Expr::Ident(i) => {
                let b = &self.facts.bindings[self.binding(i)?];
                b.func.filter(|_| !b.reassigned)
            }
            Expr::Member(m) => {
                let Expr::Ident(obj) = strip_parens(&m.obj) else {
                    return None;
                };
                let b = &self.facts.bindings[self.binding(obj)?];
                if b.reassigned {
                    return None;
                }
                b.methods.get(&prop_name(&m.prop)?).copied()
            }
            // `handler.bind(this)`
            Expr::Call(c) => {
                let Callee::Expr(callee) = &c.callee else {
                    return None;
                };
                let Expr::Member(m) = strip_parens(callee) else {
                    return None;
                };
                (prop_name(&m.prop).as_deref() == Some("bind"))
                    .then(|| self.resolve_fn(&m.obj))
                    .flatten()
            }
            _ => None,
        }
    }

    /// Canonical path of a callee (see `rules`): `["express()", "get"]`.
    fn path_of(&self, e: &Expr, depth: u32) -> Option<Vec<String>> {
        if depth > 32 {
            return None;
        }
        match strip_parens(e) {
            Expr::Ident(i) => match self.binding(i) {
                Some(b) => Some(self.binding_path(b, depth + 1)),
                None => Some(vec![i.sym.to_string()]),
            },
            Expr::This(_) => Some(vec!["this".into()]),
            Expr::Member(m) => {
                let mut p = self.path_of(&m.obj, depth + 1)?;
                p.push(prop_name(&m.prop).unwrap_or_else(|| "[]".into()));
                Some(p)
            }
            Expr::Call(c) => {
                if let Some(m) = require_module(c) {
                    return Some(vec![normalize_module(&m)]);
                }
                let Callee::Expr(callee) = &c.callee else {
                    return None;
                };
                let mut p = self.path_of(callee, depth + 1)?;
                if let Some(last) = p.last_mut() {
                    last.push_str("()");
                }
                Some(p)
            }
            Expr::New(n) => {
                let mut p = self.path_of(&n.callee, depth + 1)?;
                if let Some(last) = p.last_mut() {
                    last.push_str("()");
                }
                Some(p)
            }
            _ => None,
        }
    }

    fn binding_path(&self, b: BindingId, depth: u32) -> Vec<String> {
        let binding = &self.facts.bindings[b];
        let fallback = || vec![binding.name.clone()];
        if binding.reassigned || depth > 32 {
            return fallback();
        }
        let Some(origin) = &binding.origin else {
            return fallback();
        };
        let mut p = match &origin.root {
            OriginRoot::Binding(r) if *r != b => self.binding_path(*r, depth + 1),
            OriginRoot::Binding(_) => return fallback(),
            OriginRoot::Global(g) => vec![g.clone()],
            OriginRoot::Module(m) => vec![normalize_module(m)],
        };
        for s in &origin.segs {
            match s {
                Seg::Prop(name) => p.push(name.clone()),
                Seg::Call => {
                    if let Some(last) = p.last_mut() {
                        last.push_str("()");
                    }
                }
            }
        }
        p
    }

    fn callee_effects(&mut self, callee: &Expr, path: Option<&[String]>) {
        let Expr::Member(m) = strip_parens(callee) else {
            return;
        };
        let Some(method) = prop_name(&m.prop) else {
            return;
        };
        if let (Some(root), false) = (
            root_ident(&m.obj),
            READ_ONLY_METHODS.contains(&method.as_str()),
        ) {
            // A method of unknown effect called on a binding may mutate it.
            self.access(root, true);
            self.note_member_write(&m.obj, 1);
        }
        if let Some(path) = path {
            if matches!(method.as_str(), "listen" | "createServer") && path.len() >= 2 {
                let place = self.place();
                self.facts.network_at.push(place);
            }
        }
    }

    fn record_site(&mut self, n: &CallExpr, path: &[String]) {
        let Some(rule) = self.a.rules.find(path) else {
            return;
        };
        let mut callbacks = Vec::new();
        for arg in &n.args {
            let e = strip_parens(&arg.expr);
            if let Some(func) = self.resolve_fn(e) {
                callbacks.push(Callback::Func {
                    func,
                    arg: self.a.range(arg.expr.span()),
                });
            } else if matches!(
                e,
                Expr::Ident(_) | Expr::Member(_) | Expr::Call(_) | Expr::Cond(_)
            ) && rule.kind == RuptureKind::Start
                && rule.params == ParamShape::Express
            {
                let (lo, hi) = self.a.range(arg.expr.span());
                callbacks.push(Callback::Dynamic {
                    text: self.a.src.slice(lo, hi).to_string(),
                });
            }
        }
        if callbacks.is_empty() {
            return;
        }
        let event = match n.args.first().map(|a| strip_parens(&a.expr)) {
            Some(Expr::Lit(Lit::Str(s)))
                if path.last().is_some_and(|l| {
                    l.starts_with("on") || l.contains("Listener") || l == "once"
                }) =>
            {
                Some(str_value(s))
            }
            _ => None,
        };
        // `p.then(a).then(b)`: b's upstream is a.
        let after = match &n.callee {
            Callee::Expr(c) => match strip_parens(c) {
                Expr::Member(m) => match strip_parens(&m.obj) {
                    Expr::Call(inner) => self
                        .site_by_call
                        .get(&(inner.span.lo.0, inner.span.hi.0))
                        .and_then(|&s| {
                            self.facts.sites[s].callbacks.iter().find_map(|c| match c {
                                Callback::Func { func, .. } => Some(*func),
                                Callback::Dynamic { .. } => None,
                            })
                        })
                        .filter(|_| rule.kind == RuptureKind::Post),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let params = match (rule.params, event.as_deref()) {
            (ParamShape::None, Some("request")) => ParamShape::Http,
            (ParamShape::None, Some("connection" | "secureConnection")) => ParamShape::Socket,
            (p, _) => p,
        };
        self.site_by_call
            .insert((n.span.lo.0, n.span.hi.0), self.facts.sites.len());
        self.facts.sites.push(Site {
            kind: rule.kind,
            callee: path.join("."),
            pattern: rule.pattern.clone(),
            params,
            at: self.place(),
            offset: self.a.off(n.span.lo),
            callbacks,
            event,
            after,
        });
    }

    fn make_opaque(&mut self, span: Span, code: WarningCode, what: &str) {
        let place = self.place();
        let name = match place {
            Place::Top => {
                self.facts.top_opaque = true;
                "the module's top level".to_string()
            }
            Place::In(f, _) => {
                self.facts.funcs[f].opaque = true;
                match &self.facts.funcs[f].name {
                    Some(n) => format!("function `{n}`"),
                    None => "the enclosing function".to_string(),
                }
            }
        };
        let msg = format!(
            "{what} hides which variables are read and written; {name} is opaque and stays on the main thread"
        );
        self.a.warn(&mut self.facts, code, span, msg);
    }
}

#[derive(Clone, Copy)]
enum PatMode {
    Param,
    Declare { init: bool },
    Assign,
}

impl Visit for Uses<'_> {
    fn visit_ident(&mut self, i: &Ident) {
        if &*i.sym == "arguments" && i.ctxt == self.a.unresolved {
            self.mark_this();
        }
        self.read_ident(i, false);
    }

    fn visit_this_expr(&mut self, _: &ThisExpr) {
        self.mark_this();
    }

    fn visit_module(&mut self, m: &Module) {
        self.facts.is_module = true;
        self.facts.prologue_end = directives_end(
            m.body.iter().map(|i| match i {
                ModuleItem::Stmt(s) => Some(s),
                ModuleItem::ModuleDecl(_) => None,
            }),
            self.a,
        );
        m.visit_children_with(self);
    }

    fn visit_script(&mut self, s: &Script) {
        self.facts.prologue_end = directives_end(s.body.iter().map(Some), self.a);
        s.visit_children_with(self);
    }

    fn visit_function(&mut self, n: &Function) {
        self.function(n);
    }

    fn visit_fn_decl(&mut self, n: &FnDecl) {
        self.function(&n.function);
    }

    fn visit_fn_expr(&mut self, n: &FnExpr) {
        self.function(&n.function);
    }

    fn visit_arrow_expr(&mut self, n: &ArrowExpr) {
        let Some(f) = self.func_at(n.span) else {
            return n.visit_children_with(self);
        };
        let body_end = self.a.off(n.span.hi);
        self.enter(f, body_end);
        for p in &n.params {
            self.pat(p, PatMode::Param);
        }
        match &*n.body {
            ArrowFunctionBody::FunctionBody(b) => self.visit_body_stmts(&b.stmts),
            ArrowFunctionBody::Expr(e) => e.visit_with(self),
        }
        self.stack.pop();
    }

    fn visit_constructor(&mut self, n: &Constructor) {
        let Some(f) = self.func_at(n.span) else {
            return n.visit_children_with(self);
        };
        self.enter(f, self.a.off(n.span.hi));
        if let Some(b) = &n.body {
            self.visit_body_stmts(&b.stmts);
        }
        self.stack.pop();
    }

    fn visit_param(&mut self, p: &Param) {
        self.pat(&p.pat, PatMode::Param);
    }

    fn visit_var_declarator(&mut self, n: &VarDeclarator) {
        n.init.visit_with(self);
        self.pat(
            &n.name,
            PatMode::Declare {
                init: n.init.is_some(),
            },
        );
    }

    fn visit_class_decl(&mut self, n: &ClassDecl) {
        n.class.visit_with(self);
    }

    fn visit_class_expr(&mut self, n: &ClassExpr) {
        n.class.visit_with(self);
    }

    fn visit_catch_clause(&mut self, n: &CatchClause) {
        if let Some(p) = &n.param {
            self.pat(p, PatMode::Declare { init: false });
        }
        n.body.visit_with(self);
    }

    fn visit_import_decl(&mut self, _: &ImportDecl) {}
    fn visit_labeled_stmt(&mut self, n: &LabeledStmt) {
        n.body.visit_with(self);
    }
    fn visit_break_stmt(&mut self, _: &BreakStmt) {}
    fn visit_continue_stmt(&mut self, _: &ContinueStmt) {}
    fn visit_ts_type(&mut self, _: &TsType) {}
    fn visit_ts_type_ann(&mut self, _: &TsTypeAnn) {}
    fn visit_ts_interface_decl(&mut self, _: &TsInterfaceDecl) {}
    fn visit_ts_type_alias_decl(&mut self, _: &TsTypeAliasDecl) {}
    fn visit_ts_module_decl(&mut self, _: &TsModuleDecl) {}

    fn visit_assign_expr(&mut self, n: &AssignExpr) {
        n.right.visit_with(self);
        match &n.left {
            AssignTarget::Simple(SimpleAssignTarget::Ident(i)) => {
                if n.op != AssignOp::Assign {
                    self.access(&i.id, false);
                }
                self.access(&i.id, true);
            }
            AssignTarget::Simple(SimpleAssignTarget::Member(m)) => {
                self.write_target(&Expr::Member(m.clone()));
                self.record_store(&m.obj, &n.right);
            }
            AssignTarget::Simple(other) => other.visit_with(self),
            AssignTarget::Pat(AssignTargetPat::Array(a)) => {
                self.pat(&Pat::Array(a.clone()), PatMode::Assign)
            }
            AssignTarget::Pat(AssignTargetPat::Object(o)) => {
                self.pat(&Pat::Object(o.clone()), PatMode::Assign)
            }
            AssignTarget::Pat(AssignTargetPat::Invalid(_)) => {}
        }
    }

    fn visit_update_expr(&mut self, n: &UpdateExpr) {
        if let Expr::Ident(i) = strip_parens(&n.arg) {
            self.access(i, false);
        }
        self.write_target(&n.arg);
    }

    fn visit_unary_expr(&mut self, n: &UnaryExpr) {
        if n.op == UnaryOp::Delete {
            self.write_target(&n.arg);
        } else {
            n.arg.visit_with(self);
        }
    }

    fn visit_await_expr(&mut self, n: &AwaitExpr) {
        n.arg.visit_with(self);
        let at = self.a.off(n.span.hi);
        if let Some(fr) = self.stack.last_mut() {
            self.facts.funcs[fr.func].segments.push(SegmentStart {
                at,
                stmt_end: fr.stmt_end,
                body_end: fr.body_end,
            });
            fr.seg += 1;
        }
    }

    fn visit_for_of_stmt(&mut self, n: &ForOfStmt) {
        n.right.visit_with(self);
        if n.is_await {
            let at = self.a.off(n.right.span().hi);
            if let Some(fr) = self.stack.last_mut() {
                self.facts.funcs[fr.func].segments.push(SegmentStart {
                    at,
                    stmt_end: fr.stmt_end,
                    body_end: fr.body_end,
                });
                fr.seg += 1;
            }
        }
        match &n.left {
            ForHead::VarDecl(v) => {
                for d in &v.decls {
                    self.pat(&d.name, PatMode::Declare { init: true });
                }
            }
            ForHead::Pat(p) => self.pat(p, PatMode::Assign),
            ForHead::UsingDecl(u) => u.visit_with(self),
        }
        n.body.visit_with(self);
    }

    fn visit_for_in_stmt(&mut self, n: &ForInStmt) {
        n.right.visit_with(self);
        match &n.left {
            ForHead::VarDecl(v) => {
                for d in &v.decls {
                    self.pat(&d.name, PatMode::Declare { init: true });
                }
            }
            ForHead::Pat(p) => self.pat(p, PatMode::Assign),
            ForHead::UsingDecl(u) => u.visit_with(self),
        }
        n.body.visit_with(self);
    }

    fn visit_with_stmt(&mut self, n: &WithStmt) {
        self.make_opaque(n.span, WarningCode::OpaqueWith, "`with`");
        n.obj.visit_with(self);
        n.body.visit_with(self);
    }

    fn visit_member_expr(&mut self, n: &MemberExpr) {
        n.obj.visit_with(self);
        if let MemberProp::Computed(c) = &n.prop {
            c.visit_with(self);
        }
        if let Some(b) = chain_root(&n.obj).and_then(|i| self.binding(i)) {
            if self.facts.bindings[b].param_of.is_some() {
                let at = self.place();
                self.facts.member_uses.push(MemberUse {
                    binding: b,
                    prop: prop_name(&n.prop).unwrap_or_else(|| "[]".into()),
                    at,
                    call: false,
                });
            }
        }
        // `routes.handler` of a local object literal: a reference to that function.
        if let (Expr::Ident(obj), Some(p)) = (strip_parens(&n.obj), prop_name(&n.prop)) {
            if let Some(b) = self.binding(obj) {
                if let Some(&f) = self.facts.bindings[b].methods.get(&p) {
                    let at = self.place();
                    self.facts.fn_refs.push(FnRef {
                        func: f,
                        at,
                        direct_call: false,
                    });
                }
            }
        }
    }

    fn visit_call_expr(&mut self, n: &CallExpr) {
        let Callee::Expr(callee) = &n.callee else {
            return n.visit_children_with(self);
        };
        if let Expr::Ident(i) = strip_parens(callee) {
            if &*i.sym == "eval" && i.ctxt == self.a.unresolved {
                self.make_opaque(n.span, WarningCode::OpaqueEval, "direct `eval`");
            }
            if &*i.sym == "require" && i.ctxt == self.a.unresolved && self.place() != Place::Top {
                let at = self.place();
                self.facts.require_at.push(at);
            }
            // Calling a parameter (`next()`) uses it, like a method call would.
            if let Some(b) = self.binding(i) {
                if self.facts.bindings[b].param_of.is_some() {
                    let at = self.place();
                    self.facts.member_uses.push(MemberUse {
                        binding: b,
                        prop: "()".into(),
                        at,
                        call: true,
                    });
                }
            }
        }
        let path = self.path_of(callee, 0);
        let uses_before = self.facts.member_uses.len();
        match strip_parens(callee) {
            Expr::Ident(i) => self.read_ident(i, true),
            other => other.visit_with(self),
        }
        // `res.send(...)`: the callee member itself was recorded last (its object first).
        if let Expr::Member(m) = strip_parens(callee) {
            let param_root = chain_root(&m.obj)
                .and_then(|i| self.binding(i))
                .is_some_and(|b| self.facts.bindings[b].param_of.is_some());
            if param_root && self.facts.member_uses.len() > uses_before {
                if let Some(u) = self.facts.member_uses.last_mut() {
                    u.call = true;
                }
            }
        }
        self.callee_effects(callee, path.as_deref());
        // `Object.assign(target, ...)` and friends write their first argument.
        if let Some(p) = &path {
            if p.len() == 2
                && p[0] == "Object"
                && matches!(
                    p[1].as_str(),
                    "assign" | "defineProperty" | "defineProperties" | "setPrototypeOf"
                )
            {
                if let Some(i) = n.args.first().and_then(|a| root_ident(&a.expr)) {
                    self.access(i, true);
                }
            }
        }
        for arg in &n.args {
            arg.visit_with(self);
            // A container passed to a function may be mutated by it.
            if let Expr::Ident(i) = strip_parens(&arg.expr) {
                if let Some(b) = self.binding(i) {
                    if self.facts.bindings[b].container {
                        self.access(i, true);
                    }
                }
            }
        }
        if let Some(p) = path {
            self.record_site(n, &p);
        }
    }
}

/// Functions the running app's router holds (`Options::handlers`) become start sites of their
/// own: the innermost function around each offset, unless a site already registers it.
fn add_run_time_handlers(facts: &mut Facts, offsets: &[usize], params: ParamShape) {
    for &at in offsets {
        let Some(func) = (0..facts.funcs.len())
            .filter(|&f| facts.funcs[f].span.0 <= at && at < facts.funcs[f].span.1)
            .min_by_key(|&f| facts.funcs[f].span.1 - facts.funcs[f].span.0)
        else {
            continue;
        };
        let registered = facts.sites.iter().any(|s| {
            s.kind == RuptureKind::Start
                && s.callbacks
                    .iter()
                    .any(|c| matches!(c, Callback::Func { func: g, .. } if *g == func))
        });
        if registered {
            continue;
        }
        let f = &facts.funcs[func];
        facts.sites.push(Site {
            kind: RuptureKind::Start,
            callee: "router".into(),
            pattern: "router".into(),
            params,
            at: f.parent,
            offset: f.span.0,
            callbacks: vec![Callback::Func { func, arg: f.span }],
            event: None,
            after: None,
        });
    }
}

/// Which bindings are resources: listener parameters by position, well-known parameter names,
/// and values made by socket/stream/server factories.
fn classify_resources(facts: &mut Facts) {
    let mut by_param: Vec<(BindingId, ResourceKind)> = Vec::new();
    for site in &facts.sites {
        for cb in &site.callbacks {
            let Callback::Func { func, .. } = cb else {
                continue;
            };
            let params = &facts.funcs[*func].params;
            let kinds: &[ResourceKind] = match (site.params, params.len()) {
                (ParamShape::Express, 4) => &[
                    ResourceKind::Next, // the error is a value, but keep it with its request
                    ResourceKind::Request,
                    ResourceKind::Response,
                    ResourceKind::Next,
                ],
                (ParamShape::Express, _) => &[
                    ResourceKind::Request,
                    ResourceKind::Response,
                    ResourceKind::Next,
                ],
                (ParamShape::Http, _) => &[ResourceKind::Request, ResourceKind::Response],
                (ParamShape::Socket, _) => &[ResourceKind::Socket],
                (ParamShape::None, _) => &[],
            };
            for (i, k) in kinds.iter().enumerate() {
                // Four-parameter error handlers: the first parameter is the error, a plain value.
                if site.params == ParamShape::Express && params.len() == 4 && i == 0 {
                    continue;
                }
                if let Some(&b) = params.get(i) {
                    by_param.push((b, *k));
                }
            }
        }
    }
    for (b, k) in by_param {
        facts.bindings[b].resource = Some(k);
    }
    for b in 0..facts.bindings.len() {
        if facts.bindings[b].resource.is_some() {
            continue;
        }
        let binding = &facts.bindings[b];
        let by_name = binding.param_of.and(match binding.name.as_str() {
            "req" | "request" => Some(ResourceKind::Request),
            "res" | "response" => Some(ResourceKind::Response),
            "next" => Some(ResourceKind::Next),
            "socket" | "sock" | "conn" | "connection" | "ws" => Some(ResourceKind::Socket),
            "stream" => Some(ResourceKind::Stream),
            _ => None,
        });
        let by_origin = binding.origin.as_ref().and_then(|o| {
            let last_call = o.segs.iter().rposition(|s| *s == Seg::Call)?;
            let name = match o.segs[..last_call].last() {
                Some(Seg::Prop(p)) => p.as_str(),
                Some(Seg::Call) => return None,
                None => match &o.root {
                    OriginRoot::Module(m) if m == "express" => return Some(ResourceKind::App),
                    OriginRoot::Binding(r) => {
                        let rb = &facts.bindings[*r];
                        return match &rb.origin {
                            Some(Origin {
                                root: OriginRoot::Module(m),
                                segs,
                            }) if m == "express" && segs.is_empty() => Some(ResourceKind::App),
                            _ => None,
                        };
                    }
                    _ => return None,
                },
            };
            match name {
                "createServer" | "listen" => Some(ResourceKind::Server),
                "connect" | "createConnection" | "Socket" => Some(ResourceKind::Socket),
                "createReadStream" | "createWriteStream" | "spawn" | "fork" => {
                    Some(ResourceKind::Stream)
                }
                "Router" => Some(ResourceKind::App),
                _ => None,
            }
        });
        facts.bindings[b].resource = by_name.or(by_origin);
    }
}
