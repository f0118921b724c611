//! The hook through which a [`crate::Store`] app is made durable.
//!
//! The store tells its journal, under the app's lock and so in commit order, every version it
//! adds and every collection; it then waits, *outside* the lock, for the journal to report the
//! entry durable before it answers. Appending only queues; syncing is where the disk is
//! touched, so a journal can make a whole batch of concurrent pushes durable with one commit
//! (group commit). The store itself stays free of any storage dependency: `fluxion-got-disk`
//! implements this trait.

use std::fmt;

use crate::diff::Diff;
use crate::error::Result;
use crate::version_id::VersionId;

/// A position in a journal: [`Journal::sync`] waits until everything appended up to it is
/// durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// A version as the journal keeps it: its id and its incoming edges (parents in order).
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub id: VersionId,
    pub parents: Vec<(VersionId, &'a Diff)>,
}

/// What changed in an app's graph.
#[derive(Debug, Clone)]
pub enum Entry<'a> {
    /// New versions (parents before children) and the head after them.
    Added {
        versions: Vec<Record<'a>>,
        head: VersionId,
    },
    /// A collection: versions removed, and survivors whose incoming edges were rewritten.
    Collected {
        removed: Vec<VersionId>,
        rewired: Vec<Record<'a>>,
    },
}

/// Durable storage of the apps of a store (see the module docs).
pub trait Journal: Send + Sync + fmt::Debug {
    /// Queues `entry` for `app`; called under the app's lock, so entries arrive in commit
    /// order. Must not wait for the disk.
    fn append(&self, app: &str, entry: Entry<'_>) -> Result<Ticket>;

    /// Blocks until every entry up to `ticket` is durable (or fails, naming the storage).
    fn sync(&self, ticket: Ticket) -> Result<()>;
}
