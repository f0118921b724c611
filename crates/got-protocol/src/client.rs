//! A blocking client: [`Connection`] sends frames over TCP, [`Remote`] keeps a local mirror of
//! a server's app in sync with it.
//!
//! # The mirror
//!
//! A [`Remote`] holds a private [`Store`] with one app, the *mirror* of the server's app: its
//! versions carry the server's ids, so a [`fluxion_versions::Dataframe`] connected to the mirror
//! fetches, merges and pushes exactly as it does against an in-process store, and
//! [`Remote::sync_down`] / [`Remote::sync_up`] move versions between the mirror and the server.
//! Merges the dataframe needs happen locally, with its own merge function, before anything is
//! sent: the server only merges when another client pushed in between (with the app's merge
//! function, theirs-wins by default).
//!
//! `known` is the newest server version the mirror has (the server holds a reference on it for
//! this client): fetches start from it, pushes are based on it.

use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use fluxion_versions::{Diff, PushRequest, Schema, Store, VersionId};
use parking_lot::Mutex;
use thiserror::Error;

use crate::auth::Token;
use crate::codec::Limits;
use crate::frame::{status, Frame};
use crate::io::{read_frame, write_frame, ReadError};

/// Why a request to a server failed.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("cannot connect to {addr}: {source}")]
    Connect { addr: String, source: io::Error },
    #[error("connection to {addr} failed: {source}")]
    Io { addr: String, source: ReadError },
    /// The server answered with an error status.
    #[error("{addr} answered status {status} ({}) to a {request}", status_text(*status))]
    Status {
        addr: String,
        status: u16,
        request: &'static str,
    },
    /// The server's answer lacks a field it must carry.
    #[error("{addr} sent an invalid answer to a {request}: {reason}")]
    BadReply {
        addr: String,
        request: &'static str,
        reason: &'static str,
    },
    /// The mirror refused the server's data (it does not fit the local types).
    #[error("data from {addr} does not apply locally: {source}")]
    Local {
        addr: String,
        source: fluxion_versions::Error,
    },
}

/// What a status means, for error messages.
pub fn status_text(code: u16) -> &'static str {
    match code {
        status::OK => "ok",
        status::UNAUTHORIZED => "the server requires its token (serve({ token }); the client's token option or FLUXION_GOT_TOKEN)",
        status::FORBIDDEN => "the server serves this app read-only",
        status::BAD_REQUEST => "bad request: malformed, truncated or incomplete frame",
        status::NOT_FOUND => "no such app on the server",
        status::TIMEOUT => "timed out waiting for a change",
        status::CONFLICT => "version already exists",
        status::PRECONDITION_FAILED => "the server's head moved (fetch, merge, push again)",
        status::GONE => "unknown start version",
        status::TOO_LARGE => "frame too large",
        status::UNPROCESSABLE => "data does not fit the app's types or its start version",
        status::UNAVAILABLE => "server has too many connections",
        _ => "server error",
    }
}

/// One TCP connection to a server. Acknowledgements are pipelined: [`Connection::send_ack`]
/// does not wait for its answer, which is read (and checked) before the next request's.
pub struct Connection {
    stream: TcpStream,
    addr: String,
    limits: Limits,
    pending_acks: usize,
    /// Sent with the first frame, then `None`.
    token: Option<Token>,
    /// Whether an answer was read on this connection (a pooled connection the server closed
    /// while it was idle fails before any answer).
    answered: bool,
}

impl Connection {
    /// Connects with `timeout` for the connection and for every answer (a fetch with Wait
    /// extends it by its own timeout).
    pub fn connect(
        addr: &str,
        timeout: Duration,
        limits: Limits,
    ) -> Result<Connection, ClientError> {
        let err = |source| ClientError::Connect {
            addr: addr.to_owned(),
            source,
        };
        let sock = addr
            .to_socket_addrs()
            .map_err(err)?
            .next()
            .ok_or_else(|| err(io::Error::new(io::ErrorKind::NotFound, "no address")))?;
        let stream = TcpStream::connect_timeout(&sock, timeout).map_err(err)?;
        stream.set_nodelay(true).map_err(err)?;
        stream.set_read_timeout(Some(timeout)).map_err(err)?;
        stream.set_write_timeout(Some(timeout)).map_err(err)?;
        Ok(Connection {
            stream,
            addr: addr.to_owned(),
            limits,
            pending_acks: 0,
            token: None,
            answered: false,
        })
    }

