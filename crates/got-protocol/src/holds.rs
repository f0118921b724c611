//! Versions a connection fetched and has not acknowledged yet.
//!
//! A fetch answer keeps its EndVersion in the store for the client until the client's ack
//! (the thesis's fetch cycle): a client that fetches without acknowledging would pin every
//! version it was given and stop the graph from being collected. A connection keeps at most
//! `max` such holds (the oldest is released beyond), each at most `max_age`, and releases
//! what is left when it closes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use fluxion_versions::{Store, VersionId};

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

    /// The client acknowledged moving to `version`: the hold is its own from now on.
    pub fn acked(&mut self, app: &str, version: VersionId) {
        if let Some(i) = self
            .holds
            .iter()
            .position(|(a, v, _)| a == app && *v == version)
        {
            self.holds.remove(i);
        }
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

fn release(store: &Store, app: &str, v: VersionId) {
    if store.release_if_held(app, v) == Ok(true) {
        let _ = store.gc(app);
    }
}
