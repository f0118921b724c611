//! N-API glue for GoT dataframes: a process-wide store, dataframes (local or mirroring a
//! remote server), the protocol server. The logic lives in `fluxion-versions` and
//! `fluxion-got-protocol`; this file converts values and errors and keeps blocking calls off
//! the JS thread.
//!
//! Errors reach JS as `Error`s whose message starts with `[CODE] `; lib/dataframe.js turns the
//! code into `err.code` (and the HTTP-like status into `err.status`).

mod convert;

use std::cell::{Cell, RefCell};
use std::ptr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use fluxion_got_disk::{Disk, DiskError};
use fluxion_got_protocol::{
    Access, AuthPolicy, ClientError, HandlerConfig, Limits, OriginPolicy, Remote, RemoteOptions,
    ServedApps, Server, ServerConfig, Token,
};
use fluxion_versions::{
    merge_fn, theirs_wins, Dataframe, DimKind, Error, MergeFn, MergeOutcome, Object, Schema, Store,
    TypeDef, VersionId,
};
use napi::bindgen_prelude::AsyncTask;
use napi::{sys, Env, Status, Task};
use napi_derive::napi;

use convert::{JsUnknown, Out};

/// The store every dataframe of the process shares: a Rust static, so one per process, seen
/// by the main thread and every worker thread alike (the addon is loaded once per process).
static STORE: LazyLock<Store> = LazyLock::new(Store::new);

/// The data directory of `serve({ dataDir })`, with the apps that server serves: an app of
/// those created later in the process is made durable there too.
static SERVED_DISK: LazyLock<parking_lot::Mutex<Option<(Disk, ServedApps)>>> =
    LazyLock::new(Default::default);

fn disk_err(e: DiskError) -> napi::Error {
    match e {
        DiskError::SchemaMismatch { .. } => err("GOT_SCHEMA", e),
        DiskError::Store(e) => version_err(e),
        e => err("GOT_DATA_DIR", e),
    }
}

/// The store of data directory `dir`, opened once per process.
fn open_disk(dir: &str) -> napi::Result<Disk> {
    if dir.is_empty() {
        return Err(arg_err(
            "dataDir must be a directory path, found an empty string".into(),
        ));
    }
    Disk::open_shared(dir).map_err(disk_err)
}

fn err(code: &str, msg: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(Status::GenericFailure, format!("[{code}] {msg}"))
}

fn version_err(e: Error) -> napi::Error {
    let code = match &e {
        Error::Schema(_) => "GOT_SCHEMA",
        Error::Diff(_) => "GOT_DIFF",
        Error::UnknownVersion(_) => "GOT_UNKNOWN_VERSION",
        Error::DuplicateVersion(_) => "GOT_DUPLICATE_VERSION",
        Error::MergeKeyMismatch { .. } => "GOT_MERGE",
        Error::UnknownApp(_) => "GOT_UNKNOWN_APP",
        Error::Timeout { .. } => "GOT_TIMEOUT",
        Error::UncommittedChanges => "GOT_UNCOMMITTED",
        Error::NotConnected => "GOT_NOT_CONNECTED",
        Error::Durability(_) => "GOT_DURABILITY",
        _ => "GOT_ERROR",
    };
    err(code, e)
}

fn client_err(e: ClientError) -> napi::Error {
    match e {
        ClientError::Status { status, .. } => err(&format!("GOT_STATUS_{status}"), e),
        ClientError::Local { source, .. } => version_err(source),
        _ => err("GOT_NETWORK", e),
    }
}

fn arg_err(msg: String) -> napi::Error {
    err("GOT_INVALID", msg)
}

fn parse_kind(type_name: &str, dim: &str, kind: &str) -> napi::Result<DimKind> {
    Ok(match kind {
        "any" => DimKind::Any,
        "bool" | "boolean" => DimKind::Bool,
        "int" | "integer" => DimKind::Int,
        "float" | "number" => DimKind::Float,
        "str" | "string" => DimKind::Str,
        "bytes" => DimKind::Bytes,
        "list" | "array" => DimKind::List,
        "map" | "object" => DimKind::Map,
        other => {
            return Err(arg_err(format!(
                "type {type_name:?}: dimension {dim:?} has unknown kind {other:?} \
                 (use int, float, str, bool, bytes, list, map or any)"
            )))
        }
    })
}

// ------------------------------------------------------------------ merge functions

