//! The dataframe: a local working copy with its own small version graph, synchronised with a
//! [`Store`] by fetch / push / pull (the thesis's Table 3.1).
//!
//! A dataframe keeps three versions in its local graph, each holding a reference:
//! `head` (its newest local version), `version` (the one its working copy was checked out
//! from) and, when connected, `remote` (the newest version it knows the store has; it holds a
//! reference on that version in the store too, released on drop). It garbage-collects its local
//! graph after every commit, fetch and push, so the graph stays a handful of versions.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::change::Change;
use crate::diff::{Diff, Snapshot};
use crate::error::{DiffError, Error, Result};
use crate::graph::VersionGraph;
use crate::merge::{theirs_wins, MergeFn};
use crate::object::Object;
use crate::schema::Schema;
use crate::store::{FetchRequest, PushRequest, Store};
use crate::value::{Key, Value};
use crate::version_id::VersionId;

struct Remote {
    store: Store,
    app: String,
    version: VersionId,
}

/// A local working copy of typed objects (see the module docs).
pub struct Dataframe {
    graph: VersionGraph,
    head: VersionId,
    version: VersionId,
    working: Snapshot,
    staged: Diff,
    merge_fn: Option<MergeFn>,
    remote: Option<Remote>,
}

impl std::fmt::Debug for Dataframe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dataframe")
            .field("head", &self.head)
            .field("version", &self.version)
            .field("remote", &self.remote_version())
            .field("staged", &self.staged.len())
            .field("objects", &self.working.len())
            .finish()
    }
}

impl Dataframe {
    /// A local-only dataframe (no store): commit and checkout work, fetch/push/pull fail with
    /// [`Error::NotConnected`].
    pub fn new(schema: Schema) -> Self {
        let mut graph = VersionGraph::new(schema);
        // `head` and `version` references on ROOT; cannot fail.
        let _ = graph.retain(VersionId::ROOT);
        let _ = graph.retain(VersionId::ROOT);
        Dataframe {
            graph,
            head: VersionId::ROOT,
            version: VersionId::ROOT,
            working: Snapshot::new(),
            staged: Diff::new(),
            merge_fn: None,
            remote: None,
        }
    }

    /// A dataframe on the store's app `app` (with its schema), at `ROOT`: call
    /// [`Dataframe::pull`] to get the app's state.
    pub fn connect(store: &Store, app: &str) -> Result<Self> {
        let mut df = Dataframe::new(store.schema(app)?);
        store.retain(app, VersionId::ROOT)?;
        df.graph.retain(VersionId::ROOT)?;
        df.remote = Some(Remote {
            store: store.clone(),
            app: app.to_owned(),
            version: VersionId::ROOT,
        });
        Ok(df)
    }

    /// Uses `f` for conflicts in local merges (fetch, commit on an old checkout) and in the
    /// store when this dataframe's pushes need a merge. Default: [`theirs_wins`].
    pub fn with_merge_fn(mut self, f: MergeFn) -> Self {
        self.merge_fn = Some(f);
        self
    }

    pub fn set_merge_fn(&mut self, f: Option<MergeFn>) {
        self.merge_fn = f;
    }

    pub fn schema(&self) -> &Schema {
        self.graph.schema()
    }

    /// The newest local version.
    pub fn head(&self) -> VersionId {
        self.head
    }

    /// The version the working copy was checked out from.
    pub fn version(&self) -> VersionId {
        self.version
    }

    /// The newest version this dataframe knows the store has (`None` when not connected).
    pub fn remote_version(&self) -> Option<VersionId> {
        self.remote.as_ref().map(|r| r.version)
    }

    /// The local version graph (for inspection).
    pub fn graph(&self) -> &VersionGraph {
        &self.graph
    }

    /// The working copy (committed state plus staged changes).
    pub fn snapshot(&self) -> &Snapshot {
        &self.working
    }

    /// Changes made since the last commit or checkout.
    pub fn staged(&self) -> &Diff {
        &self.staged
    }

    pub fn has_staged(&self) -> bool {
        !self.staged.is_empty()
    }

    fn stage(&mut self, diff: Diff) -> Result<()> {
        self.working.apply(&diff)?;
        for (t, k, c) in diff.iter() {
            self.staged.push(t, k.clone(), c.clone())?;
        }
        Ok(())
    }

    /// Adds a new object (validated and normalised against its type).
    pub fn add_one(&mut self, type_name: &str, obj: Object) -> Result<()> {
        self.add_many(type_name, [obj])
    }

