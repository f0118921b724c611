//! Durable GoT apps: the version graphs of a [`Store`] kept in a data directory, in one
//! [redb](https://www.redb.org) file (`got.redb`).
//!
//! What is on disk, per app: its schema, its head, and every version of its graph with its
//! incoming edges — exactly what the in-memory graph holds, so a restart rebuilds the same graph
//! (the collection that removes a version in memory removes it on disk, and rewrites the
//! survivors whose edges it composed). Diffs are stored as the protocol's CBOR frames
//! (`docs/protocol.md`): one codec for the wire and the disk.
//!
//! A [`Disk`] is the [`Journal`] of its apps. A push is queued under the app's lock and made
//! durable outside it: the first waiting caller writes every queued entry in one redb
//! transaction and commits it (an fsync), then wakes the others — concurrent pushes share one
//! commit (group commit). A failed commit stops the disk: every later push fails with the same
//! error instead of being acknowledged and lost.
//!
//! Not kept: references (after a restart only the head is held) and merge functions (they are
//! code: the application gives them again).

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use fluxion_got_protocol::{append_edge, decode, Limits};
use fluxion_versions::{
    Diff, Entry, Error, Journal, Record, Result as VResult, Schema, Store, Ticket, VersionGraph,
    VersionId,
};
use parking_lot::{Condvar, Mutex};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use thiserror::Error as ThisError;

/// The file in a data directory.
pub const FILE_NAME: &str = "got.redb";
/// Written in the file's `meta` table; a file with another value is refused, not guessed at.
pub const FORMAT: &str = "fluxion-got-disk/1";

const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
const SCHEMAS: TableDefinition<&str, &str> = TableDefinition::new("schemas");
const HEADS: TableDefinition<&str, u128> = TableDefinition::new("heads");

fn versions_table(app: &str) -> String {
    format!("versions/{app}")
}

/// Why a data directory cannot be used. Every message names the path.
#[derive(Debug, ThisError)]
pub enum DiskError {
    #[error("cannot use data directory {path}: {source} (give a directory this process may create and write)")]
    Directory { path: PathBuf, source: io::Error },
    #[error("data directory {path} is in use by another process (one process serves a data directory at a time)")]
    InUse { path: PathBuf },
    #[error("{path} is not a fluxion GoT store, or is corrupted: {reason} (move it away, or give another dataDir)")]
    NotAStore { path: PathBuf, reason: String },
    #[error("{path} was written in format {found:?}; this fluxion reads {expected:?} (give another dataDir, or use the fluxion that wrote it)")]
    Format {
        path: PathBuf,
        found: String,
        expected: &'static str,
    },
    #[error("{path}: app {app:?} is stored with other types ({stored}); a dataframe must declare the types it was created with")]
    SchemaMismatch {
        path: PathBuf,
        app: String,
        stored: String,
    },
    #[error("{path}: app {app:?}: {reason}")]
    Corrupted {
        path: PathBuf,
        app: String,
        reason: String,
    },
    #[error("{path}: {reason}")]
    Storage { path: PathBuf, reason: String },
    #[error("{0}")]
    Store(#[from] Error),
}

impl From<DiskError> for Error {
    fn from(e: DiskError) -> Error {
        match e {
            DiskError::Store(e) => e,
            e => Error::Durability(e.to_string()),
        }
    }
}

/// One queued change, in commit order.
enum Op {
    Put {
        app: String,
        id: u128,
        bytes: Vec<u8>,
    },
    Remove {
        app: String,
        id: u128,
    },
    Head {
        app: String,
        head: u128,
    },
}

#[derive(Default)]
struct Queue {
    ops: Vec<Op>,
    /// Ticket of the last entry appended.
    last: u64,
}

#[derive(Default)]
struct Synced {
    /// Every entry up to this ticket is durable.
    durable: u64,
    /// A caller is writing a batch (the others wait for it).
    writing: bool,
    /// The commit that failed; the disk takes nothing more after it.
    failed: Option<String>,
    /// Commits made (each one fsync): with the ticket count, how well pushes are grouped.
    commits: u64,
}

/// Encoding buffers kept for reuse. A fresh megabyte costs more in page faults (about 0.4 ms
/// on a VM) than encoding a megabyte of diff into warm memory (about 0.06 ms), so the buffers
/// a commit has written are kept, up to [`SPARE_BYTES`] in all.
#[derive(Default)]
struct Spare {
    bufs: Vec<Vec<u8>>,
    bytes: usize,
}

/// Most capacity [`Spare`] keeps.
const SPARE_BYTES: usize = 16 << 20;

impl Spare {
    fn take(&mut self) -> Vec<u8> {
        match self.bufs.pop() {
            Some(b) => {
                self.bytes -= b.capacity();
                b
            }
            None => Vec::new(),
        }
    }

