//! `_core.Dataframe`: a fluxion dataframe (crates/versions) on the process store or on the
//! mirror of a GoT server's app (crates/got-protocol's `Remote`), with a Python merge function.
//! Network calls release the GIL.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use fluxion_got_disk::{Disk, DiskError};
use fluxion_got_protocol::{
    AuthPolicy, ClientError, Remote, RemoteOptions, Server, ServerConfig, Token,
};
use fluxion_versions::{
    merge_fn, theirs_wins, Dataframe as CoreDataframe, DimKind, Error, MergeFn, MergeOutcome,
    Object, Schema, Store, TypeDef, VersionId,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{from_value, object_dict, to_key, to_object};
use crate::got_error;

/// The store of every local dataframe of this Python process.
static STORE: LazyLock<Store> = LazyLock::new(Store::new);

/// The data directory a server of this process keeps its apps in: an app created later in
/// the process is made durable there too.
static SERVED_DISK: LazyLock<parking_lot::Mutex<Option<Disk>>> = LazyLock::new(Default::default);

fn disk_err(e: DiskError) -> PyErr {
    match e {
        DiskError::SchemaMismatch { .. } => got_error("GOT_SCHEMA", e),
        DiskError::Store(e) => version_err(e),
        e => got_error("GOT_DATA_DIR", e),
    }
}

/// The store of data directory `dir`, opened once per process.
fn open_disk(dir: &str) -> PyResult<Disk> {
    if dir.is_empty() {
        return Err(got_error(
            "GOT_INVALID",
            "data_dir must be a directory path, found an empty string",
        ));
    }
    Disk::open_shared(dir).map_err(disk_err)
}

/// A server's `data_dir`: the apps stored there come back into the process store, the
/// process's apps go there, and so do those created later.
fn make_durable(dir: &str) -> PyResult<()> {
    let disk = open_disk(dir)?;
    let mut served = SERVED_DISK.lock();
    if let Some(d) = served.as_ref() {
        if d.path() != disk.path() {
            return Err(got_error(
                "GOT_INVALID",
                format!(
                    "this process serves data directory {} already; one data_dir per process",
                    d.path().display()
                ),
            ));
        }
    }
    disk.restore_all(&STORE).map_err(disk_err)?;
    for app in STORE.apps() {
        if !STORE.is_durable(&app).map_err(version_err)? {
            disk.open_app(&STORE, &app, None).map_err(disk_err)?;
        }
    }
    *served = Some(disk);
    Ok(())
}

fn version_err(e: Error) -> PyErr {
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
        _ => "GOT_ERROR",
    };
    got_error(code, e)
}

fn client_err(e: ClientError) -> PyErr {
    match e {
        ClientError::Status { status, .. } => got_error(&format!("GOT_STATUS_{status}"), e),
        ClientError::Local { source, .. } => version_err(source),
        other => got_error("GOT_NETWORK", other),
    }
}

/// A token as the user gave it, checked (`None`: no token).
fn parse_token(token: Option<&str>, what: &str) -> PyResult<Option<Token>> {
    token
        .map(|t| {
            Token::new(t).map_err(|e| {
                got_error(
                    "GOT_INVALID",
                    format!("{what}: {e} (e.g. secrets.token_urlsafe(32))"),
                )
            })
        })
        .transpose()
}

fn schema_err(msg: impl std::fmt::Display) -> PyErr {
    got_error("GOT_SCHEMA", msg)
}

fn parse_kind(kind: &str) -> PyResult<DimKind> {
    Ok(match kind {
        "any" => DimKind::Any,
        "bool" => DimKind::Bool,
        "int" => DimKind::Int,
        "float" => DimKind::Float,
        "str" => DimKind::Str,
        "bytes" => DimKind::Bytes,
        "list" => DimKind::List,
        "map" => DimKind::Map,
        other => {
            return Err(got_error(
                "GOT_INVALID",
                format!(
                    "unknown kind {other:?} (use int, float, str, bool, bytes, list, map or any)"
                ),
            ))
        }
    })
}

