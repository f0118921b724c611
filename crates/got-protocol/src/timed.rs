//! A connection's socket with its deadlines: an idle timeout between frames and one deadline
//! for a whole frame, however its bytes are spread out.
//!
//! A socket read timeout alone bounds each read, so a client sending one byte every few
//! seconds would hold its connection forever. [`TimedStream`] gives every read only the time
//! left until the current deadline: the idle deadline while the connection waits for a
//! frame, then, from the frame's first byte, the frame deadline.
//!
//! Its [`ConnState`] is shared with the server's connection table, which closes the
//! connection idle the longest when it is full (see [`ConnState::try_evict`]).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const IDLE: u8 = 0;
const BUSY: u8 = 1;
const EVICTED: u8 = 2;

/// Whether a connection is waiting for a frame (and since when), and whether the server closed
/// it to make room.
#[derive(Debug)]
pub struct ConnState {
    epoch: Instant,
    phase: AtomicU8,
    /// Milliseconds since `epoch` when the connection became idle.
    idle_since: AtomicU64,
}

impl ConnState {
    pub fn new(epoch: Instant) -> ConnState {
        ConnState {
            epoch,
            phase: AtomicU8::new(IDLE),
            idle_since: AtomicU64::new(epoch.elapsed().as_millis() as u64),
        }
    }

    /// Milliseconds since the server's epoch at which the connection became idle, or `None`
    /// while it reads or serves a frame.
    pub fn idle_since(&self) -> Option<u64> {
        (self.phase.load(Ordering::SeqCst) == IDLE).then(|| self.idle_since.load(Ordering::SeqCst))
    }

    fn set_idle(&self) {
        self.idle_since
            .store(self.epoch.elapsed().as_millis() as u64, Ordering::SeqCst);
        let _ = self
            .phase
            .compare_exchange(BUSY, IDLE, Ordering::SeqCst, Ordering::SeqCst);
    }

    /// Idle → busy; fails if the server evicted the connection first (its bytes are then
    /// dropped unread, so an evicted client's request is never half served).
    fn set_busy(&self) -> bool {
        match self
            .phase
            .compare_exchange(IDLE, BUSY, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(p) => p == BUSY,
        }
    }

    /// Marks an idle connection evicted; `false` if it is busy (or evicted already).
    pub fn try_evict(&self) -> bool {
        self.phase
            .compare_exchange(IDLE, EVICTED, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    pub fn evicted(&self) -> bool {
        self.phase.load(Ordering::SeqCst) == EVICTED
    }
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for the first byte of a frame, until then.
    Idle(Instant),
    /// Inside a frame, which must be complete by then.
    Frame(Instant),
}

/// A TCP stream whose reads honour the idle and frame deadlines. Reads past a deadline fail
/// with [`io::ErrorKind::TimedOut`].
#[derive(Debug)]
pub struct TimedStream {
    stream: TcpStream,
    phase: Phase,
    idle_timeout: Duration,
    frame_timeout: Duration,
    state: Arc<ConnState>,
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_owned())
}

impl TimedStream {
    /// A new connection: its first frame must start within `frame_timeout` (it is idle, and
    /// may be evicted, until then).
    pub fn new(
        stream: TcpStream,
        idle_timeout: Duration,
        frame_timeout: Duration,
        state: Arc<ConnState>,
    ) -> TimedStream {
        let _ = stream.set_write_timeout(Some(frame_timeout));
        TimedStream {
            stream,
            phase: Phase::Idle(Instant::now() + frame_timeout.min(idle_timeout)),
            idle_timeout,
            frame_timeout,
            state,
        }
    }

    /// Between frames: the next one must start within the idle timeout.
    pub fn idle(&mut self) {
        self.phase = Phase::Idle(Instant::now() + self.idle_timeout);
        self.state.set_idle();
    }

    /// A frame starts now (its first byte came, or the server waits for an answer byte).
    pub fn begin_frame(&mut self) -> io::Result<()> {
        if !self.state.set_busy() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "closed to make room for a new connection",
            ));
        }
        self.phase = Phase::Frame(Instant::now() + self.frame_timeout);
        Ok(())
    }

    pub fn get_ref(&self) -> &TcpStream {
        &self.stream
    }

    /// Arms the socket's timeout with what is left until the deadline.
    fn arm(&self) -> io::Result<()> {
        let (until, what) = match self.phase {
            Phase::Idle(t) => (t, "idle timeout"),
            Phase::Frame(t) => (t, "frame deadline passed"),
        };
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out(what));
        }
        self.stream.set_read_timeout(Some(left))
    }

    fn after_read(&mut self, n: usize) -> io::Result<usize> {
        if n > 0 && matches!(self.phase, Phase::Idle(_)) {
            self.begin_frame()?;
        }
        Ok(n)
    }

    /// Like [`TcpStream::peek`], under the same deadlines.
    pub fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm()?;
        let n = self.stream.peek(buf).map_err(map_timeout)?;
        self.after_read(n)
    }
}

/// A socket read timeout surfaces as WouldBlock on Unix: make it a plain timeout.
fn map_timeout(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        timed_out("deadline passed")
    } else {
        e
    }
}

impl Read for TimedStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.state.evicted() {
            return Ok(0);
        }
        self.arm()?;
        let n = self.stream.read(buf).map_err(map_timeout)?;
        self.after_read(n)
    }
}

impl Write for TimedStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.stream.flush()
    }
}
