//! The tables the analysis fills: functions, bindings, accesses, rupture sites, indexed by typed
//! ids. Data only: the passes that fill them are `declarations` and `uses`.

use crate::diagnostics::Warning;
use crate::rules::{ParamShape, RuptureKind};
use std::marker::PhantomData;
use std::ops::{Index, IndexMut};

/// A typed index into a `Table`: a function's id cannot index the bindings.
pub trait TypedId: Copy {
    fn from_index(i: usize) -> Self;
    fn index(self) -> usize;
}

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u32);

        impl TypedId for $name {
            fn from_index(i: usize) -> Self {
                Self(u32::try_from(i).expect("fewer than 2^32 entries"))
            }
            fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

typed_id!(
    /// A function (declaration, expression, arrow, method) in `Facts::funcs`.
    FuncId
);
typed_id!(
    /// A declared name (variable, parameter, function, class, import) in `Facts::bindings`.
    BindingId
);

/// A vector indexed by a typed id, as oxc's `IndexVec`.
#[derive(Clone)]
pub struct Table<I, T> {
    items: Vec<T>,
    id: PhantomData<fn(I)>,
}

impl<I: TypedId, T> Table<I, T> {
    pub fn new() -> Self {
        Table {
            items: Vec::new(),
            id: PhantomData,
        }
    }
    /// A table holding `value` for each of `n` ids.
    pub fn filled(value: T, n: usize) -> Self
    where
        T: Clone,
    {
        Table {
            items: vec![value; n],
            id: PhantomData,
        }
    }
    /// An empty table with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Table {
            items: Vec::with_capacity(n),
            id: PhantomData,
        }
    }
    pub fn push(&mut self, value: T) -> I {
        self.items.push(value);
        I::from_index(self.items.len() - 1)
    }
    /// The id the next `push` returns.
    pub fn next_id(&self) -> I {
        I::from_index(self.items.len())
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = I> + use<I, T> {
        (0..self.items.len()).map(I::from_index)
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
        self.items.iter_mut()
    }
    pub fn iter_enumerated(&self) -> impl DoubleEndedIterator<Item = (I, &T)> {
        self.items
            .iter()
            .enumerate()
            .map(|(i, t)| (I::from_index(i), t))
    }
    /// The entries from `from` on (those pushed since `from` was `next_id`).
    pub fn since_mut(&mut self, from: I) -> &mut [T] {
        &mut self.items[from.index()..]
    }
}

impl<I: TypedId, T> Default for Table<I, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<I, T: std::fmt::Debug> std::fmt::Debug for Table<I, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<I: TypedId, T> Index<I> for Table<I, T> {
    type Output = T;
    fn index(&self, i: I) -> &T {
        &self.items[i.index()]
    }
}

impl<I: TypedId, T> IndexMut<I> for Table<I, T> {
    fn index_mut(&mut self, i: I) -> &mut T {
        &mut self.items[i.index()]
    }
}

impl<'a, I, T> IntoIterator for &'a Table<I, T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

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
    /// Boxed: most bindings have none, and every binding pays for the field.
    pub origin: Option<Box<Origin>>,
    pub func: Option<FuncId>,
    pub methods: rustc_hash::FxHashMap<String, FuncId>,
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
    /// A rest parameter (`...args`): an array of the arguments, not one of them.
    pub rest: bool,
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

/// `fn(req, res, next)`, `fn(...args)`: a parameter handed, as it is, to a call of a named
/// function. When every escape of a request or response is one of these, the runtime can look up
/// the callee's value and check it as a handler with those arguments (lib/jit/passes.js).
#[derive(Debug, Clone)]
pub struct ArgPass {
    pub binding: BindingId,
    /// The called binding: a name the analysis resolved, never a global.
    pub callee: BindingId,
    /// The argument's position in the call.
    pub index: usize,
    /// Passed as `...args`: its elements fill the positions from `index` on.
    pub spread: bool,
    /// Every argument of the call as written when it is a parameter (`req`, `...args`), `?`
    /// for anything else: the runtime checks the callee gets the handler's own arguments.
    pub args: Vec<String>,
    pub at: Place,
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
    /// For a routing call of an app or router: its method and path for people (`GET /count`).
    pub route: Option<String>,
}

#[derive(Debug, Default)]
pub struct Facts {
    pub funcs: Table<FuncId, Func>,
    pub bindings: Table<BindingId, Binding>,
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
    pub arg_passes: Vec<ArgPass>,
    /// Reads of a binding that only call it (`next(err)`) or hand it to a promise as a reaction
    /// (`p.catch(next)`, `.then(a, b)`, `.finally(f)`): all an argument taken out of `...args`
    /// may be used for if the handler is to be followed (the binding, where).
    pub call_reads: Vec<(BindingId, Place)>,
    pub stores: Vec<Store>,
    /// Writes into an object held by a property of a binding (`req.session.views += 1`,
    /// `req.cart.items.push(x)`): the binding, that first property, where.
    pub member_writes: Vec<(BindingId, String, Place)>,
    pub warnings: Vec<Warning>,
    /// Directives (`'use strict'`) end here: code inserted at the top goes after them.
    pub prologue_end: usize,
    pub is_module: bool,
}
