//! The thread-safe store: one version graph per app name, shared by every thread of the process.
//!
//! # References held in a store
//!
//! The store holds one reference on each app's head. A client that wants to fetch or push from a
//! version later (a [`Dataframe`](crate::Dataframe), a remote client of the CBOR protocol) holds
//! a reference on the last version it has, so that [`Store::gc`] keeps it: fetches and pushes
//! with `hold: true` retain the version they hand out atomically, and the client releases its
//! previous version once it has moved on.
//!
//! Merge functions run while the app's lock is held: they must not call back into the store for
//! the same app.
//!
//! # Durable apps
//!
//! An app with a [`Journal`] (created by [`Store::create_durable_app`] or
//! [`Store::restore_app`], or given one by [`Store::attach_journal`]) tells it every version it
//! adds, under its lock, and answers a push or a fetch only once the journal reports that
//! version durable: a caller never sees a version a crash could take back. References are not
//! journaled: after a restart only the head is held.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard, RwLock};

use crate::diff::{Diff, Snapshot};
use crate::error::{Error, Result};
use crate::graph::VersionGraph;
use crate::journal::{Entry, Journal, Record, Ticket};
use crate::merge::{theirs_wins, MergeFn};
use crate::schema::Schema;
use crate::version_id::VersionId;

/// A fetch: the diff from `from` to the app's head.
#[derive(Debug, Clone)]
pub struct FetchRequest {
    pub from: VersionId,
    /// Block while the head is still `from`, at most this long ([`Error::Timeout`] then).
    pub wait: Option<Duration>,
    /// Retain the returned head on behalf of the caller (see the module docs).
    pub hold: bool,
}

impl FetchRequest {
    pub fn new(from: VersionId) -> Self {
        FetchRequest {
            from,
            wait: None,
            hold: false,
        }
    }

    pub fn wait(mut self, timeout: Duration) -> Self {
        self.wait = Some(timeout);
        self
    }

    pub fn hold(mut self) -> Self {
        self.hold = true;
        self
    }
}

/// The answer to a [`FetchRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct FetchReply {
    pub head: VersionId,
    /// One composed diff from the request's `from` to `head`.
    pub diff: Diff,
}

/// A push: `diff` applies to version `from`.
#[derive(Clone)]
pub struct PushRequest {
    pub from: VersionId,
    /// Id of the pushed version (the client's own id for it); random when `None`.
    pub version: Option<VersionId>,
    pub diff: Diff,
    /// Merge function for conflicts if `from` is not the head; the app's one (or
    /// [`theirs_wins`]) when `None`. *Yours* is the pushed side, *theirs* the head.
    pub merge_fn: Option<MergeFn>,
    /// Retain the pushed version on behalf of the caller.
    pub hold: bool,
    /// Refuse ([`Error::HeadMoved`], nothing changed) unless `from` is the head: the caller
    /// merges itself, with its own merge function, and tries again.
    pub if_head: bool,
}

impl PushRequest {
    pub fn new(from: VersionId, diff: Diff) -> Self {
        PushRequest {
            from,
            version: None,
            diff,
            merge_fn: None,
            hold: false,
            if_head: false,
        }
    }

    pub fn version(mut self, id: VersionId) -> Self {
        self.version = Some(id);
        self
    }

    pub fn merge_fn(mut self, f: MergeFn) -> Self {
        self.merge_fn = Some(f);
        self
    }

    pub fn hold(mut self) -> Self {
        self.hold = true;
        self
    }

    pub fn if_head(mut self) -> Self {
        self.if_head = true;
        self
    }
}

/// The answer to a [`PushRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushReply {
    /// The app's head after the push: the pushed version, or a merge of it with the old head.
    pub head: VersionId,
    /// The id the pushed version got.
    pub version: VersionId,
    /// Whether a merge was needed (`from` was not the head).
    pub merged: bool,
}

