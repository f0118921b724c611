//! The Spacetime 2.1.0 dialect (the `spacetime` package on PyPI), served to unmodified
//! Spacetime clients beside the thesis dialect; the server tells them apart by a connection's
//! first frame ([`is_spacetime`]).
//!
//! Frames are the same 4-byte big-endian length and one CBOR map, with other fields:
//! 0 AppName, 1 Data, 2 RequestType (0 pull, 1 push), 3 Versions (a pull: the client's version,
//! text; a push and a pull's answer: `[start, end]`), 4 Wait (bool), 5 WaitTimeout (seconds),
//! 6 Status (200, or 401 for a pull that timed out). Acknowledgements are one byte, not frames:
//! the client sends `0x01` after applying a pull's answer; the server sends `0x01` for a push
//! (before applying it, or after when Wait is set).
//!
//! Data wraps every object as `{"types": {type: event}, "dims": {dim: {"type": t, "value":
//! v}}}` (events 0 new, 1 modification, 2 delete; `t` is rtypes' Datatype: 0 int, 1 str,
//! 2 float, 3 bool, 4 bytes, 10 foreign key, 20 tuple, 21 list, their items wrapped the same
//! way). A new object lists its primary-key dimension among its dimensions; fluxion's does not,
//! so it is added and removed here. Maps (fluxion's `map` kind) have no Datatype in Spacetime
//! 2.1: they go out as type 30, which Spacetime reads as None.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ciborium::value::{Integer, Value as Cbor};
use fluxion_versions::{
    Change, ChangeKind, Diff, Error, FetchRequest, Key, Object, PushRequest, Schema, Store,
    TypeDef, Value, VersionId,
};
use thiserror::Error;

use crate::apps::{Access, ServedApps};
use crate::codec::Limits;
use crate::holds::{self, Owned, Parked};
use crate::timed::TimedStream;

/// Spacetime's field numbers.
mod field {
    pub const APP_NAME: i128 = 0;
    pub const DATA: i128 = 1;
    pub const REQUEST_TYPE: i128 = 2;
    pub const VERSIONS: i128 = 3;
    pub const WAIT: i128 = 4;
    pub const WAIT_TIMEOUT: i128 = 5;
    pub const STATUS: i128 = 6;
}

/// Spacetime's statuses.
const SUCCESS: u16 = 200;
const TIMEOUT: u16 = 401;

/// rtypes' Datatype codes.
mod datatype {
    pub const INTEGER: i64 = 0;
    pub const STRING: i64 = 1;
    pub const FLOAT: i64 = 2;
    pub const BOOLEAN: i64 = 3;
    pub const BYTES: i64 = 4;
    pub const FOREIGN_KEY: i64 = 10;
    pub const TUPLE: i64 = 20;
    pub const LIST: i64 = 21;
    /// Not Spacetime's: a map, which Spacetime 2.1 cannot hold (it reads it as None).
    pub const MAP: i64 = 30;
}

/// Why a Spacetime frame cannot be served.
#[derive(Debug, Error, PartialEq)]
pub enum SpacetimeError {
    #[error("malformed CBOR: {0}")]
    Malformed(String),
    #[error("{0}")]
    Bad(String),
}

fn bad(msg: impl Into<String>) -> SpacetimeError {
    SpacetimeError::Bad(msg.into())
}

/// One request of a Spacetime client.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Pull {
        app: String,
        version: String,
        wait: bool,
        timeout: f64,
    },
    Push {
        app: String,
        start: String,
        end: String,
        data: Cbor,
        wait: bool,
    },
}

fn decode_body(body: &[u8], limits: &Limits) -> Result<Cbor, SpacetimeError> {
    let mut r = body;
    let v: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut r, limits.max_depth)
        .map_err(|e| SpacetimeError::Malformed(e.to_string()))?;
    if !r.is_empty() {
        return Err(SpacetimeError::Malformed(format!(
            "{} bytes after the map",
            r.len()
        )));
    }
    Ok(v)
}

fn int_key(k: &Cbor) -> Option<i128> {
    match k {
        Cbor::Integer(i) => Some(i128::from(*i)),
        _ => None,
    }
}

fn get(map: &[(Cbor, Cbor)], key: i128) -> Option<&Cbor> {
    map.iter()
        .find(|(k, _)| int_key(k) == Some(key))
        .map(|(_, v)| v)
}