    fn give(&mut self, mut b: Vec<u8>) {
        if b.capacity() > 0 && self.bytes + b.capacity() <= SPARE_BYTES {
            b.clear();
            self.bytes += b.capacity();
            self.bufs.push(b);
        }
    }
}

struct Inner {
    file: PathBuf,
    db: Database,
    spare: Mutex<Spare>,
    queue: Mutex<Queue>,
    synced: Mutex<Synced>,
    wake: Condvar,
}

/// A data directory's store (see the crate docs). Cloning gives another handle to it.
#[derive(Clone)]
pub struct Disk {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Disk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Disk")
            .field("file", &self.inner.file)
            .finish()
    }
}

impl Disk {
    /// Opens the store in `dir`, creating the directory and the file if needed.
    pub fn open(dir: impl AsRef<Path>) -> Result<Disk, DiskError> {
        let dir = dir.as_ref();
        let directory = |source| DiskError::Directory {
            path: dir.to_owned(),
            source,
        };
        fs::create_dir_all(dir).map_err(directory)?;
        if !fs::metadata(dir).map_err(directory)?.is_dir() {
            return Err(directory(io::Error::other("not a directory")));
        }
        let file = dir.join(FILE_NAME);
        // redb meets some damaged files with a panic rather than an error.
        let created = std::panic::catch_unwind(|| Database::create(&file)).map_err(|_| {
            DiskError::NotAStore {
                path: file.clone(),
                reason: "its pages do not read back as a redb tree".into(),
            }
        })?;
        let mut db = created.map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => DiskError::InUse { path: file.clone() },
            // redb reports a foreign file as invalid data; other I/O errors are the directory's.
            redb::DatabaseError::Storage(redb::StorageError::Io(source))
                if source.kind() != io::ErrorKind::InvalidData =>
            {
                DiskError::Directory {
                    path: file.clone(),
                    source,
                }
            }
            e => DiskError::NotAStore {
                path: file.clone(),
                reason: e.to_string(),
            },
        })?;
        // redb repairs what a crash leaves by itself; this catches damage done otherwise (its
        // pages are checksummed), which redb would otherwise meet later as a panic.
        let check = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.check_integrity()));
        match check {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                return Err(DiskError::NotAStore {
                    path: file,
                    reason: e.to_string(),
                })
            }
            Err(_) => {
                return Err(DiskError::NotAStore {
                    path: file,
                    reason: "its pages do not read back as a redb tree".into(),
                })
            }
        }
        let disk = Disk {
            inner: Arc::new(Inner {
                file,
                db,
                spare: Mutex::new(Spare::default()),
                queue: Mutex::new(Queue::default()),
                synced: Mutex::new(Synced::default()),
                wake: Condvar::new(),
            }),
        };
        disk.check_format()?;
        Ok(disk)
    }

    /// [`Disk::open`] once per process: redb opens a file once per process, so every dataframe
    /// or server of the process that names `dir` (by any path to it) shares one handle.
    pub fn open_shared(dir: impl AsRef<Path>) -> Result<Disk, DiskError> {
        static OPEN: LazyLock<Mutex<HashMap<PathBuf, Disk>>> = LazyLock::new(Default::default);
        let dir = dir.as_ref();
        let mut open = OPEN.lock();
        if let Some(d) = fs::canonicalize(dir).ok().and_then(|p| open.get(&p)) {
            return Ok(d.clone());
        }
        let disk = Disk::open(dir)?;
        let key = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
        open.insert(key, disk.clone());
        Ok(disk)
    }

    /// The redb file.
    pub fn path(&self) -> &Path {
        &self.inner.file
    }

    fn storage(&self, e: impl std::fmt::Display) -> DiskError {
        DiskError::Storage {
            path: self.inner.file.clone(),
            reason: e.to_string(),
        }
    }

    /// Writes the format of a new file, refuses a file of another one.
    fn check_format(&self) -> Result<(), DiskError> {
        let s = |e| self.storage(e);
        let tx = self.inner.db.begin_write().map_err(|e| s(e.to_string()))?;
        {
            let mut meta = tx.open_table(META).map_err(|e| s(e.to_string()))?;
            let found = meta
                .get("format")
                .map_err(|e| s(e.to_string()))?
                .map(|v| v.value().to_owned());
            match found {
                Some(f) if f == FORMAT => {}
                Some(f) => {
                    return Err(DiskError::Format {
                        path: self.inner.file.clone(),
                        found: f,
                        expected: FORMAT,
                    })
                }
                None => {
                    let tables = tx.list_tables().map_err(|e| s(e.to_string()))?.count();
                    if tables > 1 {
                        return Err(DiskError::NotAStore {
                            path: self.inner.file.clone(),
                            reason: "a redb file without fluxion's format mark".into(),
                        });
                    }
                    meta.insert("format", FORMAT)
                        .map_err(|e| s(e.to_string()))?;
                }
            }
            tx.open_table(SCHEMAS).map_err(|e| s(e.to_string()))?;
            tx.open_table(HEADS).map_err(|e| s(e.to_string()))?;
        }
        tx.commit().map_err(|e| s(e.to_string()))
    }

    /// The apps stored, sorted.
    pub fn apps(&self) -> Result<Vec<String>, DiskError> {
        let s = |e: String| self.storage(e);
        let tx = self.inner.db.begin_read().map_err(|e| s(e.to_string()))?;
        let t = tx.open_table(SCHEMAS).map_err(|e| s(e.to_string()))?;
        let mut names = Vec::new();
        for row in t.iter().map_err(|e| s(e.to_string()))? {
            let (k, _) = row.map_err(|e| s(e.to_string()))?;
            names.push(k.value().to_owned());
        }
        Ok(names)
    }

    /// The stored schema of `app`, if it is stored.
    pub fn schema(&self, app: &str) -> Result<Option<Schema>, DiskError> {
        let s = |e: String| self.storage(e);
        let tx = self.inner.db.begin_read().map_err(|e| s(e.to_string()))?;
        let t = tx.open_table(SCHEMAS).map_err(|e| s(e.to_string()))?;
        let Some(json) = t.get(app).map_err(|e| s(e.to_string()))? else {
            return Ok(None);
        };
        serde_json::from_str(json.value())
            .map(Some)
            .map_err(|e| self.corrupted(app, format!("unreadable schema: {e}")))
    }

    fn corrupted(&self, app: &str, reason: String) -> DiskError {
        DiskError::Corrupted {
            path: self.inner.file.clone(),
            app: app.to_owned(),
            reason,
        }
    }

    /// Reads `app` back: its schema, graph and head.
    pub fn load(&self, app: &str) -> Result<(Schema, VersionGraph, VersionId), DiskError> {
        let schema = self
            .schema(app)?
            .ok_or_else(|| self.corrupted(app, "not stored".into()))?;
        let s = |e: String| self.storage(e);
        let tx = self.inner.db.begin_read().map_err(|e| s(e.to_string()))?;
        let head = tx
            .open_table(HEADS)
            .map_err(|e| s(e.to_string()))?
            .get(app)
            .map_err(|e| s(e.to_string()))?
            .map_or(0, |v| v.value());
        let head = VersionId::from_u128(head);
        let name = versions_table(app);
        let def: TableDefinition<u128, &[u8]> = TableDefinition::new(&name);
        let mut records: Vec<(VersionId, Vec<(VersionId, Diff)>)> = Vec::new();
        match tx.open_table(def) {
            Ok(t) => {
                for row in t.iter().map_err(|e| s(e.to_string()))? {
                    let (k, v) = row.map_err(|e| s(e.to_string()))?;
                    let id = VersionId::from_u128(k.value());
                    let parents = decode_record(v.value())
                        .map_err(|r| self.corrupted(app, format!("version {id}: {r}")))?;
                    records.push((id, parents));
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(s(e.to_string())),
        }
        let mut graph = VersionGraph::new(schema.clone());
        restore_in_order(&mut graph, records).map_err(|r| self.corrupted(app, r))?;
        if !graph.contains(head) {
            return Err(self.corrupted(app, format!("the head {head} is not among its versions")));
        }
        Ok((schema, graph, head))
    }

    /// Records a new app (durably) with an empty graph.
    pub fn create_app(&self, app: &str, schema: &Schema) -> Result<(), DiskError> {
        let s = |e: String| self.storage(e);
        let json = serde_json::to_string(schema).map_err(|e| s(e.to_string()))?;
        let tx = self.inner.db.begin_write().map_err(|e| s(e.to_string()))?;
        {
            let mut t = tx.open_table(SCHEMAS).map_err(|e| s(e.to_string()))?;
            t.insert(app, json.as_str()).map_err(|e| s(e.to_string()))?;
            let mut h = tx.open_table(HEADS).map_err(|e| s(e.to_string()))?;
            h.insert(app, 0u128).map_err(|e| s(e.to_string()))?;
        }
        tx.commit().map_err(|e| s(e.to_string()))
    }

    /// Makes `app` durable in `store` on this disk: restored from the disk if stored there
    /// (with `schema`, if given, checked against the stored one), created on both if it is
    /// in neither, and written to the disk if only the store has it.
    pub fn open_app(
        &self,
        store: &Store,
        app: &str,
        schema: Option<&Schema>,
    ) -> Result<(), DiskError> {
        let stored = self.schema(app)?;
        if let (Some(stored), Some(schema)) = (&stored, schema) {
            if stored != schema {
                return Err(DiskError::SchemaMismatch {
                    path: self.inner.file.clone(),
                    app: app.to_owned(),
                    stored: stored.names().collect::<Vec<_>>().join(", "),
                });
            }
        }
        let journal: Arc<dyn Journal> = Arc::new(self.clone());
        match (stored, store.has_app(app)) {
            (Some(_), true) => {
                if !store.is_durable(app)? {
                    return Err(Error::Durability(format!(
                        "app {app:?} is both stored in {} and created in memory in this process \
                         without a dataDir: give the dataDir to its first dataframe, or call \
                         serve({{ dataDir }}) before creating it",
                        self.inner.file.display()
                    ))
                    .into());
                }
                Ok(())
            }
            (Some(_), false) => {
                let (_, graph, head) = self.load(app)?;
                Ok(store.restore_app(app, graph, head, Some(journal))?)
            }
            (None, true) => {
                if store.is_durable(app)? {
                    return Err(Error::Durability(format!(
                        "app {app:?} is durable in another data directory, not {}",
                        self.inner.file.display()
                    ))
                    .into());
                }
                self.create_app(app, &store.schema(app)?)?;
                Ok(store.attach_journal(app, journal)?)
            }
            (None, false) => {
                let schema = schema.ok_or_else(|| Error::UnknownApp(app.to_owned()))?;
                self.create_app(app, schema)?;
                Ok(store.create_durable_app(app, schema.clone(), journal)?)
            }
        }
    }

    /// [`Disk::open_app`] for every app stored, that the store does not have yet.
    pub fn restore_all(&self, store: &Store) -> Result<Vec<String>, DiskError> {
        let apps = self.apps()?;
        for app in &apps {
            if !store.has_app(app) {
                self.open_app(store, app, None)?;
            }
        }
        Ok(apps)
    }

    /// Commits made so far (each is one fsync) and entries appended: their ratio is how many
    /// pushes share a commit.
    pub fn counters(&self) -> (u64, u64) {
        let commits = self.inner.synced.lock().commits;
        (commits, self.inner.queue.lock().last)
    }

    /// Makes everything appended durable (a collection waiting for the next push, too).
    pub fn flush(&self) -> VResult<()> {
        let last = self.inner.queue.lock().last;
        self.sync(Ticket(last))
    }

    fn write(&self, ops: Vec<Op>) -> Result<(), String> {
        self.inner.write(ops)
    }
}

impl Drop for Inner {
    /// Collections queued since the last push reach the disk on a clean close.
    fn drop(&mut self) {
        let ops = std::mem::take(&mut self.queue.get_mut().ops);
        if !ops.is_empty() && self.synced.get_mut().failed.is_none() {
            let _ = self.write(ops);
        }
    }
}

impl Inner {
    /// Writes `ops` in one transaction and commits it.
    fn write(&self, ops: Vec<Op>) -> Result<(), String> {
        let mut written = Vec::new();
        let r = self.write_into(ops, &mut written);
        let mut spare = self.spare.lock();
        for b in written {
            spare.give(b);
        }
        r
    }

    fn write_into(&self, ops: Vec<Op>, written: &mut Vec<Vec<u8>>) -> Result<(), String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let tx = self.db.begin_write().map_err(|x| e(&x))?;
        {
            let mut heads = tx.open_table(HEADS).map_err(|x| e(&x))?;
            // Consecutive ops of one app share the opened table.
            let mut open: Option<(String, redb::Table<u128, &[u8]>)> = None;
            for op in ops {
                match op {
                    Op::Head { app, head } => {
                        heads.insert(app.as_str(), head).map_err(|x| e(&x))?;
                    }
                    Op::Put { app, id, bytes } => {
                        if open.as_ref().is_none_or(|(a, _)| *a != app) {
                            open =
                                Some((app.clone(), open_versions(&tx, &app).map_err(|x| e(&x))?));
                        }
                        let t = &mut open.as_mut().expect("opened above").1;
                        t.insert(id, bytes.as_slice()).map_err(|x| e(&x))?;
                        written.push(bytes);
                    }
                    Op::Remove { app, id } => {
                        if open.as_ref().is_none_or(|(a, _)| *a != app) {
                            open =
                                Some((app.clone(), open_versions(&tx, &app).map_err(|x| e(&x))?));
                        }
                        let t = &mut open.as_mut().expect("opened above").1;
                        t.remove(id).map_err(|x| e(&x))?;
                    }
                }
            }
        }
        tx.commit().map_err(|x| e(&x))
    }
}