    /// Presents `token` with the connection's first frame.
    pub fn with_token(mut self, token: Option<Token>) -> Connection {
        self.token = token;
        self
    }

    /// Writes a frame, with the token if it is the connection's first.
    fn write(&mut self, frame: &Frame) -> Result<(), ClientError> {
        let r = match self.token.take() {
            Some(t) => write_frame(&mut self.stream, &frame.clone().with_token(&t)),
            None => write_frame(&mut self.stream, frame),
        };
        r.map_err(|e| self.io_err(ReadError::Io(e)))
    }

    fn io_err(&self, source: ReadError) -> ClientError {
        ClientError::Io {
            addr: self.addr.clone(),
            source,
        }
    }

    fn drain_acks(&mut self) -> Result<(), ClientError> {
        while self.pending_acks > 0 {
            let reply = read_frame(&mut self.stream, &self.limits).map_err(|e| self.io_err(e))?;
            self.pending_acks -= 1;
            self.answered = true;
            let code = reply.status.unwrap_or(status::INTERNAL);
            if code != status::OK {
                return Err(ClientError::Status {
                    addr: self.addr.clone(),
                    status: code,
                    request: "ack",
                });
            }
        }
        Ok(())
    }

    /// Sends a request and returns the answer, whatever its status. `extra` lengthens the read
    /// timeout (for a fetch with Wait).
    pub fn request(&mut self, frame: &Frame, extra: Duration) -> Result<Frame, ClientError> {
        self.drain_acks()?;
        self.write(frame)?;
        let base = self.stream.read_timeout().ok().flatten();
        if !extra.is_zero() {
            let _ = self.stream.set_read_timeout(base.map(|b| b + extra));
        }
        let reply = read_frame(&mut self.stream, &self.limits);
        if !extra.is_zero() {
            let _ = self.stream.set_read_timeout(base);
        }
        let reply = reply.map_err(|e| self.io_err(e))?;
        self.answered = true;
        Ok(reply)
    }

    /// Whether `e` says the server had closed this (reused) connection before it read the
    /// request: the server closes idle connections (idle timeout, or to make room) without
    /// reading from them, so the request can be sent again on a new connection.
    fn closed_while_idle(&self, e: &ClientError) -> bool {
        let ClientError::Io { source, .. } = e else {
            return false;
        };
        self.answered
            && match source {
                ReadError::Closed => true,
                ReadError::Io(e) => matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::BrokenPipe
                        | io::ErrorKind::UnexpectedEof
                ),
                _ => false,
            }
    }

    /// Sends an acknowledgement without waiting for its answer.
    pub fn send_ack(&mut self, frame: &Frame) -> Result<(), ClientError> {
        self.write(frame)?;
        self.pending_acks += 1;
        Ok(())
    }
}

/// Client options.
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Connection and answer timeout.
    pub timeout: Duration,
    pub limits: Limits,
    /// The server's token, presented in each connection's first frame.
    pub token: Option<Token>,
}

impl Default for RemoteOptions {
    /// 30 s, default limits, no token.
    fn default() -> Self {
        RemoteOptions {
            timeout: Duration::from_secs(30),
            limits: Limits::default(),
            token: None,
        }
    }
}

/// A server's app mirrored locally (see the module docs). Thread-safe: a blocking wait
/// ([`Remote::wait_down`]) uses its own connection and does not hold up other calls.
pub struct Remote {
    addr: String,
    app: String,
    mirror: Store,
    options: RemoteOptions,
    known: Mutex<VersionId>,
    pool: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("addr", &self.addr)
            .field("app", &self.app)
            .field("known", &*self.known.lock())
            .finish()
    }
}

