//! The versions the server keeps for its clients, and the bounds on them.
//!
//! A fetch answer keeps its EndVersion in the store for the client until the client's ack
//! (the thesis's fetch cycle): a client that fetches without acknowledging would pin every
//! version it was given and stop the graph from being collected. A connection keeps at most
//! `max` such holds (the oldest is released beyond), each at most `max_age`, and releases
//! what is left when it closes ([`Unacked`]).
//!
//! An acknowledged fetch, or a push with an EndVersion, gives the client a hold on that
//! version, which it gives back by its next ack or push *from* it. The protocol has no client
//! identity, so without bookkeeping a client could pin a version per push by pushing from
//! `ROOT` (nothing to give back), or release a hold that is not its own — another client's,
//! or the store's own reference on the head. So each connection keeps the holds it was given
//! ([`Owned`], at most `max`, oldest released beyond) and only releases those; when it closes,
//! its newest hold per app is parked server-wide ([`Parked`], at most one per possible
//! connection, oldest released beyond) so that a client that reconnects (a pooled connection
//! closed while idle) finds its version and gives it back with its next request. What any
//! client can make the server keep is thus bounded by `max_connections × 2 × max_unacked +
//! max_connections` versions.
use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fluxion_versions::{Store, VersionId};
use parking_lot::Mutex;

/// One connection's fetched-but-unacknowledged versions, oldest first.
#[derive(Debug)]
pub struct Unacked {
    holds: VecDeque<(String, VersionId, Instant)>,
    max: usize,
    max_age: Duration,
}

impl Unacked {
    pub fn new(max: usize, max_age: Duration) -> Unacked {
        Unacked {
            holds: VecDeque::new(),
            max,
            max_age,
        }
    }

    /// A fetch answered `version` (and the store holds it for the client).
    pub fn fetched(&mut self, store: &Store, app: &str, version: VersionId) {
        self.holds
            .push_back((app.to_owned(), version, Instant::now()));
        while self.holds.len() > self.max {
            if let Some((app, v, _)) = self.holds.pop_front() {
                release(store, &app, v);
            }
        }
    }

    /// The client acknowledged moving to `version`: the hold is its own from now on (see
    /// [`Owned`]). Returns whether this connection was holding it unacknowledged.
    pub fn acked(&mut self, app: &str, version: VersionId) -> bool {
        match self
            .holds
            .iter()
            .position(|(a, v, _)| a == app && *v == version)
        {
            Some(i) => {
                self.holds.remove(i);
                true
            }
            None => false,
        }
    }

    /// Removes one unacknowledged hold on `version` if there is one (the caller releases it):
    /// a client drops the hold of an answer it no longer needs by acking from it.
    pub fn take(&mut self, app: &str, version: VersionId) -> bool {
        self.acked(app, version)
    }

    /// Releases the holds older than the bound.
    pub fn expire(&mut self, store: &Store) {
        let now = Instant::now();
        while let Some((_, _, at)) = self.holds.front() {
            if now.duration_since(*at) < self.max_age {
                break;
            }
            if let Some((app, v, _)) = self.holds.pop_front() {
                release(store, &app, v);
            }
        }
    }

    /// Releases every hold (the connection closed).
    pub fn release_all(&mut self, store: &Store) {
        for (app, v, _) in self.holds.drain(..) {
            release(store, &app, v);
        }
    }
}

/// The holds a connection's client was given (an acknowledged fetch, a push), oldest first.
#[derive(Debug)]
pub struct Owned {
    holds: VecDeque<(String, VersionId)>,
    max: usize,
}

impl Owned {
    pub fn new(max: usize) -> Owned {
        Owned {
            holds: VecDeque::new(),
            max: max.max(1),
        }
    }

    /// The store holds `version` for this connection's client.
    pub fn add(&mut self, store: &Store, app: &str, version: VersionId) {
        self.holds.push_back((app.to_owned(), version));
        while self.holds.len() > self.max {
            if let Some((app, v)) = self.holds.pop_front() {
                release(store, &app, v);
            }
        }
    }

    /// Removes one hold on `version` if this connection has one (the caller releases it).
    pub fn take(&mut self, app: &str, version: VersionId) -> bool {
        match self
            .holds
            .iter()
            .rposition(|(a, v)| a == app && *v == version)
        {
            Some(i) => {
                self.holds.remove(i);
                true
            }
            None => false,
        }
    }

    /// The connection closed: its newest hold per app is parked (the client may come back
    /// from it), the others released.
    pub fn close(&mut self, store: &Store, parked: &Parked) {
        let mut seen: Vec<String> = Vec::new();
        while let Some((app, v)) = self.holds.pop_back() {
            if seen.contains(&app) {
                release(store, &app, v);
            } else {
                parked.park(store, &app, v);
                seen.push(app);
            }
        }
    }
}

/// Holds of closed connections, server-wide, oldest first.
#[derive(Debug)]
pub struct Parked {
    holds: Mutex<VecDeque<(String, VersionId)>>,
    max: usize,
}

impl Parked {
    pub fn new(max: usize) -> Parked {
        Parked {
            holds: Mutex::new(VecDeque::new()),
            max: max.max(1),
        }
    }

    fn park(&self, store: &Store, app: &str, version: VersionId) {
        let evicted = {
            let mut h = self.holds.lock();
            h.push_back((app.to_owned(), version));
            let n = h.len().saturating_sub(self.max);
            h.drain(..n).collect::<Vec<_>>()
        };
        for (app, v) in evicted {
            release(store, &app, v);
        }
    }

    /// Removes one parked hold on `version` if there is one (the caller releases it).
    pub fn claim(&self, app: &str, version: VersionId) -> bool {
        let mut h = self.holds.lock();
        match h.iter().position(|(a, v)| a == app && *v == version) {
            Some(i) => {
                h.remove(i);
                true
            }
            None => false,
        }
    }

    /// Releases every parked hold (the server closed).
    pub fn release_all(&self, store: &Store) {
        let all: Vec<_> = self.holds.lock().drain(..).collect();
        for (app, v) in all {
            release(store, &app, v);
        }
    }

    pub fn len(&self) -> usize {
        self.holds.lock().len()
    }
}

/// Drops one reference on `v` (if the store has one) and collects what that frees.
pub(crate) fn release(store: &Store, app: &str, v: VersionId) {
    if store.release_if_held(app, v) == Ok(true) {
        let _ = store.gc(app);
    }
}
