//! The GoT ("Git for objects") core of fluxion: typed objects, diffs, a version graph with
//! 3-way merge and garbage collection, a thread-safe store of named graphs, and dataframes
//! (local working copies) that fetch from and push to it.
//!
//! * [`value`]: [`Value`], [`Key`], [`DimKind`].
//! * [`schema`]: [`TypeDef`], [`Object`], [`Schema`] and their validation.
//! * [`diff`]: [`Diff`] (type → key → [`Change`]), composition, [`Snapshot`].
//! * [`graph`]: [`VersionId`], [`VersionGraph`] (commit, delta, merge, refs, gc).
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

pub mod dataframe;
pub mod diff;
pub mod dims;
pub mod error;
pub mod graph;
pub mod schema;
pub mod store;
pub mod value;

pub use dataframe::Dataframe;
pub use diff::{Change, ChangeKind, Diff, Snapshot};
pub use dims::Dims;
pub use error::{DiffError, Error, Result, SchemaError};
pub use graph::{
    merge_fn, theirs_wins, MergeFn, MergeFnDyn, MergeOutcome, ParseVersionIdError, VersionGraph,
    VersionId,
};
pub use schema::{Object, Schema, TypeDef};
pub use store::{FetchReply, FetchRequest, PushReply, PushRequest, Store};
pub use value::{DimKind, Key, Value};