/// The JS merge function of the native call in progress on this thread.
struct MergeCtx {
    env: sys::napi_env,
    func: sys::napi_value,
    schema: Schema,
    error: Option<String>,
}

thread_local! {
    static MERGE: RefCell<Option<MergeCtx>> = const { RefCell::new(None) };
    static IN_MERGE: Cell<bool> = const { Cell::new(false) };
}

/// The merge function given to the Rust core. JS functions can only run on their own thread,
/// inside a call from JS, so this looks up the one installed by [`with_merge`] on the current
/// thread; a merge anywhere else (a server thread) uses the core's default, theirs-wins.
fn trampoline() -> MergeFn {
    merge_fn(|t, original, yours, theirs| {
        MERGE.with(|m| {
            let mut m = m.borrow_mut();
            match m.as_mut() {
                Some(ctx) if ctx.error.is_none() => {
                    IN_MERGE.with(|f| f.set(true));
                    let r = unsafe { call_merge(ctx, t, original, yours, theirs) };
                    IN_MERGE.with(|f| f.set(false));
                    r.unwrap_or_else(|e| {
                        ctx.error = Some(e);
                        theirs_wins(t, original, yours, theirs)
                    })
                }
                _ => theirs_wins(t, original, yours, theirs),
            }
        })
    })
}

unsafe fn call_merge(
    ctx: &MergeCtx,
    type_name: &str,
    original: Option<&Object>,
    yours: Option<&Object>,
    theirs: Option<&Object>,
) -> Result<MergeOutcome, String> {
    let env = ctx.env;
    let def = ctx.schema.get(type_name).map_err(|e| e.to_string())?;
    let argv = [
        convert::object_to_js(env, def, original)?,
        convert::object_to_js(env, def, yours)?,
        convert::object_to_js(env, def, theirs)?,
        convert::str_to_js(env, type_name)?,
    ];
    let mut undefined = ptr::null_mut();
    sys::napi_get_undefined(env, &mut undefined);
    let mut result = ptr::null_mut();
    let status = sys::napi_call_function(env, undefined, ctx.func, 4, argv.as_ptr(), &mut result);
    if status != sys::Status::napi_ok {
        // lib/dataframe.js wraps the user's function and keeps its exception itself; this only
        // happens for a function that bypassed the wrapper.
        let mut exc = ptr::null_mut();
        sys::napi_get_and_clear_last_exception(env, &mut exc);
        return Err(format!("{type_name}: the merge function threw"));
    }
    match convert::type_of(env, result)? {
        sys::ValueType::napi_null | sys::ValueType::napi_undefined => Ok(MergeOutcome::Delete),
        _ => convert::to_object(env, result, def)
            .map(MergeOutcome::Keep)
            .map_err(|m| format!("the merge function returned an invalid object: {m}")),
    }
}

/// Runs `f` with `merge` (a JS function, or nothing) as this thread's merge function.
fn with_merge<R>(
    schema: &Schema,
    merge: Option<JsUnknown>,
    f: impl FnOnce() -> napi::Result<R>,
) -> napi::Result<R> {
    if IN_MERGE.with(Cell::get) {
        return Err(err(
            "GOT_REENTRANT",
            "a merge function must not call dataframe methods (it runs while the version graph is locked)",
        ));
    }
    let Some(js) = merge else { return f() };
    unsafe {
        if convert::type_of(js.env, js.raw).map_err(arg_err)? != sys::ValueType::napi_function {
            return Err(arg_err("mergeFn must be a function".into()));
        }
    }
    let previous = MERGE.with(|m| {
        m.borrow_mut().replace(MergeCtx {
            env: js.env,
            func: js.raw,
            schema: schema.clone(),
            error: None,
        })
    });
    let r = f();
    let ctx = MERGE.with(|m| std::mem::replace(&mut *m.borrow_mut(), previous));
    match ctx.and_then(|c| c.error) {
        Some(e) => Err(err(
            "GOT_MERGE",
            format!("{e} (the conflict was resolved theirs-wins)"),
        )),
        None => r,
    }
}

// ------------------------------------------------------------------ dataframes

#[napi(object)]
pub struct NativeDim {
    pub name: String,
    /// int, float, str, bool, bytes, list, map or any.
    pub kind: String,
}

#[napi(object)]
pub struct NativeTypeDef {
    pub name: String,
    /// The primary-key dimension (of kind int or str).
    pub key: String,
    pub dims: Vec<NativeDim>,
}

