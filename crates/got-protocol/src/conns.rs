//! The server's table of open connections: the connection limit, and room made for a new
//! connection by closing the one idle the longest.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::timed::ConnState;

struct Entry {
    stream: TcpStream,
    state: Arc<ConnState>,
}

/// Open connections by id.
#[derive(Default)]
pub struct Connections {
    map: Mutex<HashMap<u64, Entry>>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Full, and every connection is busy.
    Full,
}

impl Connections {
    pub fn len(&self) -> usize {
        self.map.lock().len()
    }

    /// Adds a connection; when `max` are open, first closes the one idle the longest (it sees
    /// its socket closed, as after an idle timeout); refused when none is idle.
    pub fn admit(
        &self,
        id: u64,
        stream: TcpStream,
        state: Arc<ConnState>,
        max: usize,
    ) -> Result<(), Refused> {
        let mut map = self.map.lock();
        while map.len() >= max {
            let mut idle: Vec<(u64, u64)> = map
                .iter()
                .filter_map(|(id, e)| e.state.idle_since().map(|t| (t, *id)))
                .collect();
            idle.sort_unstable();
            let victim = idle
                .into_iter()
                .find(|(_, id)| map.get(id).is_some_and(|e| e.state.try_evict()));
            let Some((_, victim)) = victim else {
                return Err(Refused::Full);
            };
            if let Some(e) = map.remove(&victim) {
                let _ = e.stream.shutdown(Shutdown::Both);
            }
        }
        map.insert(id, Entry { stream, state });
        Ok(())
    }

    pub fn remove(&self, id: u64) {
        self.map.lock().remove(&id);
    }

    /// Closes every connection.
    pub fn close_all(&self) {
        for (_, e) in self.map.lock().drain() {
            let _ = e.stream.shutdown(Shutdown::Both);
        }
    }
}
