//! The GoT ("Git for objects") core of fluxion: typed objects, diffs, a version graph with
//! 3-way merge and garbage collection, a thread-safe store of named graphs, and dataframes
//! (local working copies) that fetch from and push to it.
//!
//! Modules, bottom up (each uses only modules listed before it; `tests/module_cycles.rs`
//! keeps it so):
//!
//! * data types: [`value`] ([`Value`], [`Key`], [`DimKind`]), [`version_id`] ([`VersionId`]),
//!   [`dims`] ([`Dims`]), [`object`] ([`Object`]), [`change`] ([`Change`], [`ChangeKind`]);
//! * [`error`]: [`Error`], [`SchemaError`], [`DiffError`] (they name data types only);
//! * [`schema`]: [`TypeDef`], [`Schema`] and the validation of objects;
//! * [`diff`]: [`Diff`] (type → key → [`Change`]), composition, [`Snapshot`];
//! * [`merge`]: [`MergeFn`], [`MergeOutcome`], [`theirs_wins`];
//! * [`graph`]: [`VersionGraph`] (commit, delta, merge, refs, gc).
//! * [`journal`]: [`Journal`], the hook a durable store implements.
//! * [`store`]: [`Store`] (push, fetch, wait for change) shared by all threads.
//! * [`dataframe`]: [`Dataframe`] (add/read/delete, commit, checkout, fetch, push, pull).
//!
//! ```
//! use fluxion_versions::{Dataframe, DimKind, Key, Object, Schema, Store, TypeDef};
//!
//! let counter = TypeDef::new("Counter", "name", [("name", DimKind::Str), ("count", DimKind::Int)]);
//! let store = Store::new();
//! store.create_app("GotCounter", Schema::new([counter]).unwrap()).unwrap();
//!
//! let mut a = Dataframe::connect(&store, "GotCounter").unwrap();
//! a.add_one("Counter", Object::new("countDocument", [("count", 0)])).unwrap();
//! a.commit().unwrap();
//! a.push().unwrap();
//!
//! let mut b = Dataframe::connect(&store, "GotCounter").unwrap();
//! b.pull().unwrap();
//! let key = Key::from("countDocument");
//! assert_eq!(b.read_one("Counter", &key).unwrap().unwrap().get("count"), Some(&0.into()));
//! ```

pub mod change;
pub mod dataframe;
pub mod diff;
pub mod dims;
pub mod error;
pub mod graph;
pub mod journal;
pub mod merge;
pub mod object;
pub mod schema;
pub mod store;
pub mod value;
pub mod version_id;

pub use change::{Change, ChangeKind};
pub use dataframe::Dataframe;
pub use diff::{Diff, Snapshot};
pub use dims::Dims;
pub use error::{DiffError, Error, Result, SchemaError};
pub use graph::{Collected, VersionGraph};
pub use journal::{Entry, Journal, Record, Ticket};
pub use merge::{merge_fn, theirs_wins, MergeFn, MergeFnDyn, MergeOutcome};
pub use object::Object;
pub use schema::{Schema, TypeDef};
pub use store::{FetchReply, FetchRequest, PushReply, PushRequest, Store};
pub use value::{DimKind, Key, Value};
pub use version_id::{ParseVersionIdError, VersionId};
