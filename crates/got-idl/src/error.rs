//! [`IdlError`]: what is wrong in a schema, and where.

use thiserror::Error;

use crate::ast::Pos;

/// A schema that cannot be used, as `file:line:col: message`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}:{pos}: {message}")]
pub struct IdlError {
    pub file: String,
    pub pos: Pos,
    pub message: String,
}
