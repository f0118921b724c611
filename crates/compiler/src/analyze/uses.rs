//! Pass 2: reads, writes, rupture sites, member uses and stores, in terms of the bindings and
//! functions pass 1 declared.

use super::facts::*;
use super::input::Analyzer;
use super::syntax::*;
use crate::diagnostics::WarningCode;
use crate::rules::{route_chain_rule_path, route_label, ParamShape, RoutePath, RuptureKind};
use rustc_hash::FxHashMap as HashMap;
use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

pub(super) struct Frame {
    func: FuncId,
    seg: u32,
    stmt_end: usize,
    body_end: usize,
}

pub(super) struct Uses<'a> {
    pub(super) a: &'a Analyzer<'a>,
    pub(super) facts: Facts,
    pub(super) ids: IdMap<BindingId>,
    pub(super) func_by_span: HashMap<(u32, u32), FuncId>,
    pub(super) stack: Vec<Frame>,
    pub(super) site_by_call: HashMap<(u32, u32), usize>,
    /// The root binding of each call chain (`chain_root_binding`), by the call's address.
    pub(super) chain_roots: HashMap<usize, Option<BindingId>>,
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

    /// The binding at the root of a call chain (`chain_root`), remembered for each call of the
    /// chain: each member of `p.then(f).then(g)...` asks, and walking the chain each time is n².
    fn chain_root_binding(&mut self, e: &Expr) -> Option<BindingId> {
        let Expr::Call(c) = strip_parens(e) else {
            return chain_root(e).and_then(|i| self.binding(i));
        };
        let key = c as *const CallExpr as usize;
        if let Some(&r) = self.chain_roots.get(&key) {
            return r;
        }
        let r = match &c.callee {
            Callee::Expr(callee) => match strip_parens(callee) {
                Expr::Member(m) => self.chain_root_binding(&m.obj),
                _ => None,
            },
            _ => None,
        };
        self.chain_roots.insert(key, r);
        r
    }

    /// An argument that is a parameter of its function, by name: `req` in `fn(req, res, next)`.
    fn param_arg<'e>(&self, arg: &'e ExprOrSpread) -> Option<(&'e Ident, BindingId)> {
        let Expr::Ident(i) = strip_parens(&arg.expr) else {
            return None;
        };
        let b = self.binding(i)?;
        self.facts.bindings[b].param_of.map(|_| (i, b))
    }

    fn binding(&self, i: &Ident) -> Option<BindingId> {
        if i.ctxt == self.a.unresolved {
            return None;
        }
        self.ids.get(&key(i)).copied()
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
            self.access_binding(b, i, write);
        }
    }

    fn access_binding(&mut self, b: BindingId, i: &Ident, write: bool) {
        let at = self.place();
        let offset = self.a.off(i.span.lo);
        self.facts.accesses.push(Access {
            binding: b,
            at,
            write,
            offset,
        });
        if !write {
            return;
        }
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
            self.facts.accesses.push(Access {
                binding: r,
                at,
                write,
                offset,
            });
            seen = r;
        }
    }

    /// What `visit_ident` does, returning the binding found: callers that visit an identifier in
    /// place (`a` of `a.b`, a call's arguments) ask more of it without looking it up again.
    fn visit_ident_binding(&mut self, i: &Ident) -> Option<BindingId> {
        if &*i.sym == "arguments" && i.ctxt == self.a.unresolved {
            self.mark_this();
        }
        let b = self.binding(i)?;
        self.read_binding(b, i, false);
        Some(b)
    }

    /// A read of identifier `i`, bound to `b` (and a reference to its function, if it is one).
    fn read_binding(&mut self, b: BindingId, i: &Ident, direct_call: bool) {
        self.access_binding(b, i, false);
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

    fn func_at(&self, span: Span) -> Option<FuncId> {
        self.func_by_span.get(&(span.lo.0, span.hi.0)).copied()
    }

    fn enter(&mut self, f: FuncId, body_end: usize) {
        let parent = self.place();
        self.facts.funcs[f].parent = parent;
        for k in 0..self.facts.funcs[f].params.len() {
            let b = self.facts.funcs[f].params[k];
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
            Pat::Array(a) => self.array_pat(a, mode),
            Pat::Object(o) => self.object_pat(o, mode),
            Pat::Rest(r) => self.pat(&r.arg, mode),
            Pat::Assign(a) => {
                a.right.visit_with(self);
                self.pat(&a.left, mode);
            }
            Pat::Expr(e) => self.write_target(e),
            Pat::Invalid(_) => {}
        }
    }

    fn array_pat(&mut self, a: &ArrayPat, mode: PatMode) {
        for e in a.elems.iter().flatten() {
            self.pat(e, mode);
        }
    }

    fn object_pat(&mut self, o: &ObjectPat, mode: PatMode) {
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

    /// `write_target` of a member expression (`obj.x = v`), without building an `Expr` for it.
    fn write_member(&mut self, m: &MemberExpr) {
        self.visit_member_expr(m);
        if let Some(i) = root_ident(&m.obj) {
            self.access(i, true);
        }
        if let Some((root, prop)) = into_member_of(m, 2) {
            if let Some(b) = self.binding(root) {
                let at = self.place();
                self.facts.member_writes.push((b, prop, at));
            }
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
                b.methods.get(&*prop_str(&m.prop)?).copied()
            }
            // `handler.bind(this)`
            Expr::Call(c) => {
                let Callee::Expr(callee) = &c.callee else {
                    return None;
                };
                let Expr::Member(m) = strip_parens(callee) else {
                    return None;
                };
                (prop_str(&m.prop).as_deref() == Some("bind"))
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
        let Some(origin) = binding.origin.as_deref() else {
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
        let Some(method) = prop_str(&m.prop) else {
            return;
        };
        if let (Some(root), false) = (root_ident(&m.obj), READ_ONLY_METHODS.contains(&&*method)) {
            // A method of unknown effect called on a binding may mutate it.
            self.access(root, true);
            self.note_member_write(&m.obj, 1);
        }
        if let Some(path) = path {
            if SERVER_STARTS.contains(&&*method) && path.len() >= 2 {
                let place = self.place();
                self.facts.network_at.push(place);
            }
        }
    }

    fn record_site(&mut self, n: &CallExpr, path: &[String]) {
        let chain = route_chain_rule_path(path);
        let Some(rule) = self
            .a
            .rules
            .find(path)
            .or_else(|| chain.as_deref().and_then(|p| self.a.rules.find(p)))
        else {
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
        let route = if rule.kind == RuptureKind::Start && params == ParamShape::Express {
            path.last()
                .and_then(|m| route_label(m, &route_path(n, path)))
        } else {
            None
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
            route,
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

/// Methods that start a server (`callee_effects`).
const SERVER_STARTS: [&str; 2] = ["listen", "createServer"];
/// `Object` methods that write their first argument.
const OBJECT_WRITERS: [&str; 4] = [
    "assign",
    "defineProperty",
    "defineProperties",
    "setPrototypeOf",
];

#[derive(Clone, Copy)]
enum PatMode {
    Param,
    Declare { init: bool },
    Assign,
}

impl Visit for Uses<'_> {
    fn visit_ident(&mut self, i: &Ident) {
        self.visit_ident_binding(i);
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
                self.write_member(m);
                self.record_store(&m.obj, &n.right);
            }
            AssignTarget::Simple(other) => other.visit_with(self),
            AssignTarget::Pat(AssignTargetPat::Array(a)) => self.array_pat(a, PatMode::Assign),
            AssignTarget::Pat(AssignTargetPat::Object(o)) => self.object_pat(o, PatMode::Assign),
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
        // `a.b`, the commonest expression: `a` is visited here, its binding looked up once for
        // the visit (`visit_ident`), the chain root and the methods below.
        let obj_ident = match strip_parens(&n.obj) {
            Expr::Ident(i) => Some(i),
            _ => None,
        };
        let obj_binding = match obj_ident {
            Some(i) => self.visit_ident_binding(i),
            None => {
                n.obj.visit_with(self);
                None
            }
        };
        if let MemberProp::Computed(c) = &n.prop {
            c.visit_with(self);
        }
        let root = match obj_ident {
            Some(_) => obj_binding,
            None => self.chain_root_binding(&n.obj),
        };
        if let Some(b) = root {
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
        let method = obj_binding
            .filter(|&b| !self.facts.bindings[b].methods.is_empty())
            .and_then(|b| prop_str(&n.prop).map(|p| (b, p)));
        if let Some((b, p)) = method {
            if let Some(&f) = self.facts.bindings[b].methods.get(&*p) {
                let at = self.place();
                self.facts.fn_refs.push(FnRef {
                    func: f,
                    at,
                    direct_call: false,
                });
            }
        }
    }

    fn visit_call_expr(&mut self, n: &CallExpr) {
        let Callee::Expr(callee) = &n.callee else {
            return n.visit_children_with(self);
        };
        // The callee's binding, looked up once for the several questions below.
        let callee_ident = match strip_parens(callee) {
            Expr::Ident(i) => Some(i),
            _ => None,
        };
        let callee_binding = callee_ident.and_then(|i| self.binding(i));
        if let Some(i) = callee_ident {
            if &*i.sym == "eval" && i.ctxt == self.a.unresolved {
                self.make_opaque(n.span, WarningCode::OpaqueEval, "direct `eval`");
            }
            if &*i.sym == "require" && i.ctxt == self.a.unresolved && self.place() != Place::Top {
                let at = self.place();
                self.facts.require_at.push(at);
            }
            // Calling a parameter (`next()`) uses it, like a method call would.
            if let Some(b) = callee_binding {
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
        // The callee's path is read by the rules, a server start and `Object.assign` (below):
        // a method none of them names, most calls, skips building it.
        let path = match strip_parens(callee) {
            Expr::Member(MemberExpr {
                prop: MemberProp::Ident(m),
                ..
            }) if !SERVER_STARTS.contains(&&*m.sym)
                && !OBJECT_WRITERS.contains(&&*m.sym)
                && !self.a.rules.may_end_with(&m.sym) =>
            {
                None
            }
            _ => self.path_of(callee, 0),
        };
        let uses_before = self.facts.member_uses.len();
        match (callee_ident, callee_binding) {
            (Some(i), Some(b)) => self.read_binding(b, i, true),
            (Some(_), None) => {}
            (None, _) => strip_parens(callee).visit_with(self),
        }
        // `res.send(...)`: the callee member itself was recorded last (its object first).
        // (The root is looked up only when a use was recorded: walking a chain of n calls from
        // each of its calls is n² on `p.then(f).then(g)...`.)
        if let Expr::Member(m) = strip_parens(callee) {
            let param_root = self.facts.member_uses.len() > uses_before
                && self
                    .chain_root_binding(&m.obj)
                    .is_some_and(|b| self.facts.bindings[b].param_of.is_some());
            if param_root {
                if let Some(u) = self.facts.member_uses.last_mut() {
                    u.call = true;
                }
            }
        }
        self.callee_effects(callee, path.as_deref());
        // `Object.assign(target, ...)` and friends write their first argument.
        if let Some(p) = &path {
            if p.len() == 2 && p[0] == "Object" && OBJECT_WRITERS.contains(&p[1].as_str()) {
                if let Some(i) = n.args.first().and_then(|a| root_ident(&a.expr)) {
                    self.access(i, true);
                }
            }
        }
        // `next(err)`, `p.catch(next)`: reads that only call a binding (lib/jit/passes.js).
        if let Some(cb) = callee_binding {
            let at = self.place();
            self.facts.call_reads.push((cb, at));
        }
        if let Expr::Member(m) = strip_parens(callee) {
            if matches!(
                prop_str(&m.prop).as_deref(),
                Some("then" | "catch" | "finally")
            ) {
                for arg in n.args.iter().filter(|a| a.spread.is_none()) {
                    if let Expr::Ident(i) = strip_parens(&arg.expr) {
                        if let Some(b) = self.binding(i) {
                            let at = self.place();
                            self.facts.call_reads.push((b, at));
                        }
                    }
                }
            }
        }
        // `fn(req, res, next)`: where a parameter goes when it leaves through a named call.
        // Most calls pass no parameter: the argument shape is built only when one does.
        if let Some(cb) =
            callee_binding.filter(|_| n.args.iter().any(|a| self.param_arg(a).is_some()))
        {
            let shape: Vec<String> = n
                .args
                .iter()
                .map(|arg| match self.param_arg(arg) {
                    Some((i, _)) => {
                        let dots = if arg.spread.is_some() { "..." } else { "" };
                        format!("{dots}{}", i.sym)
                    }
                    None => "?".into(),
                })
                .collect();
            for (index, arg) in n.args.iter().enumerate() {
                let Some((_, b)) = self.param_arg(arg) else {
                    continue;
                };
                let at = self.place();
                self.facts.arg_passes.push(ArgPass {
                    binding: b,
                    callee: cb,
                    index,
                    spread: arg.spread.is_some(),
                    args: shape.clone(),
                    at,
                });
            }
        }
        for arg in &n.args {
            // An identifier is visited here, its binding looked up once (`visit_ident`).
            let Expr::Ident(i) = strip_parens(&arg.expr) else {
                arg.visit_with(self);
                continue;
            };
            if let Some(b) = self.visit_ident_binding(i) {
                // A container passed to a function may be mutated by it.
                if self.facts.bindings[b].container {
                    self.access_binding(b, i, true);
                }
            }
        }
        if let Some(p) = path {
            self.record_site(n, &p);
        }
    }
}

/// The path of a routing call: its first argument, or for `app.route('/p').get(fn)` (chains
/// included: `.get(a).post(b)`) the argument of `route`.
fn route_path(n: &CallExpr, path: &[String]) -> RoutePath {
    let in_route = path.iter().any(|s| s == "route()");
    if !in_route {
        return path_arg(n.args.first().map(|a| strip_parens(&a.expr)));
    }
    let mut call = n;
    loop {
        let Callee::Expr(c) = &call.callee else {
            return RoutePath::Dynamic;
        };
        let Expr::Member(m) = strip_parens(c) else {
            return RoutePath::Dynamic;
        };
        let Expr::Call(inner) = strip_parens(&m.obj) else {
            return RoutePath::Dynamic;
        };
        let is_route = match &inner.callee {
            Callee::Expr(ic) => {
                matches!(strip_parens(ic), Expr::Member(im) if prop_str(&im.prop).as_deref() == Some("route"))
            }
            _ => false,
        };
        if is_route {
            return match path_arg(inner.args.first().map(|a| strip_parens(&a.expr))) {
                RoutePath::Absent => RoutePath::Dynamic,
                p => p,
            };
        }
        call = inner;
    }
}

/// A path argument as the source writes it; a function there means no path (`app.use(fn)`).
fn path_arg(e: Option<&Expr>) -> RoutePath {
    let lit = |e: &Expr| match e {
        Expr::Lit(Lit::Str(s)) => Some(str_value(s)),
        Expr::Tpl(t) if t.exprs.is_empty() => t
            .quasis
            .first()
            .and_then(|q| q.cooked.as_ref())
            .map(|c| c.to_string_lossy().into_owned()),
        _ => None,
    };
    match e {
        None | Some(Expr::Fn(_) | Expr::Arrow(_)) => RoutePath::Absent,
        Some(Expr::Array(a)) => {
            let items: Option<Vec<String>> = a
                .elems
                .iter()
                .map(|x| x.as_ref().and_then(|x| lit(strip_parens(&x.expr))))
                .collect();
            items
                .filter(|v| !v.is_empty())
                .map_or(RoutePath::Dynamic, RoutePath::Literal)
        }
        Some(e) => lit(e).map_or(RoutePath::Dynamic, |s| RoutePath::Literal(vec![s])),
    }
}
