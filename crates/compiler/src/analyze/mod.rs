//! Scope facts: every function, every binding, every read and write, every rupture site.
//!
//! Runs after swc's `resolver`, so each identifier carries the syntax context of the binding it
//! refers to. Two passes over the AST: `Declarations` creates functions and bindings (hoisting
//! means a use can precede its declaration), `Uses` records accesses and rupture sites.
//!
//! Laid out as oxc's semantic builder: `facts` holds the tables (indexed by `FuncId`,
//! `BindingId`), `declarations` and `uses` are the two passes that fill them, `syntax` the AST
//! readings they share, `input` what they read; this file runs them, then derives resources.

mod declarations;
mod facts;
mod input;
mod syntax;
mod uses;

pub use facts::*;
pub use input::Analyzer;
pub use syntax::normalize_module;

use crate::rules::{ParamShape, RuptureKind};
use declarations::Declarations;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::VisitWith;
use uses::Uses;

impl Analyzer<'_> {
    pub fn run(&self, program: &Program) -> Facts {
        // Tables sized from the source (over a whole node_modules, a KB has about 7 bindings,
        // 2 functions, 31 accesses and 4 function references): not copied or rehashed as they
        // grow.
        let kb = self.src.text.len() / 1024 + 1;
        let mut facts = Facts {
            bindings: Table::with_capacity(kb * 8),
            funcs: Table::with_capacity(kb * 2),
            ..Facts::default()
        };
        facts.accesses.reserve(kb * 32);
        facts.fn_refs.reserve(kb * 4);
        let mut d = Declarations {
            a: self,
            facts,
            ids: syntax::IdMap::with_capacity_and_hasher(kb * 8, Default::default()),
            func_by_span: HashMap::with_capacity_and_hasher(kb * 2, Default::default()),
            stack: Vec::new(),
            reassigned: HashSet::default(),
            pending_name: None,
            in_assignable_decl: false,
            in_var_decl: false,
            top_block_depth: 0,
        };
        crate::timings::time("declarations", || program.visit_with(&mut d));
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
            site_by_call: HashMap::default(),
            chain_roots: HashMap::default(),
        };
        crate::timings::time("uses", || program.visit_with(&mut u));
        let mut facts = u.facts;
        add_run_time_handlers(&mut facts, self.handlers, ParamShape::Express);
        add_run_time_handlers(&mut facts, self.functions, ParamShape::None);
        crate::timings::time("resources", || classify_resources(&mut facts));
        facts
    }
}

/// Functions the running app's router holds (`Options::handlers`) become start sites of their
/// own: the innermost function around each offset, unless a site already registers it.
fn add_run_time_handlers(facts: &mut Facts, offsets: &[usize], params: ParamShape) {
    for &at in offsets {
        let Some(func) = facts
            .funcs
            .ids()
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
            // Found in the running router: its path is known there (lib/frameworks/express).
            route: None,
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
    for b in facts.bindings.ids() {
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
                        return match rb.origin.as_deref() {
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