fn open_versions<'t>(
    tx: &'t redb::WriteTransaction,
    app: &str,
) -> Result<redb::Table<'t, u128, &'static [u8]>, redb::TableError> {
    let name = versions_table(app);
    tx.open_table(TableDefinition::<u128, &[u8]>::new(&name))
}

/// A version's incoming edges as concatenated protocol frames (StartVersion = parent,
/// EndVersion = the version, Data = the edge's diff).
fn encode_record(r: &Record<'_>, mut out: Vec<u8>) -> Vec<u8> {
    for (p, diff) in &r.parents {
        append_edge(&mut out, *p, r.id, diff);
    }
    out
}

fn decode_record(mut bytes: &[u8]) -> Result<Vec<(VersionId, Diff)>, String> {
    // What we wrote ourselves: no size or depth limit beyond the protocol's nesting.
    let limits = Limits {
        max_frame_bytes: usize::MAX / 2,
        ..Limits::default()
    };
    let mut parents = Vec::new();
    while !bytes.is_empty() {
        let (frame, used) = decode(bytes, &limits).map_err(|e| e.to_string())?;
        bytes = &bytes[used..];
        match (frame.start_version, frame.data) {
            (Some(p), Some(d)) => parents.push((p, d)),
            _ => return Err("an edge without its parent or diff".into()),
        }
    }
    if parents.is_empty() {
        return Err("no incoming edge".into());
    }
    Ok(parents)
}