#[napi(object)]
pub struct NativeDataframeOptions {
    /// `host:port` of a GoT server; absent: the process-wide store.
    pub remote: Option<String>,
    /// Connection and answer timeout for a remote, in milliseconds (default 30000).
    pub timeout_ms: Option<u32>,
    pub max_frame_bytes: Option<u32>,
    pub max_depth: Option<u32>,
    /// The server's token, presented in each connection's first frame.
    pub token: Option<String>,
    /// A directory where the app's version graph is kept (local dataframes only).
    pub data_dir: Option<String>,
}

fn token_of(token: Option<&str>) -> napi::Result<Option<Token>> {
    token
        .map(|t| Token::new(t).map_err(|e| arg_err(format!("token: {e}"))))
        .transpose()
}

fn schema_of(types: &[NativeTypeDef]) -> napi::Result<Schema> {
    let mut defs = Vec::with_capacity(types.len());
    for t in types {
        let dims = t
            .dims
            .iter()
            .map(|d| Ok((d.name.clone(), parse_kind(&t.name, &d.name, &d.kind)?)))
            .collect::<napi::Result<Vec<_>>>()?;
        defs.push(TypeDef::new(&t.name, &t.key, dims));
    }
    Schema::new(defs).map_err(|e| version_err(e.into()))
}

fn limits_of(max_frame_bytes: Option<u32>, max_depth: Option<u32>) -> Limits {
    let d = Limits::default();
    Limits {
        max_frame_bytes: max_frame_bytes.map_or(d.max_frame_bytes, |b| b as usize),
        max_depth: max_depth.map_or(d.max_depth, |b| b as usize),
    }
}

fn parse_version(v: &str) -> napi::Result<VersionId> {
    v.parse()
        .map_err(|e| err("GOT_INVALID", format!("bad version id: {e}")))
}

/// A dataframe: a working copy on the process store (local) or on the mirror of a server's
/// app (remote). JS-thread only; blocking work goes through the `*Async` methods.
#[napi]
pub struct NativeDataframe {
    df: Dataframe,
    app: String,
    store: Store,
    remote: Option<Arc<Remote>>,
}

