//! A blocking GoT server: one thread per connection, speaking length-prefixed frames over TCP
//! and the same frames (one per binary message) over WebSocket, on the same port.
//!
//! Threads rather than an async runtime because a fetch with Wait parks its connection on the
//! store's condition variable anyway, and the connection count is bounded
//! ([`ServerConfig::max_connections`]).
//!
//! Any request the server cannot serve (malformed, truncated, oversized or too deep frame, a
//! response frame, an unknown app or version, data that does not fit the types) gets one frame
//! with an error [`status`] and the connection is closed: a client that sent garbage cannot be
//! trusted to be in sync with the byte stream any more. A fetch that times out (408) is a normal
//! answer and keeps the connection.
//!
//! # Hardening
//!
//! * A token ([`AuthPolicy`]): the first frame (field 10) or the WebSocket handshake (a
//!   `fluxion-got-token.<token>` subprotocol or `Authorization: Bearer`) must carry it;
//!   otherwise 401 and a close.
//! * WebSocket `Origin` allow-list ([`OriginPolicy`], default: the same host): a foreign page
//!   gets HTTP 403 before any frame.
//! * An idle timeout between frames and a deadline for each whole frame ([`crate::timed`]).
//! * A connection limit; when full, the connection idle the longest is closed for the new one
//!   ([`crate::conns`]); 503 only when none is idle.
//! * At most [`ServerConfig::max_unacked`] fetched-but-unacknowledged versions per connection,
//!   each held at most [`ServerConfig::unacked_timeout`]; at most as many acknowledged or
//!   pushed ones, which only their connection can release; when it closes, one per app is
//!   parked for the client's return, at most [`ServerConfig::max_connections`] server-wide
//!   ([`crate::holds`]).
//! * Only the apps of [`ServerConfig::apps`]: internal ones (`fluxion-…`) never unless named,
//!   and then read-only ([`crate::apps`]).

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use fluxion_versions::{Store, VersionId};
use thiserror::Error;
use tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tungstenite::http::{HeaderValue, StatusCode};
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use crate::apps::{Access, ServedApps};
use crate::auth::{handshake_token, AuthPolicy, Verdict, SUBPROTOCOL, TOKEN_SUBPROTOCOL_PREFIX};
use crate::codec::{decode, encode, FrameError, Limits};
use crate::conns::Connections;
use crate::frame::{status, Frame, RequestType};
use crate::handler::{handle_releasing, HandlerConfig};
use crate::holds::{Owned, Parked, Unacked};
use crate::io::{read_frame, read_frame_bytes, write_frame, ReadError};
use crate::origin::{OriginError, OriginPolicy};
use crate::spacetime;
use crate::timed::{ConnState, TimedStream};

/// Server-side bounds and policies.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    pub limits: Limits,
    pub handler: HandlerConfig,
    /// Deadline for a whole frame (or the WebSocket handshake, or a Spacetime ack byte) from
    /// its first byte, however its bytes are spread out; a new connection's first byte must
    /// come within this time too.
    pub frame_timeout: Duration,
    /// Longest a connection may wait between frames before it is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; when full, the one idle the longest is closed for a new one.
    pub max_connections: usize,
    /// Fetched-but-unacknowledged versions a connection may hold; the oldest is released
    /// beyond this. Also the bound on the acknowledged and pushed versions it holds (a
    /// well-behaved client holds one per app).
    pub max_unacked: usize,
    /// Longest a fetched version stays held without its ack.
    pub unacked_timeout: Duration,
    pub auth: AuthPolicy,
    /// Which pages may open a WebSocket.
    pub origins: OriginPolicy,
    pub apps: ServedApps,
}

impl Default for ServerConfig {
    /// Default [`Limits`] and [`HandlerConfig`], 10 s frame deadline, 120 s idle timeout,
    /// 256 connections, 16 unacknowledged fetches held at most 60 s, no token, same-host
    /// origins, every app but the internal ones.
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            handler: HandlerConfig::default(),
            frame_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            max_connections: 256,
            max_unacked: 16,
            unacked_timeout: Duration::from_secs(60),
            auth: AuthPolicy::open(),
            origins: OriginPolicy::SameHost,
            apps: ServedApps::Public,
        }
    }
}

struct Shared {
    store: Store,
    config: ServerConfig,
    stopping: AtomicBool,
    next_id: AtomicU64,
    epoch: Instant,
    conns: Connections,
    parked: Parked,
}

