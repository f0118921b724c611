//! Error types. They name data (keys, kinds, version ids) and depend on nothing else in the
//! crate: every module above the data types may return them.

use std::time::Duration;

use thiserror::Error;

use crate::change::ChangeKind;
use crate::value::{DimKind, Key};
use crate::version_id::VersionId;

/// A type definition, or an object or diff, does not fit the schema.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum SchemaError {
    #[error("invalid type definition {type_name:?}: {reason}")]
    InvalidTypeDef { type_name: String, reason: String },
    #[error("type {0:?} is defined twice")]
    DuplicateType(String),
    #[error("unknown type {0:?}")]
    UnknownType(String),
    #[error("{type_name} {key}: unknown dimension {dim:?}")]
    UnknownDim {
        type_name: String,
        key: Key,
        dim: String,
    },
    #[error("{type_name} {key}: dimension {dim:?} expects {expected}, found {found}")]
    WrongType {
        type_name: String,
        key: Key,
        dim: String,
        expected: DimKind,
        found: &'static str,
    },
    #[error("{type_name} {key}: the key dimension expects {expected}, found {found}")]
    WrongKeyType {
        type_name: String,
        key: Key,
        expected: DimKind,
        found: &'static str,
    },
    #[error("{type_name} {key}: key dimension {dim:?} must not appear among the dimensions")]
    KeyDimInDims {
        type_name: String,
        key: Key,
        dim: String,
    },
    #[error("{type_name}: object listed under key {map_key} has key {object_key}")]
    KeyMismatch {
        type_name: String,
        map_key: Key,
        object_key: Key,
    },
    #[error("{type_name}: missing key dimension {dim:?}")]
    MissingKey { type_name: String, dim: String },
}

/// A change cannot follow another one, or cannot be applied to a state.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum DiffError {
    #[error("{type_name} {key}: {second} cannot follow {first}")]
    InvalidSequence {
        type_name: String,
        key: Key,
        first: ChangeKind,
        second: ChangeKind,
    },
    #[error("{type_name} {key}: object already exists")]
    AlreadyExists { type_name: String, key: Key },
    #[error("{type_name} {key}: no such object")]
    NotFound { type_name: String, key: Key },
}

/// Every error of this crate.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Diff(#[from] DiffError),
    #[error("unknown version {0}")]
    UnknownVersion(VersionId),
    #[error("version {0} already exists")]
    DuplicateVersion(VersionId),
    #[error("no reference is held on version {0}")]
    RefNotHeld(VersionId),
    #[error("merge function answered an object with key {got} for {type_name} {expected}")]
    MergeKeyMismatch {
        type_name: String,
        expected: Key,
        got: Key,
    },
    #[error("unknown app {0:?}")]
    UnknownApp(String),
    #[error("app {0:?} already exists")]
    AppExists(String),
    #[error("timed out after {waited:?} waiting for app {app:?} to move past version {since}")]
    Timeout {
        app: String,
        since: VersionId,
        waited: Duration,
    },
    #[error("app {app:?} moved: the push is based on {from} but the head is {head}")]
    HeadMoved {
        app: String,
        from: VersionId,
        head: VersionId,
    },
    #[error("the dataframe has uncommitted changes")]
    UncommittedChanges,
    #[error("the dataframe is not connected to a store")]
    NotConnected,
    /// The durable storage of an app failed (the message names its path).
    #[error("{0}")]
    Durability(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
