//! Finds context-free tails of fluxions with a context (`crate::tails` applies them).

use super::Builder;
use crate::abi;
use crate::analyze::{BindingId, FuncId, OriginRoot, Place};
use crate::graph::{FluxionKind, Tail, VarKind};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

impl Builder<'_> {
    /// Context-free tails. In a callback that writes its context (`count += 1;
    /// res.send(template(count, data))`), the statements after the last write that only read
    /// the context can run anywhere if they get the values they read: they are split off as a
    /// `__flx.tail(function (count) { ... }, count)` post callback (the module is compiled again
    /// with that text), so the costly part leaves the one thread that hosts the context.
    /// Conservative: no write to anything outside the tail, no call of a function that writes
    /// outside itself, no `this`/`arguments`/`await`/`yield`/`return`, no `var`/`function`
    /// declaration, module state read only if it is this context's, and a module function called
    /// (otherwise the message would cost more than it saves).
    pub(super) fn tails(&self) -> Vec<Tail> {
        let facts = self.facts;
        let within = |o: usize, span: (usize, usize)| span.0 <= o && o < span.1;
        let ctx = |b: BindingId| {
            facts.bindings[b].decl == Place::Top
                && facts.bindings[b].func.is_none()
                && matches!(self.kinds.get(&b), Some(VarKind::Scope | VarKind::Share))
        };
        // A function writes outside itself (directly, or through functions it calls; depth 4).
        // A method called on a module (`crypto.createHash`) is not a write: every thread has its
        // own copy of the module, and placement checks which modules a fluxion uses.
        // Memoised by (function, depth): each is computed once, from the accesses in its span.
        let memo: RefCell<HashMap<(FuncId, u32), bool>> = RefCell::new(HashMap::new());
        let writes_outside = |f: FuncId, depth: u32| -> bool {
            fn go(
                b: &Builder,
                memo: &RefCell<HashMap<(FuncId, u32), bool>>,
                f: FuncId,
                depth: u32,
            ) -> bool {
                if let Some(&w) = memo.borrow().get(&(f, depth)) {
                    return w;
                }
                let facts = b.facts;
                let span = facts.funcs[f].span;
                let inside = |o: usize| span.0 <= o && o < span.1;
                let w = b.accesses_within(span).iter().any(|&i| {
                    let a = &facts.accesses[i];
                    let bd = &facts.bindings[a.binding];
                    let module = bd.is_import
                        || matches!(bd.origin.as_deref(), Some(crate::analyze::Origin { root: OriginRoot::Module(_), segs }) if segs.is_empty());
                    (a.write && !inside(bd.offset) && !module)
                        || (!a.write
                            && bd.func.is_some_and(|g| {
                                g != f && (depth == 0 || go(b, memo, g, depth - 1))
                            }))
                });
                memo.borrow_mut().insert((f, depth), w);
                w
            }
            go(self, &memo, f, depth)
        };
        let mut out = Vec::new();
        for (&(f, k), &x) in &self.roots {
            let func = &facts.funcs[f];
            if k != 0 || func.is_async || !func.segments.is_empty() || func.stmts.len() < 2 {
                continue;
            }
            if !matches!(self.fluxions[x].kind, FluxionKind::Callback) {
                continue;
            }
            // Only continuations of Node's callback APIs (`fs.readFile(f, reply)`): there a throw
            // was already uncaught and nothing waits for the callback to return. A route handler's
            // throw reaches Express synchronously, an emitter waits for its listeners, and a
            // promise chain goes on when its callback returns: those keep their tails.
            if !self.node_post_callbacks.contains(&f) {
                continue;
            }
            let stmt_writes = |s: (usize, usize)| {
                self.accesses_within(s).iter().any(|&i| {
                    let a = &facts.accesses[i];
                    (a.write && ctx(a.binding))
                        || (!a.write
                            && facts.bindings[a.binding]
                                .func
                                .is_some_and(|g| writes_outside(g, 4)))
                })
            };
            let Some(last) = func.stmts.iter().rposition(|&s| stmt_writes(s)) else {
                continue;
            };
            if last + 1 >= func.stmts.len() {
                continue;
            }
            let span = (func.stmts[last + 1].0, func.stmts[func.stmts.len() - 1].1);
            let text = self.src.slice(span.0, span.1);
            let words = [
                "this",
                "arguments",
                "await",
                "yield",
                "return",
                abi::RUNTIME_VAR,
            ];
            let has_word = |w: &str| {
                text.match_indices(w).any(|(i, _)| {
                    let before = text[..i].chars().next_back();
                    let after = text[i + w.len()..].chars().next();
                    let ident = |c: Option<char>| {
                        c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
                    };
                    !ident(before) && !ident(after)
                })
            };
            if words.iter().any(|w| has_word(w)) {
                continue;
            }
            if func.stmts[last + 1..].iter().any(|&(s, e)| {
                let t = self.src.slice(s, e).trim_start();
                t.starts_with("var ")
                    || t.starts_with("function ")
                    || t.starts_with("async function")
            }) {
                continue;
            }
            let mut params: BTreeSet<String> = BTreeSet::new();
            let mut ok = true;
            let mut calls_code = false;
            // In offset order, not index order: the outcome does not depend on it (any failing
            // access rejects the tail; the rest only accumulate).
            for a in self
                .accesses_within(span)
                .iter()
                .map(|&i| &facts.accesses[i])
            {
                let b = &facts.bindings[a.binding];
                if within(b.offset, span) {
                    continue; // declared in the tail itself
                }
                // Writes: to a request or response (they travel as handles), or to the callback's
                // own variables (nothing runs after the tail to see them).
                let own = matches!(b.decl, Place::In(g, _) if g == f)
                    || b.param_of.is_some_and(|(g, _)| g == f);
                if a.write && b.resource.is_none() && !own {
                    ok = false;
                    break;
                }
                if a.write {
                    continue;
                }
                if let Some(g) = b.func {
                    if writes_outside(g, 4) || b.reassigned {
                        ok = false;
                        break;
                    }
                    calls_code |= facts.funcs[g].parent == Place::Top;
                    continue;
                }
                if b.decl != Place::Top {
                    continue; // a parameter or local of the callback, or of a function around it
                }
                if ctx(a.binding) {
                    params.insert(b.name.clone());
                } else if !matches!(self.kinds.get(&a.binding), Some(VarKind::Module) | None)
                    && (!b.pure_init || b.reassigned)
                {
                    ok = false;
                    break;
                }
            }
            if ok && calls_code {
                out.push(Tail {
                    start: span.0,
                    end: span.1,
                    params: params.into_iter().collect(),
                });
            }
        }
        out.sort_by_key(|t| t.start);
        out
    }
}
