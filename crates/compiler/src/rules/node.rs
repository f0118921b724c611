//! Node's rupture points: core APIs whose callback runs later with an asynchronous result
//! (post, `->`), and listeners whose callback runs once per event (start, `>>`).

use super::kinds::{ParamShape, RuptureKind};

/// Node core APIs whose callback runs once with the asynchronous result.
const NODE_POST: &[&str] = &[
    "fs.*",
    "dns.*",
    "zlib.*",
    "crypto.randomBytes",
    "crypto.randomFill",
    "crypto.randomInt",
    "crypto.pbkdf2",
    "crypto.scrypt",
    "crypto.hkdf",
    "crypto.generateKeyPair",
    "crypto.generatePrime",
    "crypto.checkPrime",
    "child_process.exec",
    "child_process.execFile",
    "setTimeout",
    "setImmediate",
    "timers.setTimeout",
    "timers.setImmediate",
    "process.nextTick",
    "queueMicrotask",
    "http.get",
    "http.request",
    "https.get",
    "https.request",
    "net.connect",
    "net.createConnection",
    "tls.connect",
    "*.listen",
    "*.then",
    "*.catch",
    "*.finally",
    "raw-body",
    "stream.pipeline",
    "stream.finished",
    // fluxion's own: a context-free tail split off a fluxion with a context (see `tails`).
    "__flx.tail",
];

/// Listeners: each call of the callback is a new message entering a chain.
const NODE_START: &[(&str, ParamShape)] = &[
    ("http.createServer", ParamShape::Http),
    ("https.createServer", ParamShape::Http),
    ("http2.createServer", ParamShape::Http),
    ("net.createServer", ParamShape::Socket),
    ("tls.createServer", ParamShape::Socket),
    ("setInterval", ParamShape::None),
    ("timers.setInterval", ParamShape::None),
    ("*.on", ParamShape::None),
    ("*.once", ParamShape::None),
    ("*.addListener", ParamShape::None),
    ("*.prependListener", ParamShape::None),
    ("*.prependOnceListener", ParamShape::None),
];

/// `(pattern, kind, parameters)` for every default Node rule, in matching order.
pub fn defaults() -> Vec<(String, RuptureKind, ParamShape)> {
    let start = NODE_START
        .iter()
        .map(|(p, shape)| (p.to_string(), RuptureKind::Start, *shape));
    let post = NODE_POST
        .iter()
        .map(|p| (p.to_string(), RuptureKind::Post, ParamShape::None));
    start.chain(post).collect()
}
