//! [`Change`]: what happened to one object between two versions, and its [`ChangeKind`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::object::Object;
use crate::value::Value;

/// What happened to one object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Change {
    /// Created: the full (normalised) object.
    New(Object),
    /// Changed: only the dimensions that changed, with their new values.
    Modify(BTreeMap<String, Value>),
    /// Removed.
    Delete,
}

impl Change {
    pub fn kind(&self) -> ChangeKind {
        match self {
            Change::New(_) => ChangeKind::New,
            Change::Modify(_) => ChangeKind::Modify,
            Change::Delete => ChangeKind::Delete,
        }
    }
}

/// The kind of a [`Change`], with the thesis's event codes (0 new, 1 modify, 2 delete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ChangeKind {
    New = 0,
    Modify = 1,
    Delete = 2,
}

impl ChangeKind {
    /// The event code used on the wire.
    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u64) -> Option<ChangeKind> {
        match code {
            0 => Some(ChangeKind::New),
            1 => Some(ChangeKind::Modify),
            2 => Some(ChangeKind::Delete),
            _ => None,
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::New => "new",
            ChangeKind::Modify => "modify",
            ChangeKind::Delete => "delete",
        })
    }
}