struct AppState {
    graph: VersionGraph,
    head: VersionId,
    merge_fn: Option<MergeFn>,
    journal: Option<Arc<dyn Journal>>,
    /// The last journal entry that added versions: what a reader must wait for.
    last: Option<Ticket>,
}

impl AppState {
    /// The journal and the entry a reader of the current head must see durable first.
    fn pending(&self) -> Option<(Arc<dyn Journal>, Ticket)> {
        Some((self.journal.clone()?, self.last?))
    }

    /// Tells the journal about versions just added (`added`, parents before children).
    fn journal_added(&mut self, app: &str, added: &[VersionId]) -> Result<()> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        let mut versions = Vec::with_capacity(added.len());
        for &id in added {
            versions.push(Record {
                id,
                parents: self.graph.incoming(id)?,
            });
        }
        let t = j.append(
            app,
            Entry::Added {
                versions,
                head: self.head,
            },
        )?;
        self.last = Some(t);
        Ok(())
    }
}

fn sync(pending: Option<(Arc<dyn Journal>, Ticket)>) -> Result<()> {
    match pending {
        Some((j, t)) => j.sync(t),
        None => Ok(()),
    }
}

struct App {
    state: Mutex<AppState>,
    changed: Condvar,
}

#[derive(Default)]
struct StoreInner {
    apps: RwLock<HashMap<String, Arc<App>>>,
}