impl Remote {
    /// A mirror of app `app` at `addr` (`host:port`), with the local `schema`. Connects lazily.
    pub fn new(addr: &str, app: &str, schema: Schema, options: RemoteOptions) -> Remote {
        let mirror = Store::new();
        // A fresh store: creating its only app and retaining ROOT cannot fail.
        let _ = mirror.create_app(app, schema);
        let _ = mirror.retain(app, VersionId::ROOT);
        Remote {
            addr: addr.to_owned(),
            app: app.to_owned(),
            mirror,
            options,
            known: Mutex::new(VersionId::ROOT),
            pool: Mutex::new(Vec::new()),
        }
    }

    /// The mirror store (connect a dataframe to [`Remote::app`] in it).
    pub fn mirror(&self) -> &Store {
        &self.mirror
    }

    pub fn app(&self) -> &str {
        &self.app
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The newest server version the mirror has.
    pub fn known(&self) -> VersionId {
        *self.known.lock()
    }

    fn connect(&self) -> Result<Connection, ClientError> {
        let o = &self.options;
        Ok(Connection::connect(&self.addr, o.timeout, o.limits)?.with_token(o.token.clone()))
    }

    /// Runs `f` on a pooled connection (a new one if none is idle); the connection goes back to
    /// the pool only if `f` succeeded, since after an error the stream may be out of step. A
    /// pooled connection the server closed while it sat idle is replaced and `f` runs again
    /// (the server had not read the request).
    fn with_conn<R>(
        &self,
        mut f: impl FnMut(&mut Connection) -> Result<R, ClientError>,
    ) -> Result<R, ClientError> {
        loop {
            let pooled = self.pool.lock().pop();
            let (mut conn, reused) = match pooled {
                Some(c) => (c, true),
                None => (self.connect()?, false),
            };
            match f(&mut conn) {
                Ok(r) => {
                    self.pool.lock().push(conn);
                    return Ok(r);
                }
                Err(e) if reused && conn.closed_while_idle(&e) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    fn check(&self, reply: &Frame, request: &'static str) -> Result<(), ClientError> {
        match reply.status {
            Some(status::OK) => Ok(()),
            Some(code) => Err(ClientError::Status {
                addr: self.addr.clone(),
                status: code,
                request,
            }),
            None => Err(self.bad(request, "no status")),
        }
    }

    fn bad(&self, request: &'static str, reason: &'static str) -> ClientError {
        ClientError::BadReply {
            addr: self.addr.clone(),
            request,
            reason,
        }
    }

    fn local(&self, source: fluxion_versions::Error) -> ClientError {
        ClientError::Local {
            addr: self.addr.clone(),
            source,
        }
    }

    /// Adds the server's answer to a fetch from `from` to the mirror and moves `known` to it.
    /// Called with `known` locked and equal to `from`.
    fn integrate(
        &self,
        known: &mut VersionId,
        from: VersionId,
        reply: Frame,
    ) -> Result<bool, ClientError> {
        let head = reply
            .end_version
            .ok_or_else(|| self.bad("fetch", "no EndVersion"))?;
        if head == from {
            return Ok(false);
        }
        let diff = reply.data.unwrap_or_default();
        let has = self
            .mirror
            .with_graph(&self.app, |g| g.contains(head))
            .map_err(|e| self.local(e))?;
        if !has {
            // When the mirror's head is a local commit not pushed yet, this merges it with the
            // server's head (the next sync_up pushes the merge).
            let req = PushRequest {
                from,
                version: Some(head),
                diff,
                merge_fn: None,
                hold: true,
                if_head: false,
            };
            self.mirror
                .push_request(&self.app, req)
                .map_err(|e| self.local(e))?;
        } else {
            self.mirror
                .retain(&self.app, head)
                .map_err(|e| self.local(e))?;
        }
        let _ = self.mirror.release(&self.app, from);
        *known = head;
        let _ = self.mirror.gc(&self.app);
        Ok(true)
    }

    /// Fetches what the server has beyond `known` into the mirror. Returns whether anything
    /// was new.
    pub fn sync_down(&self) -> Result<bool, ClientError> {
        let mut known = self.known.lock();
        let from = *known;
        let app = self.app.clone();
        self.with_conn(|c| {
            let reply = c.request(&Frame::fetch(&app, from), Duration::ZERO)?;
            self.check(&reply, "fetch")?;
            let changed = self.integrate(&mut known, from, reply)?;
            // The server holds what it answered until this ack (it releases `from`).
            c.send_ack(&Frame::ack(&app, from, *known))?;
            Ok(changed)
        })
    }

    /// Pushes the mirror's head to the server if the server does not have it. Returns the
    /// server's head after the push (it differs from the pushed version when the server had
    /// to merge with another client's push; the next fetch brings the merge).
    pub fn sync_up(&self) -> Result<VersionId, ClientError> {
        let mut known = self.known.lock();
        let from = *known;
        let head = self.mirror.head(&self.app).map_err(|e| self.local(e))?;
        if head == from {
            return Ok(from);
        }
        let diff = self
            .mirror
            .with_graph(&self.app, |g| g.delta(from, head))
            .map_err(|e| self.local(e))?
            .map_err(|e| self.local(e))?;
        let app = self.app.clone();
        let frame = Frame::push(&app, from, head, diff);
        let server_head = self.with_conn(|c| {
            let reply = c.request(&frame, Duration::ZERO)?;
            self.check(&reply, "push")?;
            reply
                .end_version
                .ok_or_else(|| self.bad("push", "no EndVersion"))
        })?;
        // The server now holds `head` for us and dropped `from`.
        self.mirror
            .retain(&self.app, head)
            .map_err(|e| self.local(e))?;
        let _ = self.mirror.release(&self.app, from);
        *known = head;
        let _ = self.mirror.gc(&self.app);
        Ok(server_head)
    }

    /// Pushes `diff` from `from` (the newest server version the mirror has) to the local
    /// version `version`, only if `from` is still the server's head: the client merged itself
    /// (with its own merge function) and the server must not merge again. Returns `false`,
    /// with nothing changed, if the server's head moved (412) or `from` is not
    /// [`Remote::known`]: fetch ([`Remote::sync_down`]), merge and try again. On success the
    /// mirror has `version` as its head (a dataframe's next push into the mirror then sends
    /// nothing) and `known` is `version`.
    pub fn push_if_head(
        &self,
        from: VersionId,
        version: VersionId,
        diff: Diff,
    ) -> Result<bool, ClientError> {
        let mut known = self.known.lock();
        if *known != from {
            return Ok(false);
        }
        let app = self.app.clone();
        let frame = Frame::push(&app, from, version, diff.clone()).with_if_head();
        let accepted = self.with_conn(|c| {
            let reply = c.request(&frame, Duration::ZERO)?;
            if reply.status == Some(status::PRECONDITION_FAILED) {
                return Ok(false);
            }
            self.check(&reply, "push")?;
            Ok(true)
        })?;
        if !accepted {
            return Ok(false);
        }
        let req = PushRequest {
            from,
            version: Some(version),
            diff,
            merge_fn: None,
            hold: true,
            if_head: false,
        };
        self.mirror
            .push_request(&self.app, req)
            .map_err(|e| self.local(e))?;
        let _ = self.mirror.release(&self.app, from);
        *known = version;
        let _ = self.mirror.gc(&self.app);
        Ok(true)
    }

    /// Blocks until the server has a version beyond `known` (at most `timeout`) and fetches it
    /// into the mirror. Returns `false` on timeout.
    pub fn wait_down(&self, timeout: Duration) -> Result<bool, ClientError> {
        let from = self.known();
        let app = self.app.clone();
        let frame = Frame::fetch(&app, from).with_wait(timeout.as_secs_f64());
        self.with_conn(|c| {
            let reply = c.request(&frame, timeout)?;
            if reply.status == Some(status::TIMEOUT) {
                return Ok(false);
            }
            self.check(&reply, "fetch")?;
            let head = reply.end_version;
            let mut known = self.known.lock();
            if *known == from {
                self.integrate(&mut known, from, reply)?;
                c.send_ack(&Frame::ack(&app, from, *known))?;
            } else if let Some(h) = head {
                // A sync in between moved `known`: this answer is stale. Dropping the reference
                // the server took for it (an ack from `h` to `h`) keeps its graph collectable.
                c.send_ack(&Frame::ack(&app, h, h))?;
            }
            Ok(true)
        })
    }
}