/// Whether a frame body (a connection's first) is a Spacetime 2.1 request: a map whose
/// Versions (3) is an array or whose field 4 is a bool (Wait; the thesis dialect's 4 is
/// EndVersion, text).
pub fn is_spacetime(body: &[u8], limits: &Limits) -> bool {
    match decode_body(body, limits) {
        Ok(Cbor::Map(m)) => {
            matches!(get(&m, field::VERSIONS), Some(Cbor::Array(_)))
                || matches!(get(&m, field::WAIT), Some(Cbor::Bool(_)))
        }
        _ => false,
    }
}

fn text(v: &Cbor, what: &str) -> Result<String, SpacetimeError> {
    match v {
        Cbor::Text(s) => Ok(s.clone()),
        _ => Err(bad(format!("{what} must be text"))),
    }
}

/// Parses a request frame body.
pub fn parse_request(body: &[u8], limits: &Limits) -> Result<Request, SpacetimeError> {
    let Cbor::Map(m) = decode_body(body, limits)? else {
        return Err(bad("a frame is a map"));
    };
    let app = text(
        get(&m, field::APP_NAME).ok_or_else(|| bad("no AppName"))?,
        "AppName",
    )?;
    let wait = matches!(get(&m, field::WAIT), Some(Cbor::Bool(true)));
    match get(&m, field::REQUEST_TYPE).and_then(int_key) {
        Some(0) => {
            let version = text(
                get(&m, field::VERSIONS).ok_or_else(|| bad("a pull needs Versions"))?,
                "a pull's Versions",
            )?;
            let timeout = match get(&m, field::WAIT_TIMEOUT) {
                Some(Cbor::Integer(i)) => i128::from(*i) as f64,
                Some(Cbor::Float(f)) if f.is_finite() => *f,
                _ => 0.0,
            };
            Ok(Request::Pull {
                app,
                version,
                wait,
                timeout,
            })
        }
        Some(1) => {
            let Some(Cbor::Array(vs)) = get(&m, field::VERSIONS) else {
                return Err(bad("a push needs Versions [start, end]"));
            };
            let [start, end] = vs.as_slice() else {
                return Err(bad("a push needs Versions [start, end]"));
            };
            Ok(Request::Push {
                app,
                start: text(start, "a version")?,
                end: text(end, "a version")?,
                data: get(&m, field::DATA)
                    .cloned()
                    .unwrap_or(Cbor::Map(Vec::new())),
                wait,
            })
        }
        _ => Err(bad("RequestType must be 0 (pull) or 1 (push)")),
    }
}

/// Spacetime names versions with any text (`str(uuid4())`, "ROOT"); fluxion's ids are
/// 128-bit. Ids in UUID form map one to one.
pub fn version_id(v: &str) -> Result<VersionId, SpacetimeError> {
    v.parse()
        .map_err(|_| bad(format!("version {v:?} is not ROOT or a UUID")))
}

fn wrap(v: &Value) -> Cbor {
    let typed = |t: i64, value: Cbor| {
        Cbor::Map(vec![
            (Cbor::Text("type".into()), Cbor::Integer(t.into())),
            (Cbor::Text("value".into()), value),
        ])
    };
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => typed(datatype::BOOLEAN, Cbor::Bool(*b)),
        Value::Int(i) => typed(datatype::INTEGER, Cbor::Integer((*i).into())),
        Value::Float(f) => typed(datatype::FLOAT, Cbor::Float(*f)),
        Value::Str(s) => typed(datatype::STRING, Cbor::Text(s.to_string())),
        Value::Bytes(b) => typed(datatype::BYTES, Cbor::Bytes(b.clone())),
        Value::List(l) => typed(datatype::LIST, Cbor::Array(l.iter().map(wrap).collect())),
        Value::Map(m) => typed(
            datatype::MAP,
            Cbor::Map(
                m.iter()
                    .map(|(k, v)| (Cbor::Text(k.clone()), wrap(v)))
                    .collect(),
            ),
        ),
    }
}

