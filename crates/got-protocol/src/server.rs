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

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use fluxion_versions::Store;
use parking_lot::Mutex;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use crate::codec::{decode, encode, FrameError, Limits};
use crate::frame::{status, Frame, RequestType};
use crate::handler::{handle_with, HandlerConfig};
use crate::io::{read_frame, read_frame_bytes, write_frame, ReadError};
use crate::spacetime;

/// Server-side bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConfig {
    pub limits: Limits,
    pub handler: HandlerConfig,
    /// Once the first byte of a frame (or of the WebSocket handshake) has arrived, the rest must
    /// arrive within this time, so that a stalled client cannot hold a thread forever.
    pub frame_timeout: Duration,
    /// Connections beyond this many are answered 503 and closed.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    /// Default [`Limits`] and [`HandlerConfig`], 10 s frame timeout, 256 connections.
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            handler: HandlerConfig::default(),
            frame_timeout: Duration::from_secs(10),
            max_connections: 256,
        }
    }
}

struct Shared {
    store: Store,
    config: ServerConfig,
    stopping: AtomicBool,
    next_id: AtomicU64,
    conns: Mutex<HashMap<u64, TcpStream>>,
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
    /// Binds `addr` (port 0 picks a free port) and serves every app of `store`.
    pub fn bind(
        store: Store,
        addr: impl ToSocketAddrs,
        config: ServerConfig,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            store,
            config,
            stopping: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            conns: Mutex::new(HashMap::new()),
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
        self.shared.conns.lock().len()
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
        for (_, s) in self.shared.conns.lock().drain() {
            let _ = s.shutdown(Shutdown::Both);
        }
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
        let Ok(mut stream) = stream else {
            // EMFILE and friends: back off instead of spinning.
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut conns = shared.conns.lock();
            if conns.len() >= shared.config.max_connections {
                drop(conns);
                let _ = stream.write_all(&encode(&error_frame(status::UNAVAILABLE)));
                let _ = stream.shutdown(Shutdown::Both);
                continue;
            }
            match stream.try_clone() {
                Ok(c) => {
                    conns.insert(id, c);
                }
                Err(_) => continue,
            }
        }
        let s = shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("got-conn-{id}"))
            .spawn(move || {
                serve_connection(stream, &s);
                s.conns.lock().remove(&id);
            });
        if spawned.is_err() {
            shared.conns.lock().remove(&id);
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

/// Answers one decoded frame; the flag says whether the connection may stay open.
fn answer(shared: &Shared, frame: Frame) -> (Frame, bool) {
    let is_push = frame.request_type == Some(RequestType::Push);
    let app = frame.app_name.clone();
    let store = &shared.store;
    let config = &shared.config.handler;
    // A bug in the handler must cost one connection, not the process.
    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        handle_with(store, frame, config)
    }))
    .unwrap_or_else(|_| error_frame(status::INTERNAL));
    let code = reply.status.unwrap_or(status::INTERNAL);
    if code == status::OK && is_push {
        // Pushes are what grows a graph: collecting here keeps it to the referenced versions.
        if let Some(app) = app {
            let _ = store.gc(&app);
        }
    }
    let keep = matches!(
        code,
        status::OK | status::TIMEOUT | status::PRECONDITION_FAILED
    );
    (reply, keep)
}

fn serve_connection(stream: TcpStream, shared: &Shared) {
    let timeout = shared.config.frame_timeout;
    let _ = stream.set_read_timeout(Some(timeout));
    let mut head = [0u8; 4];
    let deadline = Instant::now() + timeout;
    // Both protocols share the port: a WebSocket starts with an HTTP GET, and "GET " read as a
    // frame length is 1.2 GB, more than any sane frame limit.
    let is_ws = loop {
        match stream.peek(&mut head) {
            Ok(0) => return,
            Ok(4) => break &head == b"GET ",
            Ok(n) if head[..n] != b"GET "[..n] => break false,
            Ok(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(1)),
            Ok(_) => return,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    };
    if is_ws {
        serve_ws(stream, shared);
    } else {
        serve_tcp(stream, shared);
    }
}

fn serve_tcp(mut stream: TcpStream, shared: &Shared) {
    let limits = shared.config.limits;
    let mut first_frame = true;
    loop {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        // Idle between frames for as long as the client likes; the frame timeout starts with
        // the frame's first byte.
        let _ = stream.set_read_timeout(None);
        let mut first = [0u8; 1];
        match stream.read(&mut first) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let _ = stream.set_read_timeout(Some(shared.config.frame_timeout));
        let result = if std::mem::take(&mut first_frame) {
            // The first frame says which dialect the client speaks: the thesis's, or
            // Spacetime 2.1's (see `spacetime`), for the whole connection.
            match read_frame_bytes(&mut (&first[..]).chain(&mut stream), &limits) {
                Ok(bytes) if spacetime::is_spacetime(&bytes[4..], &limits) => {
                    spacetime::serve(
                        stream,
                        &shared.store,
                        &limits,
                        shared.config.handler.max_wait,
                        &shared.stopping,
                        bytes[4..].to_vec(),
                    );
                    return;
                }
                Ok(bytes) => decode(&bytes, &limits)
                    .map(|(f, _)| f)
                    .map_err(ReadError::Frame),
                Err(e) => Err(e),
            }
        } else {
            read_frame(&mut (&first[..]).chain(&mut stream), &limits)
        };
        let (reply, keep) = match result {
            Ok(frame) => answer(shared, frame),
            Err(ReadError::Closed) => return,
            Err(e) => (error_frame(status_for_read(&e)), false),
        };
        if write_frame(&mut stream, &reply).is_err() || !keep {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn serve_ws(stream: TcpStream, shared: &Shared) {
    let limits = shared.config.limits;
    let mut config = WebSocketConfig::default();
    // One message is one frame with its 4-byte prefix.
    config.max_message_size = Some(limits.max_frame_bytes.saturating_add(4));
    config.max_frame_size = Some(limits.max_frame_bytes.saturating_add(4));
    let Ok(mut ws) = tungstenite::accept_with_config(stream, Some(config)) else {
        return;
    };
    // A WebSocket client may stay idle (a presence page); tungstenite reads whole messages.
    let _ = ws.get_ref().set_read_timeout(None);
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
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
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
            Ok((frame, used)) if used == bytes.len() => answer(shared, frame),
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
    }
}

fn close_ws(ws: &mut WebSocket<TcpStream>, code: u16) {
    let _ = ws.send(Message::Binary(encode(&error_frame(code)).into()));
    let _ = ws.close(None);
    let _ = ws.flush();
}