/// Restores versions parents first (the table is ordered by id, not by history).
fn restore_in_order(
    graph: &mut VersionGraph,
    mut records: Vec<(VersionId, Vec<(VersionId, Diff)>)>,
) -> Result<(), String> {
    while !records.is_empty() {
        let before = records.len();
        let mut later = Vec::new();
        for (id, parents) in records {
            if parents.iter().all(|(p, _)| graph.contains(*p)) {
                graph.restore(id, parents).map_err(|e| e.to_string())?;
            } else {
                later.push((id, parents));
            }
        }
        if later.len() == before {
            return Err(format!(
                "{} versions descend from versions that are not stored (first: {})",
                later.len(),
                later[0].0
            ));
        }
        records = later;
    }
    Ok(())
}

impl Journal for Disk {
    fn append(&self, app: &str, entry: Entry<'_>) -> VResult<Ticket> {
        // Encoded before the queue's lock: other apps keep appending meanwhile.
        let mut ops = Vec::new();
        match entry {
            Entry::Added { versions, head } => {
                for r in &versions {
                    ops.push(Op::Put {
                        app: app.to_owned(),
                        id: r.id.as_u128(),
                        bytes: encode_record(r, self.inner.spare.lock().take()),
                    });
                }
                ops.push(Op::Head {
                    app: app.to_owned(),
                    head: head.as_u128(),
                });
            }
            Entry::Collected { removed, rewired } => {
                for id in removed {
                    ops.push(Op::Remove {
                        app: app.to_owned(),
                        id: id.as_u128(),
                    });
                }
                for r in &rewired {
                    ops.push(Op::Put {
                        app: app.to_owned(),
                        id: r.id.as_u128(),
                        bytes: encode_record(r, self.inner.spare.lock().take()),
                    });
                }
            }
        }
        if let Some(f) = &self.inner.synced.lock().failed {
            return Err(Error::Durability(f.clone()));
        }
        let mut q = self.inner.queue.lock();
        q.ops.extend(ops);
        q.last += 1;
        Ok(Ticket(q.last))
    }

    fn sync(&self, ticket: Ticket) -> VResult<()> {
        let inner = &self.inner;
        let mut st = inner.synced.lock();
        loop {
            if let Some(f) = &st.failed {
                return Err(Error::Durability(f.clone()));
            }
            if st.durable >= ticket.0 {
                return Ok(());
            }
            if st.writing {
                inner.wake.wait(&mut st);
                continue;
            }
            // This caller writes everything queued so far, its own entry and whatever
            // concurrent pushes queued meanwhile, in one commit.
            st.writing = true;
            drop(st);
            let (ops, upto) = {
                let mut q = inner.queue.lock();
                (std::mem::take(&mut q.ops), q.last)
            };
            let r = if ops.is_empty() {
                Ok(())
            } else {
                self.write(ops)
            };
            st = inner.synced.lock();
            st.writing = false;
            match r {
                Ok(()) => {
                    st.durable = st.durable.max(upto);
                    st.commits += 1;
                }
                Err(e) => {
                    st.failed = Some(format!(
                        "{}: a commit failed, nothing is acknowledged from now on: {e}",
                        inner.file.display()
                    ))
                }
            }
            inner.wake.notify_all();
        }
    }
}