/// A running server; [`Server::close`] (or drop) stops it.
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and serves the apps of `store` that
    /// `config.apps` names.
    pub fn bind(
        store: Store,
        addr: impl ToSocketAddrs,
        config: ServerConfig,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let config_max_connections = config.max_connections;
        let shared = Arc::new(Shared {
            store,
            config,
            stopping: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
            conns: Connections::default(),
            parked: Parked::new(config_max_connections),
        });
        let s = shared.clone();
        let accept = thread::Builder::new()
            .name(format!("got-accept-{}", addr.port()))
            .spawn(move || accept_loop(listener, s))?;
        Ok(Server {
            shared,
            addr,
            accept: Some(accept),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Number of open connections.
    pub fn connections(&self) -> usize {
        self.shared.conns.len()
    }

    /// Stops accepting, closes every connection and joins the accept thread. Idempotent.
    /// Connection threads parked in a fetch with Wait end when their wait does.
    pub fn close(&mut self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // accept() has no timeout: a connection of our own wakes it up to see `stopping`.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => [127, 0, 0, 1].into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        if let Some(t) = self.accept.take() {
            let _ = t.join();
        }
        self.shared.conns.close_all();
        self.shared.parked.release_all(&self.shared.store);
    }

    /// Number of holds of closed connections kept for their clients' return.
    pub fn parked_holds(&self) -> usize {
        self.shared.parked.len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            // EMFILE and friends: back off instead of spinning.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        let state = Arc::new(ConnState::new(shared.epoch));
        let Ok(handle) = stream.try_clone() else {
            continue;
        };
        let admitted = shared
            .conns
            .admit(id, handle, state.clone(), shared.config.max_connections);
        if admitted.is_err() {
            let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
            let _ = write_frame(&mut &stream, &error_frame(status::UNAVAILABLE));
            let _ = stream.shutdown(Shutdown::Both);
            continue;
        }
        let s = shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("got-conn-{id}"))
            .spawn(move || {
                let c = &s.config;
                let timed = TimedStream::new(stream, c.idle_timeout, c.frame_timeout, state);
                serve_connection(timed, &s);
                s.conns.remove(id);
            });
        if spawned.is_err() {
            shared.conns.remove(id);
        }
    }
}

fn error_frame(code: u16) -> Frame {
    Frame {
        status: Some(code),
        ..Frame::default()
    }
}

/// The status for bytes that are not a request.
fn status_for_read(e: &ReadError) -> u16 {
    match e {
        ReadError::Frame(FrameError::TooLarge { .. }) => status::TOO_LARGE,
        _ => status::BAD_REQUEST,
    }
}

/// One connection's standing: authenticated yet, the versions it fetched without acking and
/// the versions its client holds.
struct Session<'a> {
    shared: &'a Shared,
    authenticated: bool,
    unacked: Unacked,
    owned: Owned,
}

