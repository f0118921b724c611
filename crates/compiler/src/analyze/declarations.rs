//! Pass 1: functions and bindings. Hoisting means a use can precede its declaration, so every
//! declaration is known before the second pass records uses.

use super::facts::*;
use super::input::Analyzer;
use super::syntax::Id;
use super::syntax::*;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use swc_core::common::{Span, Spanned};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{Visit, VisitWith};

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

pub(super) struct Declarations<'a> {
    pub(super) a: &'a Analyzer<'a>,
    pub(super) facts: Facts,
    pub(super) ids: IdMap<BindingId>,
    pub(super) func_by_span: HashMap<(u32, u32), FuncId>,
    pub(super) stack: Vec<FuncId>,
    pub(super) reassigned: HashSet<Id>,
    /// Name given to the next function expression by its context (`const f = function(){}`).
    pub(super) pending_name: Option<String>,
    /// Inside a `let`/`var` declaration (not `const`, `using`).
    pub(super) in_assignable_decl: bool,
    /// Inside a `var` declaration: function-scoped, so a top-level block does not enclose it.
    pub(super) in_var_decl: bool,
    /// Blocks (if, for, switch, catch, `{}`) around the current top-level code.
    pub(super) top_block_depth: usize,
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
        if let Some(&b) = self.ids.get(&key(i)) {
            return b; // `var` redeclared, or a function declared twice
        }
        let b = self.facts.bindings.push(Binding {
            name: i.sym.to_string(),
            decl: place,
            offset: self.a.off(i.span.lo),
            origin: None,
            func: None,
            methods: Default::default(),
            param_of: None,
            container: false,
            is_import: false,
            reassigned: false,
            resource: None,
            pure_init: false,
            assignable: false,
            block_scoped: self.stack.is_empty() && self.top_block_depth > 0 && !self.in_var_decl,
            member_of: None,
            rest: false,
        });
        self.ids.insert(id_of(i), b);
        b
    }

    fn new_func(&mut self, span: Span, name: Option<String>, is_async: bool) -> FuncId {
        let f = self.facts.funcs.push(Func {
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
                self.facts.bindings[b].rest = matches!(pat, Pat::Rest(_));
                self.facts.funcs[f].params.push(b);
            }
        }
    }

    /// The origin of an expression, in terms of bindings (resolved later, lazily).
    /// The binding whose object a value may be (or be part of): `store` for `store`,
    /// `db.pets[id]`, `sessions.get(sid)`, `sessions.get(sid) || new Session()`.
    fn member_root(&self, e: &Expr) -> Option<BindingId> {
        match strip_parens(e) {
            Expr::Ident(i) => self.ids.get(&key(i)).copied(),
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
                root: match self.ids.get(&key(i)) {
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
                self.facts.bindings[b].origin = origin.map(Box::new);
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
                                self.facts.bindings[b].origin = Some(Box::new(o));
                            }
                        }
                        ObjectPatProp::KeyValue(kv) => {
                            if let (Pat::Ident(bi), Some(base), Some(k)) =
                                (&*kv.value, &base, key_name(&kv.key))
                            {
                                let b = self.declare(&bi.id, place);
                                let mut o = base.clone();
                                o.segs.push(Seg::Prop(k));
                                self.facts.bindings[b].origin = Some(Box::new(o));
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
            if let (Some(inner), false) = (binding.origin.as_deref(), binding.reassigned) {
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
            Expr::Ident(i) => match self.ids.get(&key(i)) {
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
                        matches!(
                            &*i.sym,
                            "Number" | "String" | "Boolean" | "parseInt" | "parseFloat" | "Symbol"
                        ) && !self.ids.contains_key(&key(i))
                    }
                    _ => false,
                };
                known && args_pure
            }
            Expr::New(n) => {
                matches!(strip_parens(&n.callee), Expr::Ident(i)
                if matches!(&*i.sym, "Map" | "Set" | "WeakMap" | "RegExp") && !self.ids.contains_key(&key(i)))
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
        let before = self.facts.bindings.next_id();
        self.bind_pattern(&n.name, n.init.as_deref());
        if self.in_assignable_decl {
            for b in self.facts.bindings.since_mut(before) {
                b.assignable = b.decl == Place::Top;
            }
        }
        if let (Pat::Ident(bi), Some(init)) = (&n.name, &n.init) {
            if is_function_expr(init) {
                self.pending_name = Some(bi.id.sym.to_string());
            }
            // The init's own function, if any, is the first one created while visiting it.
            let f = self.facts.funcs.next_id();
            init.visit_with(self);
            let b = self.ids[&key(&bi.id)];
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
            binding.origin = Some(Box::new(Origin {
                root: OriginRoot::Module(module.clone()),
                segs,
            }));
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