    /// Adds new objects, all or none.
    pub fn add_many(
        &mut self,
        type_name: &str,
        objs: impl IntoIterator<Item = Object>,
    ) -> Result<()> {
        let def = self.graph.schema().get(type_name)?;
        let mut diff = Diff::new();
        for obj in objs {
            let obj = def.normalize(obj)?;
            let key = obj.key.clone();
            if diff
                .insert(type_name, key.clone(), Change::New(obj))
                .is_some()
            {
                return Err(DiffError::AlreadyExists {
                    type_name: type_name.to_owned(),
                    key,
                }
                .into());
            }
        }
        self.stage(diff)
    }

    /// The object with this key, if any.
    pub fn read_one(&self, type_name: &str, key: &Key) -> Result<Option<&Object>> {
        self.graph.schema().get(type_name)?;
        Ok(self.working.get(type_name, key))
    }

    /// Every object of the type, by key order.
    pub fn read_all(&self, type_name: &str) -> Result<Vec<&Object>> {
        self.graph.schema().get(type_name)?;
        Ok(self.working.objects(type_name).collect())
    }

    /// Overwrites some dimensions of an existing object.
    pub fn update_one(
        &mut self,
        type_name: &str,
        key: &Key,
        dims: BTreeMap<String, Value>,
    ) -> Result<()> {
        let def = self.graph.schema().get(type_name)?;
        def.check_key(key)?;
        def.check_dims(key, dims.iter())?;
        let mut diff = Diff::new();
        diff.insert(type_name, key.clone(), Change::Modify(dims));
        self.stage(diff)
    }

    /// Overwrites one dimension of an existing object.
    pub fn set(
        &mut self,
        type_name: &str,
        key: &Key,
        dim: &str,
        value: impl Into<Value>,
    ) -> Result<()> {
        self.update_one(
            type_name,
            key,
            BTreeMap::from([(dim.to_owned(), value.into())]),
        )
    }

    /// Deletes an existing object.
    pub fn delete_one(&mut self, type_name: &str, key: &Key) -> Result<()> {
        self.graph.schema().get(type_name)?;
        let mut diff = Diff::new();
        diff.insert(type_name, key.clone(), Change::Delete);
        self.stage(diff)
    }

    /// Deletes every object of the type; returns how many.
    pub fn delete_all(&mut self, type_name: &str) -> Result<usize> {
        self.graph.schema().get(type_name)?;
        let mut diff = Diff::new();
        for o in self.working.objects(type_name) {
            diff.insert(type_name, o.key.clone(), Change::Delete);
        }
        let n = diff.len();
        self.stage(diff)?;
        Ok(n)
    }

    /// Keeps `v` in the local graph (one more reference) so that it can be checked out later;
    /// the local graph is otherwise garbage-collected down to the head, the checked-out version
    /// and the remote version after every commit, checkout, fetch and push.
    pub fn pin(&mut self, v: VersionId) -> Result<()> {
        self.graph.retain(v)
    }

    /// Undoes one [`Dataframe::pin`].
    pub fn unpin(&mut self, v: VersionId) -> Result<()> {
        self.graph.release(v)
    }

    /// Drops the staged changes (the working copy goes back to the checked-out version).
    pub fn discard(&mut self) -> Result<()> {
        self.working = self.graph.state(self.version)?;
        self.staged = Diff::new();
        Ok(())
    }

    fn merge_with(
        &mut self,
        base: VersionId,
        ours: VersionId,
        theirs: VersionId,
    ) -> Result<VersionId> {
        match &self.merge_fn {
            Some(f) => self.graph.merge(base, ours, theirs, f.as_ref()),
            None => self.graph.merge(base, ours, theirs, &theirs_wins),
        }
    }

    fn set_head(&mut self, v: VersionId) -> Result<()> {
        self.graph.move_ref(self.head, v)?;
        self.head = v;
        Ok(())
    }

    fn set_version(&mut self, v: VersionId) -> Result<()> {
        self.graph.move_ref(self.version, v)?;
        self.version = v;
        Ok(())
    }

    /// Turns the staged changes into a new version, child of the checked-out version; when that
    /// is not the head, merges it with the head (yours: the new commit, theirs: the head) and
    /// checks the merge out. Returns the new head (unchanged if nothing was staged).
    pub fn commit(&mut self) -> Result<VersionId> {
        if self.staged.is_empty() {
            return Ok(self.head);
        }
        let diff = std::mem::take(&mut self.staged);
        let v = match self.graph.commit(self.version, diff.clone()) {
            Ok(v) => v,
            Err(e) => {
                self.staged = diff;
                return Err(e);
            }
        };
        if self.version == self.head {
            self.set_head(v)?;
            self.set_version(v)?;
        } else {
            let base = self.graph.common_ancestor(v, self.head)?;
            let m = self.merge_with(base, v, self.head)?;
            self.set_head(m)?;
            self.set_version(m)?;
            self.working = self.graph.state(m)?;
        }
        self.graph.gc()?;
        Ok(self.head)
    }