fn unwrap_value(v: &Cbor, depth: usize) -> Result<Value, String> {
    if depth > 64 {
        return Err("value nests too deep".into());
    }
    let Cbor::Map(m) = v else {
        return match v {
            Cbor::Null => Ok(Value::Null),
            _ => Err("a dimension value is {\"type\", \"value\"}".into()),
        };
    };
    let field = |name: &str| {
        m.iter()
            .find(|(k, _)| matches!(k, Cbor::Text(t) if t == name))
            .map(|(_, v)| v)
    };
    let t = match field("type") {
        Some(Cbor::Integer(i)) => i64::try_from(i128::from(*i)).unwrap_or(-1),
        _ => return Err("a dimension value has no integer \"type\"".into()),
    };
    let value = field("value").unwrap_or(&Cbor::Null);
    if matches!(value, Cbor::Null) {
        return Ok(Value::Null);
    }
    let wrong = || format!("a value of Datatype {t} is not {value:?}");
    Ok(match (t, value) {
        (datatype::INTEGER, Cbor::Integer(i)) => {
            Value::Int(i64::try_from(i128::from(*i)).map_err(|_| wrong())?)
        }
        (datatype::FLOAT, Cbor::Float(f)) => Value::Float(*f),
        (datatype::FLOAT, Cbor::Integer(i)) => Value::Float(i128::from(*i) as f64),
        (datatype::STRING, Cbor::Text(s)) => Value::Str(s.as_str().into()),
        (datatype::BOOLEAN, Cbor::Bool(b)) => Value::Bool(*b),
        (datatype::BYTES, Cbor::Bytes(b)) => Value::Bytes(b.clone()),
        (datatype::FOREIGN_KEY, Cbor::Integer(i)) => {
            Value::Int(i64::try_from(i128::from(*i)).map_err(|_| wrong())?)
        }
        (datatype::FOREIGN_KEY, Cbor::Text(s)) => Value::Str(s.as_str().into()),
        (datatype::TUPLE | datatype::LIST, Cbor::Array(items)) => Value::List(
            items
                .iter()
                .map(|x| unwrap_value(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        (datatype::MAP, Cbor::Map(entries)) => {
            let mut out = BTreeMap::new();
            for (k, v) in entries {
                let Cbor::Text(k) = k else {
                    return Err(wrong());
                };
                out.insert(k.clone(), unwrap_value(v, depth + 1)?);
            }
            Value::Map(out)
        }
        _ => return Err(wrong()),
    })
}

fn key_of(k: &Cbor) -> Option<Key> {
    match k {
        Cbor::Integer(i) => i64::try_from(i128::from(*i)).ok().map(Key::Int),
        Cbor::Text(s) => Some(Key::Str(s.clone())),
        _ => None,
    }
}

fn key_cbor(k: &Key) -> Cbor {
    match k {
        Key::Int(i) => Cbor::Integer((*i).into()),
        Key::Str(s) => Cbor::Text(s.clone()),
    }
}

/// Spacetime's Data → a diff, checked against the schema's type and dimension names.
pub fn diff_from_spacetime(data: &Cbor, schema: &Schema) -> Result<Diff, SpacetimeError> {
    let Cbor::Map(types) = data else {
        return Err(bad("Data must be a map"));
    };
    let mut diff = Diff::new();
    for (t, objs) in types {
        let t = text(t, "a type name")?;
        let def = schema.get(&t).map_err(|e| bad(e.to_string()))?;
        let Cbor::Map(objs) = objs else {
            return Err(bad(format!("{t}: objects must be a map")));
        };
        for (k, change) in objs {
            let key = key_of(k).ok_or_else(|| bad(format!("{t}: a key is an int or text")))?;
            diff.insert(
                t.as_str(),
                key.clone(),
                change_from_spacetime(def, &key, change)?,
            );
        }
    }
    Ok(diff)
}

fn change_from_spacetime(def: &TypeDef, key: &Key, c: &Cbor) -> Result<Change, SpacetimeError> {
    let at = |msg: String| bad(format!("{} {key}: {msg}", def.name));
    let Cbor::Map(c) = c else {
        return Err(at("a change is a map".into()));
    };
    let field = |name: &str| {
        c.iter()
            .find(|(k, _)| matches!(k, Cbor::Text(t) if t == name))
            .map(|(_, v)| v)
    };
    let event = match field("types") {
        Some(Cbor::Map(ev)) => ev
            .iter()
            .find(|(k, _)| matches!(k, Cbor::Text(t) if *t == def.name))
            .and_then(|(_, v)| int_key(v)),
        _ => None,
    };
    let kind = event
        .and_then(|e| u64::try_from(e).ok())
        .and_then(ChangeKind::from_code)
        .ok_or_else(|| at("no event for its type".into()))?;
    let mut dims = BTreeMap::new();
    if let Some(Cbor::Map(ds)) = field("dims") {
        for (d, v) in ds {
            let d = text(d, "a dimension name")?;
            let v = unwrap_value(v, 0).map_err(|m| at(format!("dimension {d:?}: {m}")))?;
            dims.insert(d, v);
        }
    }
    Ok(match kind {
        ChangeKind::Delete => Change::Delete,
        ChangeKind::Modify => {
            dims.remove(&def.key);
            Change::Modify(dims)
        }
        ChangeKind::New => {
            dims.remove(&def.key);
            Change::New(Object::from_dims(key.clone(), dims))
        }
    })
}

/// A diff → Spacetime's Data (a new object lists its key dimension too).
pub fn diff_to_spacetime(diff: &Diff, schema: &Schema) -> Cbor {
    let text = |s: &str| Cbor::Text(s.to_owned());
    let mut types = Vec::new();
    for (t, per_type) in diff.types() {
        let key_dim = schema.get(t).map(|d| d.key.clone()).unwrap_or_default();
        let mut objs = Vec::new();
        for (k, c) in per_type {
            let event = |e: ChangeKind| {
                (
                    text("types"),
                    Cbor::Map(vec![(text(t), Cbor::Integer(Integer::from(e.code())))]),
                )
            };
            let dims = |it: &mut dyn Iterator<Item = (&String, &Value)>| {
                Cbor::Map(it.map(|(d, v)| (text(d), wrap(v))).collect())
            };
            let entry = match c {
                Change::New(o) => {
                    let key_value: Value = k.clone().into();
                    let mut all = o.dims.iter().collect::<Vec<_>>();
                    all.push((&key_dim, &key_value));
                    Cbor::Map(vec![
                        (text("dims"), dims(&mut all.into_iter())),
                        event(ChangeKind::New),
                    ])
                }
                Change::Modify(d) => Cbor::Map(vec![
                    (text("dims"), dims(&mut d.iter())),
                    event(ChangeKind::Modify),
                ]),
                Change::Delete => Cbor::Map(vec![event(ChangeKind::Delete)]),
            };
            objs.push((key_cbor(k), entry));
        }
        types.push((text(t), Cbor::Map(objs)));
    }
    Cbor::Map(types)
}

fn frame(entries: Vec<(i128, Cbor)>) -> Vec<u8> {
    let map = Cbor::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Cbor::Integer(Integer::try_from(k).unwrap_or(0.into())), v))
            .collect(),
    );
    let mut body = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(&map, &mut body);
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Reads one frame body (after its 4-byte length); `None` when the client closed the
/// connection at a frame boundary.
fn read_body(stream: &mut impl Read, limits: &Limits) -> io::Result<Option<Vec<u8>>> {
    let mut prefix = [0u8; 4];
    match stream.read_exact(&mut prefix) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(prefix) as usize;
    if len > limits.max_frame_bytes {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "frame too large",
        ));
    }
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body)?;
    Ok(Some(body))
}

