//! What a rule says: the kind of rupture point and how the listener's parameters are read.

use serde::{Deserialize, Serialize};

/// The two kinds of rupture point of the paper: listeners (`>>`) and continuations (`->`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum RuptureKind {
    Start,
    Post,
}

impl RuptureKind {
    pub fn arrow(self) -> &'static str {
        match self {
            RuptureKind::Start => ">>",
            RuptureKind::Post => "->",
        }
    }
}

/// How the parameters of a listener are to be understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamShape {
    /// `(req, res, next)`, or `(err, req, res, next)` with four parameters.
    Express,
    /// `(req, res)` of `http.createServer` and `server.on('request')`.
    Http,
    /// `(socket)` of `net.createServer` and `server.on('connection')`.
    Socket,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub pattern: String,
    pub kind: RuptureKind,
    pub params: ParamShape,
}