    /// Replaces the working copy with the state at `version` (a version of the local graph).
    /// Fails with [`Error::UncommittedChanges`] if changes are staged.
    pub fn checkout(&mut self, version: VersionId) -> Result<()> {
        if self.has_staged() {
            return Err(Error::UncommittedChanges);
        }
        self.working = self.graph.state(version)?;
        self.set_version(version)?;
        self.graph.gc()?;
        Ok(())
    }

    /// [`Dataframe::checkout`] of the local head.
    pub fn checkout_head(&mut self) -> Result<()> {
        self.checkout(self.head)
    }

    /// Gets the store's new versions into the local graph and merges them with the local head
    /// (the working copy is unchanged: see [`Dataframe::pull`]). Returns the new local head.
    pub fn fetch(&mut self) -> Result<VersionId> {
        self.fetch_inner(None)
    }

    /// [`Dataframe::fetch`] that first waits (at most `timeout`) until the store's head differs
    /// from the version this dataframe last saw; [`Error::Timeout`] otherwise.
    pub fn fetch_wait(&mut self, timeout: Duration) -> Result<VersionId> {
        self.fetch_inner(Some(timeout))
    }

    fn fetch_inner(&mut self, wait: Option<Duration>) -> Result<VersionId> {
        let remote = self.remote.as_ref().ok_or(Error::NotConnected)?;
        let (store, app, r) = (remote.store.clone(), remote.app.clone(), remote.version);
        let req = FetchRequest {
            from: r,
            wait,
            hold: true,
        };
        let reply = store.fetch_request(&app, &req)?;
        match self.integrate(r, reply.head, reply.diff) {
            Ok(head) => {
                store.release(&app, r)?;
                Ok(head)
            }
            Err(e) => {
                let _ = store.release(&app, reply.head);
                Err(e)
            }
        }
    }

    /// Adds the store's head `h` (reached from `r` by `diff`) and merges it into the local head.
    fn integrate(&mut self, r: VersionId, h: VersionId, diff: Diff) -> Result<VersionId> {
        if h != r {
            if !self.graph.contains(h) {
                self.graph.commit_as(r, h, diff)?;
            }
            let new_head = if self.head == r {
                h
            } else {
                self.merge_with(r, self.head, h)?
            };
            self.graph.move_ref(r, h)?;
            if let Some(remote) = self.remote.as_mut() {
                remote.version = h;
            }
            self.set_head(new_head)?;
        }
        self.graph.gc()?;
        Ok(self.head)
    }

    /// Sends the local versions the store does not have (one composed diff) and returns the
    /// store's head afterwards. If others pushed in between, the store merges (with this
    /// dataframe's merge function if it has one) and the result arrives with the next fetch.
    pub fn push(&mut self) -> Result<VersionId> {
        let remote = self.remote.as_ref().ok_or(Error::NotConnected)?;
        let (store, app, r) = (remote.store.clone(), remote.app.clone(), remote.version);
        if self.head == r {
            return store.head(&app);
        }
        let head = if store.with_graph(&app, |g| g.contains(self.head))? {
            // Someone (a remote's conditional push) put this version in the store already.
            store.retain(&app, self.head)?;
            store.head(&app)?
        } else {
            let diff = self.graph.delta(r, self.head)?;
            let req = PushRequest {
                from: r,
                version: Some(self.head),
                diff,
                merge_fn: self.merge_fn.clone(),
                hold: true,
                if_head: false,
            };
            store.push_request(&app, req)?.head
        };
        store.release(&app, r)?;
        self.graph.move_ref(r, self.head)?;
        if let Some(remote) = self.remote.as_mut() {
            remote.version = self.head;
        }
        self.graph.gc()?;
        Ok(head)
    }

    /// Fetch, then check out the new head. Fails with [`Error::UncommittedChanges`] (before
    /// fetching) if changes are staged.
    pub fn pull(&mut self) -> Result<VersionId> {
        if self.has_staged() {
            return Err(Error::UncommittedChanges);
        }
        self.fetch()?;
        self.checkout_head()?;
        Ok(self.head)
    }

    /// [`Dataframe::pull`] that blocks until the store has something new (at most `timeout`).
    pub fn pull_wait(&mut self, timeout: Duration) -> Result<VersionId> {
        if self.has_staged() {
            return Err(Error::UncommittedChanges);
        }
        self.fetch_wait(timeout)?;
        self.checkout_head()?;
        Ok(self.head)
    }
}

impl Drop for Dataframe {
    fn drop(&mut self) {
        if let Some(r) = &self.remote {
            let _ = r.store.release(&r.app, r.version);
        }
    }
}