impl<'a> Session<'a> {
    fn new(shared: &'a Shared) -> Session<'a> {
        let c = &shared.config;
        Session {
            shared,
            authenticated: false,
            unacked: Unacked::new(c.max_unacked, c.unacked_timeout),
            owned: Owned::new(c.max_unacked),
        }
    }

    /// Refusal of a frame before the handler sees it: the reply keeps the request's AppName
    /// and StartVersion.
    fn refuse(frame: &Frame, code: u16) -> (Frame, bool) {
        let reply = Frame {
            app_name: frame.app_name.clone(),
            start_version: frame.start_version,
            status: Some(code),
            ..Frame::default()
        };
        (reply, false)
    }

    /// The token check: the first frame must carry the token (unless the handshake did); a
    /// later frame that carries one must carry the right one.
    fn admits(&mut self, frame: &Frame) -> bool {
        let presented = frame.token.as_ref().map(|t| t.as_str());
        if self.authenticated && presented.is_none() {
            return true;
        }
        match self.shared.config.auth.check(presented) {
            Verdict::Allowed => {
                self.authenticated = true;
                true
            }
            Verdict::Missing | Verdict::Wrong => false,
        }
    }

    /// Answers one decoded frame; the flag says whether the connection may stay open.
    fn answer(&mut self, frame: Frame) -> (Frame, bool) {
        let shared = self.shared;
        let store = &shared.store;
        self.unacked.expire(store);
        if !self.admits(&frame) {
            return Self::refuse(&frame, status::UNAUTHORIZED);
        }
        let kind = frame.request_type;
        if let Some(app) = frame.app_name.as_deref() {
            match shared.config.apps.access(app) {
                Access::Hidden => return Self::refuse(&frame, status::NOT_FOUND),
                Access::ReadOnly if kind == Some(RequestType::Push) => {
                    return Self::refuse(&frame, status::FORBIDDEN)
                }
                Access::ReadOnly | Access::ReadWrite => {}
            }
        }
        let config = &shared.config.handler;
        // A push with an EndVersion gives the client a hold on that version.
        let pushed = match kind {
            Some(RequestType::Push) => frame.end_version,
            _ => None,
        };
        let (unacked, owned) = (&mut self.unacked, &mut self.owned);
        // Only a hold this connection was given (or one parked by a closed connection) is
        // released: never another client's, nor the store's own on the head.
        let mut give_back = |app: &str, v: VersionId| {
            if owned.take(app, v) || unacked.take(app, v) || shared.parked.claim(app, v) {
                store.release_if_held(app, v).map(|_| ())
            } else {
                store.head(app).map(|_| ())
            }
        };
        // A bug in the handler must cost one connection, not the process.
        let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            handle_releasing(store, frame, config, &mut give_back)
        }))
        .unwrap_or_else(|_| error_frame(status::INTERNAL));
        let code = reply.status.unwrap_or(status::INTERNAL);
        if code == status::OK {
            if let (Some(app), Some(end)) = (reply.app_name.as_deref(), reply.end_version) {
                match kind {
                    Some(RequestType::Fetch) => self.unacked.fetched(store, app, end),
                    Some(RequestType::Ack) if self.unacked.acked(app, end) => {
                        self.owned.add(store, app, end);
                    }
                    Some(RequestType::Push) => {
                        if let Some(v) = pushed {
                            self.owned.add(store, app, v);
                        }
                        // Pushes are what grows a graph: collecting here keeps it to the
                        // referenced versions.
                        let _ = store.gc(app);
                    }
                    Some(RequestType::Ack) | None => {}
                }
            }
        }
        let keep = matches!(
            code,
            status::OK | status::TIMEOUT | status::PRECONDITION_FAILED
        );
        (reply, keep)
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let store = &self.shared.store;
        self.unacked.release_all(store);
        self.owned.close(store, &self.shared.parked);
    }
}