/// A type as Python gives it: `(name, key dimension, [(dimension, kind)])`.
type PyTypeDef = (String, String, Vec<(String, String)>);

/// The first error a Python merge function raised during one operation.
type ErrorSlot = Arc<parking_lot::Mutex<Option<PyErr>>>;

/// The core's merge function calling `f(type_name, original, yours, theirs)` with dicts (None
/// where the object does not exist); it answers a dict or None (delete). If it raises, the
/// conflict resolves theirs-wins and the operation raises the error afterwards. Answering
/// `NotImplemented` asks for the default rule (theirs wins, per dimension).
fn python_merge(f: Py<PyAny>, schema: Schema, slot: ErrorSlot) -> MergeFn {
    merge_fn(move |t, original, yours, theirs| {
        Python::with_gil(|py| {
            let call = || -> PyResult<MergeOutcome> {
                let def = schema.get(t).map_err(schema_err)?;
                let conv = |o: Option<&Object>| -> PyResult<PyObject> {
                    Ok(match o {
                        Some(o) => object_dict(py, def, o)?.into_any().unbind(),
                        None => py.None(),
                    })
                };
                let r = f.call1(py, (t, conv(original)?, conv(yours)?, conv(theirs)?))?;
                if r.bind(py).is(&py.NotImplemented()) {
                    return Ok(theirs_wins(t, original, yours, theirs));
                }
                if r.is_none(py) {
                    return Ok(MergeOutcome::Delete);
                }
                to_object(def, r.bind(py))
                    .map(MergeOutcome::Keep)
                    .map_err(|m| {
                        got_error(
                            "GOT_MERGE",
                            format!("the merge function returned an invalid object: {m}"),
                        )
                    })
            };
            call().unwrap_or_else(|e| {
                slot.lock().get_or_insert(e);
                theirs_wins(t, original, yours, theirs)
            })
        })
    })
}

/// Pushes to a server with merges done here, by this dataframe's merge function: fetch and
/// merge, then a push the server applies only if its head has not moved (IfHead); if it
/// moved, again. Returns the server's head (this dataframe's head).
fn push_remote(df: &mut CoreDataframe, remote: &Remote) -> PyResult<String> {
    const ATTEMPTS: usize = 1000;
    for attempt in 0..ATTEMPTS {
        remote.sync_down().map_err(client_err)?;
        df.fetch().map_err(version_err)?;
        let from = df.remote_version().unwrap_or(VersionId::ROOT);
        let head = df.head();
        if from == head {
            return Ok(head.to_string());
        }
        let diff = df.graph().delta(from, head).map_err(version_err)?;
        if remote.push_if_head(from, head, diff).map_err(client_err)? {
            df.push().map_err(version_err)?;
            return Ok(head.to_string());
        }
        // Another client pushed in between: back off a little (more with each collision).
        std::thread::sleep(Duration::from_micros(200 * (attempt as u64 % 16)));
    }
    Err(got_error(
        "GOT_CONTENDED",
        format!("the server's head moved {ATTEMPTS} times in a row during one push"),
    ))
}

#[pyclass(module = "fluxion_got._core")]
pub struct Dataframe {
    df: CoreDataframe,
    app: String,
    store: Store,
    remote: Option<Arc<Remote>>,
    merge_errors: ErrorSlot,
    servers: Vec<Server>,
}

impl Dataframe {
    fn def(&self, type_name: &str) -> PyResult<TypeDef> {
        self.df.schema().get(type_name).cloned().map_err(schema_err)
    }

    /// Raises the merge function's error, if it raised during the last operation.
    fn merged<T>(&self, r: PyResult<T>) -> PyResult<T> {
        if let Some(e) = self.merge_errors.lock().take() {
            return Err(e);
        }
        r
    }
}

