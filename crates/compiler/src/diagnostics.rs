//! What the compiler reports: hard errors (nothing compiled) and warnings (compiled, with a caveat).

use crate::source::Loc;
use serde::Serialize;
use thiserror::Error;

/// A warning about a construct the analysis cannot see through. The enclosing function is
/// *opaque*: it is never moved off the thread where it would have run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub code: WarningCode,
    pub message: String,
    pub file: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningCode {
    /// Direct `eval(...)`: may read or write any variable in scope.
    OpaqueEval,
    /// `with (obj) {...}`: names inside may resolve to `obj`'s properties.
    OpaqueWith,
    /// A construct recovered by the parser that Node may still accept.
    RecoveredSyntax,
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: warning: {}",
            self.file, self.loc.line, self.loc.col, self.message
        )
    }
}

/// Why a module could not be compiled at all.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum CompileError {
    #[error("{file}:{}:{}: SyntaxError: {message}\n{frame}", loc.line, loc.col)]
    Syntax {
        file: String,
        loc: Loc,
        message: String,
        /// A few lines of source with a caret under the column.
        frame: String,
    },
    #[error("invalid fluxion config: `{key}`: {message}")]
    Config { key: String, message: String },
    /// Over `stack::MAX_SOURCE`: the stack its nesting could need is not reserved.
    #[error("{file}: {bytes} bytes is over the compiler's limit of {limit} bytes a file")]
    TooLarge {
        file: String,
        bytes: usize,
        limit: usize,
    },
    /// More `else` than swc's parser chains in time (`limits`): refused, not stalled.
    #[error("{file}: {count} `else if`, over the compiler's limit of {limit} (swc parses a chain that long in quadratic time)")]
    TooManyElse {
        file: String,
        count: usize,
        limit: usize,
    },
    /// Nesting that would make swc's resolver super-linear (`limits`): refused, not stalled.
    #[error("{file}: statements nested too deeply to compile in time (about {work} resolver steps, over the compiler's limit of {limit})")]
    TooNested { file: String, work: u64, limit: u64 },
    /// The address space for the compile's stack could not be mapped.
    #[error("{file}: no address space for a {bytes}-byte compile stack (mmap failed)")]
    NoStack { file: String, bytes: usize },
}