/// What a Spacetime connection is served from.
pub struct Context<'a> {
    pub store: &'a Store,
    pub limits: &'a Limits,
    /// Longest a pull with Wait may block.
    pub max_wait: Duration,
    pub stopping: &'a AtomicBool,
    /// The apps served; a request for another one closes the connection (as an unknown app).
    pub apps: &'a ServedApps,
    /// Holds of closed connections, shared with the thesis dialect's (see [`crate::holds`]).
    pub parked: &'a Parked,
    /// Most versions a connection's client holds (the server's `max_unacked`); the oldest is
    /// released beyond.
    pub max_holds: usize,
}

/// The versions a Spacetime connection's client holds: the head of each pull it acked and
/// each version it pushed. As in the thesis dialect ([`crate::holds`]), a pull or a push gives
/// back only a hold of this connection (or one parked by a closed connection), never another
/// client's nor the store's own on the head; at most [`Context::max_holds`] are kept, and on
/// close the newest per app is parked.
struct Holds<'a> {
    owned: Owned,
    store: &'a Store,
    parked: &'a Parked,
}

impl Holds<'_> {
    /// The client moved off `v` (a pull or push from it): its hold, if it has one, goes.
    fn give_back(&mut self, app: &str, v: VersionId) {
        if !v.is_root() && (self.owned.take(app, v) || self.parked.claim(app, v)) {
            holds::release(self.store, app, v);
        }
    }
}

impl Drop for Holds<'_> {
    fn drop(&mut self) {
        self.owned.close(self.store, self.parked);
    }
}

/// Serves a Spacetime 2.1 client on `stream`, starting with the already read `first` frame
/// body, until it closes the connection or sends something that cannot be served (the
/// connection is closed then: Spacetime has no error answer). Each frame and each ack byte
/// must arrive within the stream's frame deadline, and the next frame within its idle
/// timeout.
pub fn serve(mut stream: TimedStream, ctx: &Context<'_>, first: Vec<u8>) {
    let mut holds = Holds {
        owned: Owned::new(ctx.max_holds),
        store: ctx.store,
        parked: ctx.parked,
    };
    let mut next = Some(first);
    loop {
        let Some(body) = next.take() else {
            stream.idle();
            match read_body(&mut stream, ctx.limits) {
                Ok(Some(b)) => {
                    next = Some(b);
                    continue;
                }
                _ => break,
            }
        };
        if ctx.stopping.load(Ordering::SeqCst) {
            break;
        }
        let served = parse_request(&body, ctx.limits)
            .map_err(|e| e.to_string())
            .and_then(|req| serve_one(&mut stream, ctx, &mut holds, req));
        if served.is_err() {
            break;
        }
    }
    let _ = stream.get_ref().shutdown(Shutdown::Both);
}