#[pymethods]
impl Dataframe {
    /// `types`: `[(name, key dimension, [(dimension, kind)])]`. With `host` and `port` the
    /// dataframe mirrors that server's app (presenting `token`, if any, in each connection's
    /// first frame); without, it works on this process's store.
    #[new]
    ///
    /// `data_dir` (local dataframes only): the app's version graph is kept in that directory
    /// (docs/durability.md); a push returns once it is on disk.
    #[pyo3(signature = (app, types, host=None, port=None, merge=None, timeout=30.0, token=None, data_dir=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app: String,
        types: Vec<PyTypeDef>,
        host: Option<String>,
        port: Option<u16>,
        merge: Option<Py<PyAny>>,
        timeout: f64,
        token: Option<&str>,
        data_dir: Option<String>,
    ) -> PyResult<Self> {
        if app.is_empty() {
            return Err(got_error("GOT_INVALID", "the app name must not be empty"));
        }
        let mut defs = Vec::with_capacity(types.len());
        for (name, key, dims) in types {
            let dims = dims
                .into_iter()
                .map(|(d, k)| Ok((d, parse_kind(&k)?)))
                .collect::<PyResult<Vec<_>>>()?;
            defs.push(TypeDef::new(name, key, dims));
        }
        let schema = Schema::new(defs).map_err(schema_err)?;
        let slot: ErrorSlot = Arc::default();
        let merge = merge.map(|f| python_merge(f, schema.clone(), slot.clone()));
        let (store, remote) = match (host, port) {
            (Some(_), Some(_)) if data_dir.is_some() => {
                return Err(got_error(
                    "GOT_INVALID",
                    "data_dir keeps a local dataframe's versions; a remote dataframe's are kept \
                     by its server (serve with data_dir there)",
                ))
            }
            (Some(host), Some(port)) => {
                let timeout = Duration::try_from_secs_f64(timeout)
                    .map_err(|_| got_error("GOT_INVALID", "timeout must be positive seconds"))?;
                let options = RemoteOptions {
                    timeout,
                    token: parse_token(token, "token")?,
                    ..RemoteOptions::default()
                };
                let remote = Arc::new(Remote::new(
                    &format!("{host}:{port}"),
                    &app,
                    schema.clone(),
                    options,
                ));
                if let Some(m) = &merge {
                    remote
                        .mirror()
                        .set_merge_fn(&app, Some(m.clone()))
                        .map_err(version_err)?;
                }
                (remote.mirror().clone(), Some(remote))
            }
            (None, None) => {
                if token.is_some() {
                    return Err(got_error(
                        "GOT_INVALID",
                        "a token is for a remote dataframe (host and port); to require one from clients, pass it to serve",
                    ));
                }
                let disk = match data_dir.as_deref() {
                    Some(dir) => Some(open_disk(dir)?),
                    // A new app of a process that serves a data_dir is durable there.
                    None if !STORE.has_app(&app) => SERVED_DISK.lock().clone(),
                    None => None,
                };
                if let Some(disk) = disk {
                    py.allow_threads(|| disk.open_app(&STORE, &app, Some(&schema)))
                        .map_err(disk_err)?;
                }
                match STORE.create_app(&app, schema.clone()) {
                    Ok(()) | Err(Error::AppExists(_)) => {}
                    Err(e) => return Err(version_err(e)),
                }
                let existing = STORE.schema(&app).map_err(version_err)?;
                if existing != schema {
                    return Err(schema_err(format!(
                        "app {app:?} already exists in this process with other types"
                    )));
                }
                (STORE.clone(), None)
            }
            _ => {
                return Err(got_error(
                    "GOT_INVALID",
                    "details must be (host, port), or None for this process's store",
                ))
            }
        };
        let mut df = CoreDataframe::connect(&store, &app).map_err(version_err)?;
        if let Some(m) = merge {
            df = df.with_merge_fn(m);
        }
        Ok(Dataframe {
            df,
            app,
            store,
            remote,
            merge_errors: slot,
            servers: Vec::new(),
        })
    }

    /// Stages new objects (dicts holding the key dimension), all or none.
    fn add_many(&mut self, type_name: &str, objects: &Bound<'_, PyList>) -> PyResult<()> {
        let def = self.def(type_name)?;
        let objs = objects
            .iter()
            .map(|o| to_object(&def, &o).map_err(schema_err))
            .collect::<PyResult<Vec<_>>>()?;
        self.df.add_many(type_name, objs).map_err(version_err)
    }

    /// The object's dict, or None.
    fn read_one<'py>(
        &self,
        py: Python<'py>,
        type_name: &str,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let def = self.def(type_name)?;
        let key = to_key(&def, key).map_err(schema_err)?;
        match self.df.read_one(type_name, &key).map_err(version_err)? {
            Some(o) => Ok(Some(object_dict(py, &def, o)?)),
            None => Ok(None),
        }
    }

    /// One dimension of an object (None when the object does not exist).
    fn read_dim<'py>(
        &self,
        py: Python<'py>,
        type_name: &str,
        key: &Bound<'py, PyAny>,
        dim: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let def = self.def(type_name)?;
        let key = to_key(&def, key).map_err(schema_err)?;
        match self.df.read_one(type_name, &key).map_err(version_err)? {
            Some(o) => from_value(py, o.get(dim).unwrap_or(&fluxion_versions::Value::Null)),
            None => Ok(py.None().into_bound(py)),
        }
    }

    /// The keys of every object of the type, in key order.
    fn keys<'py>(&self, py: Python<'py>, type_name: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
        self.df
            .read_all(type_name)
            .map_err(version_err)?
            .into_iter()
            .map(|o| from_value(py, &o.key.clone().into()))
            .collect()
    }

    fn read_all<'py>(&self, py: Python<'py>, type_name: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let def = self.def(type_name)?;
        self.df
            .read_all(type_name)
            .map_err(version_err)?
            .into_iter()
            .map(|o| object_dict(py, &def, o))
            .collect()
    }

    /// Overwrites some dimensions of an existing object.
    fn update_one(
        &mut self,
        type_name: &str,
        key: &Bound<'_, PyAny>,
        changes: &Bound<'_, PyDict>,
    ) -> PyResult<()> {
        let def = self.def(type_name)?;
        let key = to_key(&def, key).map_err(schema_err)?;
        let mut dims = std::collections::BTreeMap::new();
        for (k, v) in changes.iter() {
            let k: String = k.extract()?;
            if k == def.key {
                return Err(schema_err(format!(
                    "{} {key}: the key dimension {:?} cannot be changed",
                    def.name, def.key
                )));
            }
            let v = crate::convert::to_value(&v, 1)
                .map_err(|e| schema_err(format!("{} {key} dimension {k:?}: {e}", def.name)))?;
            dims.insert(k, v);
        }
        self.df
            .update_one(type_name, &key, dims)
            .map_err(version_err)
    }

    fn delete_one(&mut self, type_name: &str, key: &Bound<'_, PyAny>) -> PyResult<()> {
        let def = self.def(type_name)?;
        let key = to_key(&def, key).map_err(schema_err)?;
        self.df.delete_one(type_name, &key).map_err(version_err)
    }

    fn delete_all(&mut self, type_name: &str) -> PyResult<usize> {
        self.df.delete_all(type_name).map_err(version_err)
    }

    /// Drops the staged changes.
    fn discard(&mut self) -> PyResult<()> {
        self.df.discard().map_err(version_err)
    }

    fn has_staged(&self) -> bool {
        self.df.has_staged()
    }

    /// Commits the staged changes as a new local version (its id; the head if nothing was
    /// staged).
    fn commit(&mut self) -> PyResult<String> {
        if !self.df.has_staged() {
            return Ok(self.df.head().to_string());
        }
        let r = self.df.commit().map(|v| v.to_string()).map_err(version_err);
        self.merged(r)
    }

    /// Checks out `version` of the local graph, or the local head.
    #[pyo3(signature = (version=None))]
    fn checkout(&mut self, version: Option<&str>) -> PyResult<String> {
        let v = match version {
            Some(v) => v
                .parse::<VersionId>()
                .map_err(|e| got_error("GOT_INVALID", e))?,
            None => self.df.head(),
        };
        self.df.checkout(v).map_err(version_err)?;
        Ok(v.to_string())
    }

    /// Brings the store's (or server's) new versions in and merges them with the local head.
    fn fetch(&mut self, py: Python<'_>) -> PyResult<String> {
        let remote = self.remote.clone();
        let df = &mut self.df;
        let r = py.allow_threads(|| {
            if let Some(r) = &remote {
                r.sync_down().map_err(client_err)?;
            }
            df.fetch().map(|v| v.to_string()).map_err(version_err)
        });
        self.merged(r)
    }

    /// Waits at most `timeout` seconds for a version this dataframe has not fetched, then
    /// fetches; returns whether something new came.
    fn fetch_wait(&mut self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .map_err(|_| got_error("GOT_INVALID", "timeout must be non-negative seconds"))?;
        let remote = self.remote.clone();
        let df = &mut self.df;
        let r = py.allow_threads(|| match &remote {
            Some(r) => {
                if !r.wait_down(timeout).map_err(client_err)? {
                    return Ok(false);
                }
                df.fetch().map_err(version_err)?;
                Ok(true)
            }
            None => match df.fetch_wait(timeout) {
                Ok(_) => Ok(true),
                Err(Error::Timeout { .. }) => Ok(false),
                Err(e) => Err(version_err(e)),
            },
        });
        self.merged(r)
    }

    /// Pushes the local head: merged with the store's (or server's) head first, with this
    /// dataframe's merge function. Returns the store's head afterwards.
    fn push(&mut self, py: Python<'_>) -> PyResult<String> {
        let remote = self.remote.clone();
        let store = self.store.clone();
        let app = self.app.clone();
        let df = &mut self.df;
        let r = py.allow_threads(|| match &remote {
            Some(r) => push_remote(df, r),
            None => {
                let v = df.push().map_err(version_err)?;
                let _ = store.gc(&app);
                Ok(v.to_string())
            }
        });
        self.merged(r)
    }

    /// Serves this process's store (every local app) on `host:port` (0: a free port) with the
    /// GoT protocol; returns the port. Only for local dataframes. With `token`, a connection
    /// must present it (first frame or WebSocket handshake) or is refused with status 401.
    /// With `data_dir`, the served apps are kept in that directory (and restored from it).
    #[pyo3(signature = (host, port, token=None, data_dir=None))]
    fn serve(
        &mut self,
        py: Python<'_>,
        host: &str,
        port: u16,
        token: Option<&str>,
        data_dir: Option<&str>,
    ) -> PyResult<u16> {
        if self.remote.is_some() {
            return Err(got_error(
                "GOT_INVALID",
                "a dataframe with details (a remote) cannot serve; serve a local one",
            ));
        }
        if let Some(dir) = data_dir {
            py.allow_threads(|| make_durable(dir))?;
        }
        let config = ServerConfig {
            auth: match parse_token(token, "serve's token")? {
                Some(t) => AuthPolicy::with_token(t),
                None => AuthPolicy::open(),
            },
            ..ServerConfig::default()
        };
        let store = self.store.clone();
        let server = py
            .allow_threads(|| Server::bind(store, (host, port), config))
            .map_err(|e| {
                got_error(
                    "GOT_NETWORK",
                    format!("cannot listen on {host}:{port}: {e}"),
                )
            })?;
        let port = server.local_addr().port();
        self.servers.push(server);
        Ok(port)
    }

    /// Stops the servers started by `serve`.
    fn close(&mut self) {
        for mut s in self.servers.drain(..) {
            s.close();
        }
    }

    #[getter]
    fn head(&self) -> String {
        self.df.head().to_string()
    }

    #[getter]
    fn version(&self) -> String {
        self.df.version().to_string()
    }

    #[getter]
    fn app(&self) -> &str {
        &self.app
    }

    /// `host:port` of the server, or None.
    #[getter]
    fn remote(&self) -> Option<String> {
        self.remote.as_ref().map(|r| r.addr().to_owned())
    }
}