fn serve_connection(mut stream: TimedStream, shared: &Shared) {
    let mut head = [0u8; 4];
    // Both protocols share the port: a WebSocket starts with an HTTP GET, and "GET " read as a
    // frame length is 1.2 GB, more than any sane frame limit.
    let is_ws = loop {
        match stream.peek(&mut head) {
            Ok(0) => return,
            Ok(4) => break &head == b"GET ",
            Ok(n) if head[..n] != b"GET "[..n] => break false,
            Ok(_) => thread::sleep(Duration::from_millis(1)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    };
    let mut session = Session::new(shared);
    if is_ws {
        serve_ws(stream, &mut session);
    } else {
        serve_tcp(stream, &mut session);
    }
}

fn serve_tcp(mut stream: TimedStream, session: &mut Session<'_>) {
    let shared = session.shared;
    let limits = shared.config.limits;
    let mut first_frame = true;
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let result = if std::mem::take(&mut first_frame) {
            // The first frame says which dialect the client speaks: the thesis's, or
            // Spacetime 2.1's (see `spacetime`), for the whole connection.
            match read_frame_bytes(&mut stream, &limits) {
                Ok(bytes) if spacetime::is_spacetime(&bytes[4..], &limits) => {
                    // Spacetime clients cannot present a token.
                    if shared.config.auth.serves_tokenless() {
                        let ctx = spacetime::Context {
                            store: &shared.store,
                            limits: &limits,
                            max_wait: shared.config.handler.max_wait,
                            stopping: &shared.stopping,
                            apps: &shared.config.apps,
                            parked: &shared.parked,
                            max_holds: shared.config.max_unacked,
                        };
                        spacetime::serve(stream, &ctx, bytes[4..].to_vec());
                    } else {
                        let _ = stream.get_ref().shutdown(Shutdown::Both);
                    }
                    return;
                }
                Ok(bytes) => decode(&bytes, &limits)
                    .map(|(f, _)| f)
                    .map_err(ReadError::Frame),
                Err(e) => Err(e),
            }
        } else {
            read_frame(&mut stream, &limits)
        };
        let (reply, keep) = match result {
            Ok(frame) => session.answer(frame),
            // Closed, idle timeout or evicted before a byte of a frame: no answer.
            Err(ReadError::Closed | ReadError::Io(_)) => return,
            Err(e) => (error_frame(status_for_read(&e)), false),
        };
        if write_frame(&mut stream, &reply).is_err() || !keep {
            let _ = stream.get_ref().shutdown(Shutdown::Both);
            return;
        }
        stream.idle();
    }
}

/// Why a WebSocket handshake is refused (an HTTP answer, before any frame).
#[derive(Debug, Error)]
enum HandshakeRefusal {
    #[error(transparent)]
    Origin(#[from] OriginError),
    #[error("the GoT token in this WebSocket handshake is not the server's")]
    Token,
}

impl HandshakeRefusal {
    fn status(&self) -> StatusCode {
        match self {
            HandshakeRefusal::Origin(_) => StatusCode::FORBIDDEN,
            HandshakeRefusal::Token => StatusCode::UNAUTHORIZED,
        }
    }

    fn response(&self) -> ErrorResponse {
        let mut r = ErrorResponse::new(Some(format!("{self}\n")));
        *r.status_mut() = self.status();
        r.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r
    }
}

/// The handshake's checks: origin, then the token if it carries one; picks the subprotocol.
/// Returns whether the handshake authenticated the connection.
fn check_handshake(
    config: &ServerConfig,
    req: &Request,
    resp: &mut Response,
) -> Result<bool, HandshakeRefusal> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    config.origins.check(header("origin"), header("host"))?;
    let offered: Vec<&str> = req
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let authenticated = match handshake_token(offered.iter().copied(), header("authorization")) {
        Some(t) if config.auth.check(Some(t)) != Verdict::Allowed => {
            return Err(HandshakeRefusal::Token)
        }
        Some(_) => true,
        None => false,
    };
    // A browser that offered subprotocols fails the connection unless one is selected.
    let chosen = offered.iter().find(|p| **p == SUBPROTOCOL).or_else(|| {
        offered
            .iter()
            .find(|p| p.starts_with(TOKEN_SUBPROTOCOL_PREFIX))
    });
    if let Some(p) = chosen.and_then(|p| HeaderValue::from_str(p).ok()) {
        resp.headers_mut().insert("sec-websocket-protocol", p);
    }
    Ok(authenticated)
}

fn serve_ws(stream: TimedStream, session: &mut Session<'_>) {
    let shared = session.shared;
    let limits = shared.config.limits;
    let mut config = WebSocketConfig::default();
    // One message is one frame with its 4-byte prefix.
    config.max_message_size = Some(limits.max_frame_bytes.saturating_add(4));
    config.max_frame_size = Some(limits.max_frame_bytes.saturating_add(4));
    let mut authenticated = false;
    // tungstenite's callback type: its error is the HTTP answer.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, mut resp: Response| -> Result<Response, ErrorResponse> {
        match check_handshake(&shared.config, req, &mut resp) {
            Ok(a) => {
                authenticated = a;
                Ok(resp)
            }
            Err(refusal) => Err(refusal.response()),
        }
    };
    let accepted = tungstenite::accept_hdr_with_config(stream, callback, Some(config));
    let Ok(mut ws) = accepted else {
        return;
    };
    session.authenticated = authenticated;
    ws.get_mut().idle();
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let msg = match ws.read() {
            Ok(m) => m,
            Err(tungstenite::Error::Capacity(_)) => {
                close_ws(&mut ws, status::TOO_LARGE);
                return;
            }
            Err(_) => return,
        };
        let bytes = match msg {
            Message::Binary(b) => b,
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {
                ws.get_mut().idle();
                continue;
            }
            Message::Close(_) => {
                let _ = ws.flush();
                return;
            }
            Message::Text(_) => {
                close_ws(&mut ws, status::BAD_REQUEST);
                return;
            }
        };
        let (reply, keep) = match decode(&bytes, &limits) {
            Ok((frame, used)) if used == bytes.len() => session.answer(frame),
            Ok(_) => (error_frame(status::BAD_REQUEST), false),
            Err(FrameError::TooLarge { .. }) => (error_frame(status::TOO_LARGE), false),
            Err(_) => (error_frame(status::BAD_REQUEST), false),
        };
        if ws.send(Message::Binary(encode(&reply).into())).is_err() {
            return;
        }
        if !keep {
            let _ = ws.close(None);
            let _ = ws.flush();
            return;
        }
        ws.get_mut().idle();
    }
}

fn close_ws(ws: &mut WebSocket<TimedStream>, code: u16) {
    let _ = ws.send(Message::Binary(encode(&error_frame(code)).into()));
    let _ = ws.close(None);
    let _ = ws.flush();
}