/// Named version graphs shared by every thread; cloning a `Store` gives another handle to the
/// same store.
#[derive(Clone, Default)]
pub struct Store {
    inner: Arc<StoreInner>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("apps", &self.apps()).finish()
    }
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// Creates an app (an empty version graph whose head is `ROOT`).
    pub fn create_app(&self, name: &str, schema: Schema) -> Result<()> {
        self.restore_app(name, VersionGraph::new(schema), VersionId::ROOT, None)
    }

    /// Creates an app whose versions `journal` keeps (see the module docs).
    pub fn create_durable_app(
        &self,
        name: &str,
        schema: Schema,
        journal: Arc<dyn Journal>,
    ) -> Result<()> {
        self.restore_app(
            name,
            VersionGraph::new(schema),
            VersionId::ROOT,
            Some(journal),
        )
    }

    /// Creates an app from a graph read back from durable storage, with `head` as its head
    /// (the only version held).
    pub fn restore_app(
        &self,
        name: &str,
        mut graph: VersionGraph,
        head: VersionId,
        journal: Option<Arc<dyn Journal>>,
    ) -> Result<()> {
        let mut apps = self.inner.apps.write();
        if apps.contains_key(name) {
            return Err(Error::AppExists(name.to_owned()));
        }
        graph.retain(head)?;
        let app = App {
            state: Mutex::new(AppState {
                graph,
                head,
                merge_fn: None,
                journal,
                last: None,
            }),
            changed: Condvar::new(),
        };
        apps.insert(name.to_owned(), Arc::new(app));
        Ok(())
    }

    /// Makes an app created in memory durable from now on: every version it holds goes to
    /// `journal`, and so does every later one. Fails if the app has a journal already.
    pub fn attach_journal(&self, app: &str, journal: Arc<dyn Journal>) -> Result<()> {
        let a = self.app(app)?;
        let pending = {
            let mut st = a.state.lock();
            if st.journal.is_some() {
                return Err(Error::Durability(format!(
                    "app {app:?} is durable already (it has a dataDir)"
                )));
            }
            st.journal = Some(journal);
            let all = st.graph.topo_order();
            if let Err(e) = st.journal_added(app, &all) {
                st.journal = None;
                return Err(e);
            }
            st.pending()
        };
        sync(pending)
    }

    /// Whether the app keeps its versions in a journal.
    pub fn is_durable(&self, app: &str) -> Result<bool> {
        Ok(self.app(app)?.state.lock().journal.is_some())
    }

    /// Sets the app's merge function for pushes that carry none (`None`: [`theirs_wins`]).
    pub fn set_merge_fn(&self, app: &str, f: Option<MergeFn>) -> Result<()> {
        self.app(app)?.state.lock().merge_fn = f;
        Ok(())
    }

    /// The app names, sorted.
    pub fn apps(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.apps.read().keys().cloned().collect();
        names.sort();
        names
    }

    pub fn has_app(&self, app: &str) -> bool {
        self.inner.apps.read().contains_key(app)
    }

    fn app(&self, name: &str) -> Result<Arc<App>> {
        self.inner
            .apps
            .read()
            .get(name)
            .cloned()
            .ok_or_else(|| Error::UnknownApp(name.to_owned()))
    }

    pub fn schema(&self, app: &str) -> Result<Schema> {
        Ok(self.app(app)?.state.lock().graph.schema().clone())
    }

    pub fn head(&self, app: &str) -> Result<VersionId> {
        Ok(self.app(app)?.state.lock().head)
    }

    /// The state of the app at version `v`.
    pub fn state(&self, app: &str, v: VersionId) -> Result<Snapshot> {
        self.app(app)?.state.lock().graph.state(v)
    }

    /// Runs `f` on the app's graph (for inspection), under its lock.
    pub fn with_graph<R>(&self, app: &str, f: impl FnOnce(&VersionGraph) -> R) -> Result<R> {
        Ok(f(&self.app(app)?.state.lock().graph))
    }

    /// Number of versions the app's graph holds (`ROOT` included).
    pub fn version_count(&self, app: &str) -> Result<usize> {
        self.with_graph(app, VersionGraph::len)
    }

    /// The head and one composed diff from `from` to it.
    pub fn fetch(&self, app: &str, from: VersionId) -> Result<(VersionId, Diff)> {
        let r = self.fetch_request(app, &FetchRequest::new(from))?;
        Ok((r.head, r.diff))
    }

    /// [`Store::fetch`], blocking first while the head is still `from` (at most `timeout`).
    pub fn fetch_wait(
        &self,
        app: &str,
        from: VersionId,
        timeout: Duration,
    ) -> Result<(VersionId, Diff)> {
        let r = self.fetch_request(app, &FetchRequest::new(from).wait(timeout))?;
        Ok((r.head, r.diff))
    }

    pub fn fetch_request(&self, app: &str, req: &FetchRequest) -> Result<FetchReply> {
        let a = self.app(app)?;
        let (reply, pending) = {
            let mut st = a.state.lock();
            st.graph.parents(req.from)?;
            if let Some(timeout) = req.wait {
                wait_locked(&a, &mut st, app, req.from, timeout)?;
            }
            let head = st.head;
            let diff = st.graph.delta(req.from, head)?;
            if req.hold {
                st.graph.retain(head)?;
            }
            (FetchReply { head, diff }, st.pending())
        };
        // A version still on its way to the disk is not handed out: a crash could take it back
        // from under a client that builds on it.
        sync(pending)?;
        Ok(reply)
    }

    /// Blocks until the app's head is not `since` any more and returns it, or fails with
    /// [`Error::Timeout`] after `timeout`.
    pub fn wait_for_change(
        &self,
        app: &str,
        since: VersionId,
        timeout: Duration,
    ) -> Result<VersionId> {
        let a = self.app(app)?;
        let (head, pending) = {
            let mut st = a.state.lock();
            wait_locked(&a, &mut st, app, since, timeout)?;
            (st.head, st.pending())
        };
        sync(pending)?;
        Ok(head)
    }

    /// Pushes `diff` (based on `from`) and returns the new head; merges with the app's merge
    /// function when `from` is not the head.
    pub fn push(&self, app: &str, from: VersionId, diff: Diff) -> Result<VersionId> {
        Ok(self.push_request(app, PushRequest::new(from, diff))?.head)
    }

    pub fn push_request(&self, app: &str, req: PushRequest) -> Result<PushReply> {
        let a = self.app(app)?;
        let (reply, pending) = {
            let mut st = a.state.lock();
            let reply = push_locked(&a, &mut st, app, req)?;
            (reply, st.pending())
        };
        // Acknowledged only once durable; the journal batches concurrent pushes into one sync.
        sync(pending)?;
        Ok(reply)
    }

    /// Adds a reference on `v` for the caller.
    pub fn retain(&self, app: &str, v: VersionId) -> Result<()> {
        self.app(app)?.state.lock().graph.retain(v)
    }

    /// Drops one of the caller's references on `v` ([`Error::RefNotHeld`] if there is none).
    pub fn release(&self, app: &str, v: VersionId) -> Result<()> {
        self.app(app)?.state.lock().graph.release(v)
    }

    /// Drops a reference on `v` if there is one; `Ok(false)` if there was none (for protocol
    /// clients, whose references the store cannot tell apart).
    pub fn release_if_held(&self, app: &str, v: VersionId) -> Result<bool> {
        match self.release(app, v) {
            Ok(()) => Ok(true),
            Err(Error::RefNotHeld(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Garbage-collects the app's graph (see [`VersionGraph::gc`]); returns how many versions
    /// were removed.
    ///
    /// In a durable app the collection is journaled too, without waiting: it reaches the disk
    /// with the next push's sync (a crash before that only leaves versions the next
    /// collection removes again).
    pub fn gc(&self, app: &str) -> Result<usize> {
        let a = self.app(app)?;
        let mut st = a.state.lock();
        let c = st.graph.collect()?;
        if let (Some(j), false) = (&st.journal, c.removed.is_empty()) {
            let mut rewired = Vec::with_capacity(c.rewired.len());
            for &id in &c.rewired {
                rewired.push(Record {
                    id,
                    parents: st.graph.incoming(id)?,
                });
            }
            j.append(
                app,
                Entry::Collected {
                    removed: c.removed.clone(),
                    rewired,
                },
            )?;
        }
        Ok(c.removed.len())
    }
}

/// The in-memory part of [`Store::push_request`], under the app's lock.
fn push_locked(
    a: &App,
    st: &mut MutexGuard<'_, AppState>,
    app: &str,
    req: PushRequest,
) -> Result<PushReply> {
    if req.if_head && req.from != st.head {
        return Err(Error::HeadMoved {
            app: app.to_owned(),
            from: req.from,
            head: st.head,
        });
    }
    let id = req.version.unwrap_or_else(VersionId::random);
    st.graph.commit_as(req.from, id, req.diff)?;
    let old = st.head;
    let merged = req.from != old;
    let head = if merged {
        let f = req.merge_fn.or_else(|| st.merge_fn.clone());
        let r = match &f {
            Some(f) => st.graph.merge(req.from, id, old, f.as_ref()),
            None => st.graph.merge(req.from, id, old, &theirs_wins),
        };
        match r {
            Ok(m) => m,
            Err(e) => {
                st.graph.discard(id);
                return Err(e);
            }
        }
    } else {
        id
    };
    st.graph.move_ref(old, head)?;
    st.head = head;
    let added: &[VersionId] = if merged { &[id, head] } else { &[id] };
    if let Err(e) = st.journal_added(app, added) {
        // Not journaled: the push did not happen.
        st.graph.move_ref(head, old)?;
        st.head = old;
        if merged {
            st.graph.discard(head);
        }
        st.graph.discard(id);
        return Err(e);
    }
    if req.hold {
        st.graph.retain(id)?;
    }
    if head != old {
        a.changed.notify_all();
    }
    Ok(PushReply {
        head,
        version: id,
        merged,
    })
}

fn wait_locked(
    app: &App,
    st: &mut MutexGuard<'_, AppState>,
    name: &str,
    since: VersionId,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now().checked_add(timeout);
    while st.head == since {
        match deadline {
            None => app.changed.wait(st),
            Some(d) => {
                if app.changed.wait_until(st, d).timed_out() && st.head == since {
                    return Err(Error::Timeout {
                        app: name.to_owned(),
                        since,
                        waited: timeout,
                    });
                }
            }
        }
    }
    Ok(())
}