fn join_app(store: &Store, app: &str, schema: &Schema, data_dir: Option<&str>) -> napi::Result<()> {
    let disk = match data_dir {
        Some(dir) => Some(open_disk(dir)?),
        // A new app that a server with a dataDir serves is durable there.
        None if !store.has_app(app) => SERVED_DISK
            .lock()
            .as_ref()
            .filter(|(_, apps)| apps.access(app) == Access::ReadWrite)
            .map(|(d, _)| d.clone()),
        None => None,
    };
    if let Some(disk) = disk {
        disk.open_app(store, app, Some(schema)).map_err(disk_err)?;
    }
    match store.create_app(app, schema.clone()) {
        Ok(()) | Err(Error::AppExists(_)) => {}
        Err(e) => return Err(version_err(e)),
    }
    let existing = store.schema(app).map_err(version_err)?;
    if existing != *schema {
        return Err(err(
            "GOT_SCHEMA",
            format!(
                "app {app:?} already exists in this process with other types ({}); \
                 every dataframe of an app must declare the same types",
                existing.names().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    Ok(())
}

#[napi]
impl NativeDataframe {
    #[napi(constructor)]
    pub fn new(
        app: String,
        types: Vec<NativeTypeDef>,
        options: Option<NativeDataframeOptions>,
    ) -> napi::Result<Self> {
        if app.is_empty() {
            return Err(arg_err("the dataframe (app) name must not be empty".into()));
        }
        let schema = schema_of(&types)?;
        let data_dir = options.as_ref().and_then(|o| o.data_dir.clone());
        let (store, remote) =
            match options.as_ref().and_then(|o| o.remote.clone()) {
                None => {
                    join_app(&STORE, &app, &schema, data_dir.as_deref())?;
                    (STORE.clone(), None)
                }
                Some(_) if data_dir.is_some() => return Err(arg_err(
                    "dataDir keeps a local dataframe's versions; a remote dataframe's are kept \
                     by its server (serve({ dataDir }) there)"
                        .into(),
                )),
                Some(addr) => {
                    let o = options.as_ref();
                    let token = token_of(o.and_then(|o| o.token.as_deref()))?;
                    let opts = RemoteOptions {
                        token,
                        timeout: Duration::from_millis(
                            o.and_then(|o| o.timeout_ms).unwrap_or(30_000).into(),
                        ),
                        limits: limits_of(
                            o.and_then(|o| o.max_frame_bytes),
                            o.and_then(|o| o.max_depth),
                        ),
                    };
                    let remote = Arc::new(Remote::new(&addr, &app, schema.clone(), opts));
                    remote
                        .mirror()
                        .set_merge_fn(&app, Some(trampoline()))
                        .map_err(version_err)?;
                    (remote.mirror().clone(), Some(remote))
                }
            };
        let df = Dataframe::connect(&store, &app)
            .map_err(version_err)?
            .with_merge_fn(trampoline());
        Ok(NativeDataframe {
            df,
            app,
            store,
            remote,
        })
    }

    fn def(&self, type_name: &str) -> napi::Result<TypeDef> {
        self.df
            .schema()
            .get(type_name)
            .cloned()
            .map_err(|e| version_err(e.into()))
    }

    fn guard(&self) -> napi::Result<()> {
        if IN_MERGE.with(Cell::get) {
            return Err(err(
                "GOT_REENTRANT",
                "a merge function must not call dataframe methods",
            ));
        }
        Ok(())
    }

    /// Adds new objects (all or none); returns how many.
    #[napi]
    pub fn add_many(&mut self, type_name: String, objects: JsUnknown) -> napi::Result<u32> {
        self.guard()?;
        let def = self.def(&type_name)?;
        let objs = unsafe {
            convert::elements(objects.env, objects.raw, "objects")
                .map_err(arg_err)?
                .into_iter()
                .map(|o| convert::to_object(objects.env, o, &def))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| err("GOT_SCHEMA", m))?
        };
        let n = objs.len() as u32;
        self.df.add_many(&type_name, objs).map_err(version_err)?;
        Ok(n)
    }

    /// The object with this key (a fresh copy), or null.
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn read_one(&self, type_name: String, key: JsUnknown) -> napi::Result<Out> {
        self.guard()?;
        let def = self.def(&type_name)?;
        let key = unsafe { convert::to_key(key.env, key.raw, &def) }.map_err(arg_err)?;
        Ok(
            match self.df.read_one(&type_name, &key).map_err(version_err)? {
                Some(o) => Out::object(&def, o),
                None => Out::Null,
            },
        )
    }

    /// Every object of the type, by key order.
    #[napi(ts_return_type = "Array<Record<string, unknown>>")]
    pub fn read_all(&self, type_name: String) -> napi::Result<Out> {
        self.guard()?;
        let def = self.def(&type_name)?;
        let objs = self.df.read_all(&type_name).map_err(version_err)?;
        Ok(Out::List(
            objs.iter().map(|o| Out::object(&def, o)).collect(),
        ))
    }

    /// Overwrites some dimensions of an existing object.
    #[napi]
    pub fn update_one(
        &mut self,
        type_name: String,
        key: JsUnknown,
        changes: JsUnknown,
    ) -> napi::Result<()> {
        self.guard()?;
        let def = self.def(&type_name)?;
        let key = unsafe { convert::to_key(key.env, key.raw, &def) }.map_err(arg_err)?;
        let dims = unsafe {
            let props = convert::props(changes.env, changes.raw, "changes").map_err(arg_err)?;
            if props.iter().any(|(k, _)| *k == def.key) {
                return Err(err(
                    "GOT_SCHEMA",
                    format!(
                        "{} {key}: the key dimension {:?} cannot be changed",
                        def.name, def.key
                    ),
                ));
            }
            convert::to_dims(changes.env, &props, &def, &key, false)
                .map_err(|m| err("GOT_SCHEMA", m))?
        };
        self.df
            .update_one(&type_name, &key, dims)
            .map_err(version_err)
    }

    #[napi]
    pub fn delete_one(&mut self, type_name: String, key: JsUnknown) -> napi::Result<()> {
        self.guard()?;
        let def = self.def(&type_name)?;
        let key = unsafe { convert::to_key(key.env, key.raw, &def) }.map_err(arg_err)?;
        self.df.delete_one(&type_name, &key).map_err(version_err)
    }

    /// Deletes every object of the type; returns how many.
    #[napi]
    pub fn delete_all(&mut self, type_name: String) -> napi::Result<u32> {
        self.guard()?;
        Ok(self.df.delete_all(&type_name).map_err(version_err)? as u32)
    }

    /// Drops the staged changes.
    #[napi]
    pub fn discard(&mut self) -> napi::Result<()> {
        self.guard()?;
        self.df.discard().map_err(version_err)
    }

    #[napi]
    pub fn commit(&mut self, merge: Option<JsUnknown>) -> napi::Result<String> {
        let schema = self.df.schema().clone();
        let df = &mut self.df;
        with_merge(&schema, merge, || {
            df.commit().map(|v| v.to_string()).map_err(version_err)
        })
    }

    /// Checks out `version` (a version of the local graph), or the local head.
    #[napi]
    pub fn checkout(&mut self, version: Option<String>) -> napi::Result<String> {
        self.guard()?;
        let v = match version {
            Some(v) => parse_version(&v)?,
            None => self.df.head(),
        };
        self.df.checkout(v).map_err(version_err)?;
        Ok(v.to_string())
    }

    /// Keeps `version` in the local history so that it can be checked out later (the history
    /// is otherwise collected down to the head, the checked-out and the remote version).
    #[napi]
    pub fn pin(&mut self, version: String) -> napi::Result<()> {
        self.guard()?;
        self.df.pin(parse_version(&version)?).map_err(version_err)
    }

    /// Undoes one `pin`.
    #[napi]
    pub fn unpin(&mut self, version: String) -> napi::Result<()> {
        self.guard()?;
        self.df.unpin(parse_version(&version)?).map_err(version_err)
    }

    /// Fetches from the store (the process store, or the mirror) and merges into the local
    /// head; for a remote dataframe, call `syncDown` first to bring the server's versions into
    /// the mirror.
    #[napi]
    pub fn fetch_local(&mut self, merge: Option<JsUnknown>) -> napi::Result<String> {
        let schema = self.df.schema().clone();
        let df = &mut self.df;
        with_merge(&schema, merge, || {
            df.fetch().map(|v| v.to_string()).map_err(version_err)
        })
    }

    /// Pushes the local head to the store (merging there with `merge` if the store moved);
    /// for a remote dataframe, `syncUp` then sends it to the server.
    #[napi]
    pub fn push_local(&mut self, merge: Option<JsUnknown>) -> napi::Result<String> {
        let schema = self.df.schema().clone();
        let df = &mut self.df;
        let r = with_merge(&schema, merge, || {
            df.push().map(|v| v.to_string()).map_err(version_err)
        })?;
        if self.remote.is_none() {
            // The process store is collected by whoever pushes: nothing else runs on it.
            let _ = self.store.gc(&self.app);
        }
        Ok(r)
    }

    /// Remote only: brings the server's new versions into the mirror (one round trip).
    #[napi]
    pub fn sync_down(&self) -> napi::Result<bool> {
        match &self.remote {
            Some(r) => r.sync_down().map_err(client_err),
            None => Ok(false),
        }
    }

    /// Remote only: sends the mirror's new versions to the server; returns the server's head.
    #[napi]
    pub fn sync_up(&self) -> napi::Result<Option<String>> {
        match &self.remote {
            Some(r) => r.sync_up().map(|v| Some(v.to_string())).map_err(client_err),
            None => Ok(None),
        }
    }

    /// Remote only: sends the local head to the server if the server's head is still the
    /// version this dataframe last fetched (a push with IfHead: the server does not merge);
    /// returns the server's head, or null when it moved (fetch, merge and try again).
    #[napi]
    pub fn push_remote(&mut self) -> napi::Result<Option<String>> {
        self.guard()?;
        let Some(task) = self.push_if_head_task()? else {
            return Ok(Some(self.df.head().to_string()));
        };
        if task.run()? {
            self.df.push().map_err(version_err)?;
            return Ok(Some(self.df.head().to_string()));
        }
        Ok(None)
    }

    /// [`NativeDataframe::push_remote`]'s network part on the libuv thread pool: resolves
    /// whether the server took the push; then call `pushLocal` (it records the push).
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn push_remote_async(&self) -> napi::Result<AsyncTask<PushIfHeadTask>> {
        self.guard()?;
        Ok(AsyncTask::new(self.push_if_head_task()?.unwrap_or(
            PushIfHeadTask {
                remote: None,
                from: VersionId::ROOT,
                head: VersionId::ROOT,
                diff: Default::default(),
            },
        )))
    }

    /// [`NativeDataframe::sync_down`] on the libuv thread pool.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn sync_down_async(&self) -> AsyncTask<SyncTask> {
        AsyncTask::new(SyncTask {
            remote: self.remote.clone(),
        })
    }

    /// [`NativeDataframe::sync_up`] on the libuv thread pool.
    #[napi(ts_return_type = "Promise<string | null>")]
    pub fn sync_up_async(&self) -> AsyncTask<SyncUpTask> {
        AsyncTask::new(SyncUpTask {
            remote: self.remote.clone(),
        })
    }

    /// Waits on the libuv thread pool (at most `timeoutMs`) until the store has a version this
    /// dataframe has not fetched; resolves 200, or 408 on timeout. A remote dataframe also
    /// brings that version into the mirror.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn wait_async(&self, timeout_ms: f64) -> napi::Result<AsyncTask<WaitTask>> {
        if !(timeout_ms.is_finite() && timeout_ms >= 0.0) {
            return Err(arg_err(format!(
                "timeout must be a non-negative number of milliseconds, found {timeout_ms}"
            )));
        }
        Ok(AsyncTask::new(WaitTask {
            store: self.store.clone(),
            app: self.app.clone(),
            since: self.df.remote_version().unwrap_or(VersionId::ROOT),
            remote: self.remote.clone(),
            timeout: Duration::from_secs_f64(timeout_ms / 1000.0),
        }))
    }

    /// The newest local version.
    #[napi(getter)]
    pub fn head(&self) -> String {
        self.df.head().to_string()
    }

    /// The version the working copy was checked out from.
    #[napi(getter)]
    pub fn version(&self) -> String {
        self.df.version().to_string()
    }

    /// The newest version of the store (or mirror) this dataframe has seen.
    #[napi(getter)]
    pub fn remote_version(&self) -> Option<String> {
        self.df.remote_version().map(|v| v.to_string())
    }

    /// The newest server version the mirror has (remote dataframes).
    #[napi(getter)]
    pub fn server_version(&self) -> Option<String> {
        self.remote.as_ref().map(|r| r.known().to_string())
    }

    #[napi(getter)]
    pub fn has_staged(&self) -> bool {
        self.df.has_staged()
    }

    /// Versions in the local graph (it is collected after every operation).
    #[napi(getter)]
    pub fn local_versions(&self) -> u32 {
        self.df.graph().len() as u32
    }

    /// Versions the store (process store or mirror) holds for this app.
    #[napi(getter)]
    pub fn store_versions(&self) -> napi::Result<u32> {
        Ok(self.store.version_count(&self.app).map_err(version_err)? as u32)
    }

    /// The store's version graph for this app as it is now (what garbage collection kept: the
    /// root, the head and the versions some dataframe holds), newest first, at most `limit`
    /// versions reached from the head through parents. For pictures of the history (the
    /// dashboard); the ids are those `version` and `commit()` give.
    #[napi]
    pub fn store_graph(&self, limit: u32) -> napi::Result<NativeStoreGraph> {
        let head = self.store.head(&self.app).map_err(version_err)?;
        self.store
            .with_graph(&self.app, |g| {
                let mut out = Vec::new();
                let mut seen = std::collections::HashSet::new();
                let mut queue = std::collections::VecDeque::new();
                let mut starts = g.leaves();
                starts.retain(|v| *v != head);
                starts.insert(0, head);
                for v in starts {
                    if seen.insert(v) {
                        queue.push_back(v);
                    }
                }
                while let Some(v) = queue.pop_front() {
                    if out.len() >= limit as usize {
                        break;
                    }
                    let parents = g.parents(v).map(<[VersionId]>::to_vec).unwrap_or_default();
                    for p in &parents {
                        if seen.insert(*p) {
                            queue.push_back(*p);
                        }
                    }
                    out.push(NativeVersionNode {
                        version: v.to_string(),
                        parents: parents.iter().map(ToString::to_string).collect(),
                        refs: g.refs(v) as u32,
                    });
                }
                NativeStoreGraph {
                    head: head.to_string(),
                    total: g.len() as u32,
                    versions: out,
                }
            })
            .map_err(version_err)
    }
}

/// One version of a store's graph: its parents and how many holders keep it from collection.
#[napi(object)]
pub struct NativeVersionNode {
    pub version: String,
    pub parents: Vec<String>,
    pub refs: u32,
}

/// A store's version graph (see `NativeDataframe::store_graph`).
#[napi(object)]
pub struct NativeStoreGraph {
    pub head: String,
    /// Versions the graph holds (the root included).
    pub total: u32,
    pub versions: Vec<NativeVersionNode>,
}

pub struct SyncTask {
    remote: Option<Arc<Remote>>,
}

impl Task for SyncTask {
    type Output = bool;
    type JsValue = bool;

    fn compute(&mut self) -> napi::Result<bool> {
        match &self.remote {
            Some(r) => r.sync_down().map_err(client_err),
            None => Ok(false),
        }
    }

    fn resolve(&mut self, _env: Env, out: bool) -> napi::Result<bool> {
        Ok(out)
    }
}

pub struct SyncUpTask {
    remote: Option<Arc<Remote>>,
}

impl Task for SyncUpTask {
    type Output = Option<String>;
    type JsValue = Option<String>;

    fn compute(&mut self) -> napi::Result<Option<String>> {
        match &self.remote {
            Some(r) => r.sync_up().map(|v| Some(v.to_string())).map_err(client_err),
            None => Ok(None),
        }
    }

    fn resolve(&mut self, _env: Env, out: Option<String>) -> napi::Result<Option<String>> {
        Ok(out)
    }
}

pub struct PushIfHeadTask {
    remote: Option<Arc<Remote>>,
    from: VersionId,
    head: VersionId,
    diff: fluxion_versions::Diff,
}

impl PushIfHeadTask {
    /// Whether the server took the push (`true` too when there was nothing to push).
    fn run(&self) -> napi::Result<bool> {
        match &self.remote {
            Some(r) => r
                .push_if_head(self.from, self.head, self.diff.clone())
                .map_err(client_err),
            None => Ok(true),
        }
    }
}

impl Task for PushIfHeadTask {
    type Output = bool;
    type JsValue = bool;

    fn compute(&mut self) -> napi::Result<bool> {
        self.run()
    }

    fn resolve(&mut self, _env: Env, out: bool) -> napi::Result<bool> {
        Ok(out)
    }
}

impl NativeDataframe {
    /// What a conditional push of the local head sends; `None` when there is nothing to push.
    fn push_if_head_task(&self) -> napi::Result<Option<PushIfHeadTask>> {
        let Some(remote) = self.remote.clone() else {
            return Err(arg_err("only a remote dataframe pushes to a server".into()));
        };
        let from = self.df.remote_version().unwrap_or(VersionId::ROOT);
        let head = self.df.head();
        if from == head {
            return Ok(None);
        }
        let diff = self.df.graph().delta(from, head).map_err(version_err)?;
        Ok(Some(PushIfHeadTask {
            remote: Some(remote),
            from,
            head,
            diff,
        }))
    }
}

pub struct WaitTask {
    store: Store,
    app: String,
    since: VersionId,
    remote: Option<Arc<Remote>>,
    timeout: Duration,
}

impl Task for WaitTask {
    type Output = u32;
    type JsValue = u32;

    fn compute(&mut self) -> napi::Result<u32> {
        if let Some(r) = &self.remote {
            // The mirror may already hold versions the dataframe has not fetched.
            if self.store.head(&self.app).map_err(version_err)? != self.since {
                return Ok(200);
            }
            return match r.wait_down(self.timeout).map_err(client_err)? {
                true => Ok(200),
                false => Ok(408),
            };
        }
        match self
            .store
            .wait_for_change(&self.app, self.since, self.timeout)
        {
            Ok(_) => Ok(200),
            Err(Error::Timeout { .. }) => Ok(408),
            Err(e) => Err(version_err(e)),
        }
    }

    fn resolve(&mut self, _env: Env, out: u32) -> napi::Result<u32> {
        Ok(out)
    }
}

// ------------------------------------------------------------------ the server

#[napi(object)]
#[derive(Default)]
pub struct NativeServeOptions {
    pub host: Option<String>,
    /// 0 or absent: any free port.
    pub port: Option<u32>,
    pub max_frame_bytes: Option<u32>,
    pub max_depth: Option<u32>,
    /// Longest a fetch with Wait may block, in milliseconds (default 30000).
    pub max_wait_ms: Option<u32>,
    /// Deadline for a whole frame from its first byte, in milliseconds (default 10000).
    pub frame_timeout_ms: Option<u32>,
    /// Longest wait between frames before the connection is closed (default 120000).
    pub idle_ms: Option<u32>,
    pub max_connections: Option<u32>,
    /// Fetched-but-unacknowledged versions a connection may hold (default 16).
    pub max_unacked: Option<u32>,
    /// Longest a fetched version stays held without its ack, in milliseconds (default 60000).
    pub unacked_ms: Option<u32>,
    /// The token clients must present.
    pub token: Option<String>,
    /// Serve connections that present no token (Spacetime clients) even with a token set.
    pub allow_unauthenticated: Option<bool>,
    /// Allowed WebSocket origins; `["*"]`: any; absent or empty: the same host.
    pub origins: Option<Vec<String>>,
    /// The served apps; absent: every app but the internal ones.
    pub apps: Option<Vec<String>>,
    /// A directory where the served apps' version graphs are kept.
    pub data_dir: Option<String>,
}

/// `serve({ dataDir })`: the apps stored in `dir` come back into the process store, the served
/// apps of the store go to `dir`, and so do those created later.
fn make_durable(dir: &str, apps: &ServedApps) -> napi::Result<()> {
    let disk = open_disk(dir)?;
    let mut served = SERVED_DISK.lock();
    if let Some((d, _)) = served.as_ref() {
        if d.path() != disk.path() {
            return Err(arg_err(format!(
                "serve(): this process serves data directory {} already; one dataDir per process",
                d.path().display()
            )));
        }
    }
    disk.restore_all(&STORE).map_err(disk_err)?;
    for app in STORE.apps() {
        if apps.access(&app) == Access::ReadWrite && !STORE.is_durable(&app).map_err(version_err)? {
            disk.open_app(&STORE, &app, None).map_err(disk_err)?;
        }
    }
    *served = Some((disk, apps.clone()));
    Ok(())
}

fn millis_or(ms: Option<u32>, default: Duration) -> Duration {
    ms.map_or(default, |m| Duration::from_millis(m.into()))
}

/// A GoT server (TCP and WebSocket on one port) over the process-wide store.
#[napi]
pub struct NativeGotServer {
    server: Option<Server>,
    port: u32,
    host: String,
}

#[napi]
impl NativeGotServer {
    #[napi(constructor)]
    pub fn new(options: Option<NativeServeOptions>) -> napi::Result<Self> {
        let o = options.unwrap_or_default();
        let d = ServerConfig::default();
        let config = ServerConfig {
            limits: limits_of(o.max_frame_bytes, o.max_depth),
            handler: HandlerConfig {
                max_wait: millis_or(o.max_wait_ms, d.handler.max_wait),
            },
            frame_timeout: millis_or(o.frame_timeout_ms, d.frame_timeout),
            idle_timeout: millis_or(o.idle_ms, d.idle_timeout),
            max_connections: o.max_connections.map_or(d.max_connections, |m| m as usize),
            max_unacked: o.max_unacked.map_or(d.max_unacked, |m| m as usize),
            unacked_timeout: millis_or(o.unacked_ms, d.unacked_timeout),
            auth: AuthPolicy {
                token: token_of(o.token.as_deref())?,
                allow_unauthenticated: o.allow_unauthenticated.unwrap_or(false),
            },
            origins: OriginPolicy::from_list(o.origins.as_deref().unwrap_or_default()),
            apps: o.apps.map_or(ServedApps::Public, ServedApps::named),
        };
        if let Some(dir) = o.data_dir.as_deref() {
            make_durable(dir, &config.apps)?;
        }
        let host = o.host.unwrap_or_else(|| "127.0.0.1".into());
        let port = o.port.unwrap_or(0);
        if port > 65535 {
            return Err(arg_err(format!("port must be 0..65535, found {port}")));
        }
        let server = Server::bind(STORE.clone(), (host.as_str(), port as u16), config)
            .map_err(|e| err("GOT_LISTEN", format!("cannot listen on {host}:{port}: {e}")))?;
        let port = server.local_addr().port().into();
        Ok(NativeGotServer {
            server: Some(server),
            port,
            host,
        })
    }

    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.port
    }

    #[napi(getter)]
    pub fn host(&self) -> String {
        self.host.clone()
    }

    #[napi(getter)]
    pub fn connections(&self) -> u32 {
        self.server.as_ref().map_or(0, |s| s.connections() as u32)
    }

    /// Stops accepting and closes every connection. Idempotent.
    #[napi]
    pub fn close(&mut self) {
        if let Some(mut s) = self.server.take() {
            s.close();
        }
    }
}