fn check_access(apps: &ServedApps, app: &str, push: bool) -> Result<(), String> {
    match apps.access(app) {
        Access::Hidden => Err(format!("app {app:?} is not served")),
        Access::ReadOnly if push => Err(format!("app {app:?} is served read-only")),
        Access::ReadOnly | Access::ReadWrite => Ok(()),
    }
}

fn serve_one(
    stream: &mut TimedStream,
    ctx: &Context<'_>,
    holds: &mut Holds<'_>,
    req: Request,
) -> Result<(), String> {
    let store = ctx.store;
    let max_wait = ctx.max_wait;
    let io_err = |e: io::Error| e.to_string();
    let store_err = |e: Error| e.to_string();
    match req {
        Request::Pull {
            app,
            version,
            wait,
            timeout,
        } => {
            check_access(ctx.apps, &app, false)?;
            let schema = store.schema(&app).map_err(store_err)?;
            let from = version_id(&version).map_err(|e| e.to_string())?;
            let wait = wait.then(|| {
                Duration::try_from_secs_f64(timeout)
                    .ok()
                    .filter(|t| !t.is_zero())
                    .map_or(max_wait, |t| t.min(max_wait))
            });
            let fetch = FetchRequest {
                from,
                wait,
                hold: true,
            };
            // Whether the fetch took a hold on its head for the client.
            let mut took = true;
            let reply = match store.fetch_request(&app, &fetch) {
                Ok(r) => r,
                Err(Error::Timeout { .. }) => {
                    let f = frame(vec![
                        (field::APP_NAME, Cbor::Text(app)),
                        (field::STATUS, Cbor::Integer(TIMEOUT.into())),
                    ]);
                    return stream.write_all(&f).map_err(io_err);
                }
                // Spacetime answers a version it does not know with nothing new.
                Err(Error::UnknownVersion(_)) => {
                    took = false;
                    fluxion_versions::FetchReply {
                        head: from,
                        diff: Diff::new(),
                    }
                }
                Err(e) => return Err(store_err(e)),
            };
            let head = reply.head;
            let f = frame(vec![
                (field::APP_NAME, Cbor::Text(app.clone())),
                (field::DATA, diff_to_spacetime(&reply.diff, &schema)),
                (
                    field::VERSIONS,
                    Cbor::Array(vec![Cbor::Text(version), Cbor::Text(head.to_string())]),
                ),
                (field::STATUS, Cbor::Integer(SUCCESS.into())),
            ]);
            // The ack byte must come within the frame deadline; without it the version kept
            // for the client is released.
            let mut ack = [0u8; 1];
            let acked = stream
                .write_all(&f)
                .and_then(|()| stream.begin_frame())
                .and_then(|()| stream.read_exact(&mut ack));
            if let Err(e) = acked {
                if took {
                    holds::release(store, &app, head);
                }
                return Err(io_err(e));
            }
            if ack[0] == 0 {
                // Not applied: the client stays where it was.
                if took {
                    holds::release(store, &app, head);
                }
            } else {
                // The client moved from `from` to `head`, kept for it by the fetch.
                holds.give_back(&app, from);
                if took {
                    holds.owned.add(store, &app, head);
                }
            }
            Ok(())
        }
        Request::Push {
            app,
            start,
            end,
            data,
            wait,
        } => {
            check_access(ctx.apps, &app, true)?;
            if !wait {
                stream.write_all(&[1]).map_err(io_err)?;
            }
            let schema = store.schema(&app).map_err(store_err)?;
            let from = version_id(&start).map_err(|e| e.to_string())?;
            let to = version_id(&end).map_err(|e| e.to_string())?;
            let diff = diff_from_spacetime(&data, &schema).map_err(|e| e.to_string())?;
            let req = PushRequest::new(from, diff).version(to).hold();
            let pushed = store.push_request(&app, req).map_err(store_err)?;
            // The client holds what it pushed (kept by the push) and let go of `from`.
            holds.give_back(&app, from);
            holds.owned.add(store, &app, pushed.version);
            let _ = store.gc(&app);
            if wait {
                stream.write_all(&[1]).map_err(io_err)?;
            }
            Ok(())
        }
    }
}
