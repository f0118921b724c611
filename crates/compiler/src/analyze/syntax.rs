//! Small readings of swc's AST shared by both passes: identifiers, property names, parentheses,
//! `require('x')`, export targets, read-only methods.

use super::input::Analyzer;
use swc_core::common::SyntaxContext;
use swc_core::ecma::ast::*;
use swc_core::ecma::atoms::Atom;
use swc_core::ecma::visit::{Visit, VisitWith};

pub(super) type Id = (Atom, SyntaxContext);

/// A table keyed by `Id` that is searched with an identifier's borrowed key (`key`): every
/// identifier of the module is looked up, and cloning its atom for that costs two atomic counts.
pub(super) type IdMap<V> = hashbrown::HashMap<Id, V, rustc_hash::FxBuildHasher>;

/// An `Id` borrowed from an identifier; hashes as the `Id` it equals.
#[derive(Hash)]
pub(super) struct IdKey<'a>(&'a Atom, SyntaxContext);

impl hashbrown::Equivalent<Id> for IdKey<'_> {
    fn equivalent(&self, id: &Id) -> bool {
        *self.0 == id.0 && self.1 == id.1
    }
}

pub(super) fn key(i: &Ident) -> IdKey<'_> {
    IdKey(&i.sym, i.ctxt)
}

/// Every identifier an expression reads.
#[derive(Default)]
pub(super) struct IdentCollector(pub(super) Vec<Ident>);

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

pub(super) fn id_of(i: &Ident) -> Id {
    (i.sym.clone(), i.ctxt)
}

pub(super) fn str_value(s: &Str) -> String {
    s.value.to_string_lossy().into_owned()
}

pub(super) fn prop_name(p: &MemberProp) -> Option<String> {
    match p {
        MemberProp::Ident(i) => Some(i.sym.to_string()),
        MemberProp::Computed(c) => match &*c.expr {
            Expr::Lit(Lit::Str(s)) => Some(str_value(s)),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

/// `prop_name` without a copy of the name (a property read is the commonest expression).
pub(super) fn prop_str(p: &MemberProp) -> Option<std::borrow::Cow<'_, str>> {
    match p {
        MemberProp::Ident(i) => Some(std::borrow::Cow::Borrowed(&i.sym)),
        MemberProp::Computed(c) => match &*c.expr {
            Expr::Lit(Lit::Str(s)) => Some(s.value.to_string_lossy()),
            _ => None,
        },
        MemberProp::PrivateName(_) => None,
    }
}

pub(super) fn key_name(k: &PropName) -> Option<String> {
    match k {
        PropName::Ident(i) => Some(i.sym.to_string()),
        PropName::Str(s) => Some(str_value(s)),
        _ => None,
    }
}

pub(super) fn strip_parens(mut e: &Expr) -> &Expr {
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
pub(super) fn directives_end<'s>(
    stmts: impl Iterator<Item = Option<&'s Stmt>>,
    a: &Analyzer,
) -> usize {
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
pub(super) fn chain_root(e: &Expr) -> Option<&Ident> {
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
pub(super) fn root_ident(e: &Expr) -> Option<&Ident> {
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
pub(super) fn into_member(e: &Expr, min_depth: usize) -> Option<(&Ident, String)> {
    let Expr::Member(outer) = strip_parens(e) else {
        return None;
    };
    into_member_of(outer, min_depth)
}

/// `into_member` of a member expression.
pub(super) fn into_member_of(outer: &MemberExpr, min_depth: usize) -> Option<(&Ident, String)> {
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

pub(super) fn require_module(call: &CallExpr) -> Option<String> {
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
pub(super) const READ_ONLY_METHODS: &[&str] = &[
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

pub(super) fn is_function_expr(e: &Expr) -> bool {
    matches!(strip_parens(e), Expr::Fn(_) | Expr::Arrow(_))
}
