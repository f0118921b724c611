//! Which calls are rupture points: the callee list, as data (the paper's §3.1.2).
//!
//! A callee is described by its *canonical path*: the chain of names and calls that produced it,
//! with `require`/`import` resolved to the module name. `fs.readFile` is the path of
//! `require('fs').readFile`, of `readFile` destructured from `require('node:fs')`, and of
//! `import { readFile } from 'fs'`. `express().get` is `app.get` when `app = express()`, and
//! `express.Router().route().post` is `router.route('/x').post`. A receiver the analysis cannot
//! trace keeps its local name (`db.query` for a parameter `db`).
//!
//! A pattern is a dot-separated path; `*` matches exactly one segment, and a leading `*` matches
//! any non-empty prefix (`*.on` matches every `.on(...)` call).

use crate::diagnostics::CompileError;
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

/// The callee list: defaults plus whatever the project adds (`"fluxion"` key of package.json or
/// `fluxion.config.js`, `rupturePoints: { start: [...], post: [...] }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    rules: Vec<(Vec<String>, Rule)>,
}

const EXPRESS_METHODS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "all", "use", "param", "options", "head",
];
const EXPRESS_RECEIVERS: &[&str] = &[
    "express()",
    "express.Router()",
    // Receivers the analysis cannot trace (a parameter `app` of an exported
    // `function (app) { app.get(...) }`): matched by name, as the paper did.
    "app",
    "router",
];

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

impl Default for Rules {
    fn default() -> Self {
        let mut rules = Rules { rules: Vec::new() };
        for recv in EXPRESS_RECEIVERS {
            for m in EXPRESS_METHODS {
                rules.push(
                    &format!("{recv}.{m}"),
                    RuptureKind::Start,
                    ParamShape::Express,
                );
                rules.push(
                    &format!("{recv}.route().{m}"),
                    RuptureKind::Start,
                    ParamShape::Express,
                );
            }
        }
        for (p, shape) in NODE_START {
            rules.push(p, RuptureKind::Start, *shape);
        }
        for p in NODE_POST {
            rules.push(p, RuptureKind::Post, ParamShape::None);
        }
        rules
    }
}

impl Rules {
    fn push(&mut self, pattern: &str, kind: RuptureKind, params: ParamShape) {
        let segs = pattern.split('.').map(str::to_string).collect();
        self.rules.push((
            segs,
            Rule {
                pattern: pattern.to_string(),
                kind,
                params,
            },
        ));
    }

    /// Adds project rules; `key` names the config key in errors (`rupturePoints.post[2]`).
    pub fn extend(
        &mut self,
        kind: RuptureKind,
        patterns: &[String],
        key: &str,
    ) -> Result<(), CompileError> {
        for (i, p) in patterns.iter().enumerate() {
            validate_pattern(p).map_err(|message| CompileError::Config {
                key: format!("{key}[{i}]"),
                message,
            })?;
            // Project rules win over defaults: put them first.
            let segs = p.split('.').map(str::to_string).collect();
            self.rules.insert(
                0,
                (
                    segs,
                    Rule {
                        pattern: p.clone(),
                        kind,
                        params: ParamShape::None,
                    },
                ),
            );
        }
        Ok(())
    }

    /// The first rule whose pattern matches the canonical callee path.
    pub fn find(&self, path: &[String]) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|(segs, _)| matches(segs, path))
            .map(|(_, r)| r)
    }
}

fn validate_pattern(p: &str) -> Result<(), String> {
    if p.trim().is_empty() {
        return Err("empty pattern; write a callee such as \"db.query\" or \"redis.*\"".into());
    }
    for seg in p.split('.') {
        let name = seg.strip_suffix("()").unwrap_or(seg);
        let ok = name == "*"
            || (!name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '$' | '-' | '@' | '/')));
        if !ok {
            return Err(format!(
                "bad segment `{seg}` in pattern `{p}`; segments are names, `name()` or `*`"
            ));
        }
    }
    Ok(())
}

fn matches(pattern: &[String], path: &[String]) -> bool {
    if pattern.first().map(String::as_str) == Some("*") && pattern.len() > 1 {
        let rest = &pattern[1..];
        return path.len() > rest.len() && seg_eq(rest, &path[path.len() - rest.len()..]);
    }
    pattern.len() == path.len() && seg_eq(pattern, path)
}

fn seg_eq(pattern: &[String], path: &[String]) -> bool {
    pattern
        .iter()
        .zip(path)
        .all(|(p, s)| p == "*" && !s.ends_with("()") || p == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> Vec<String> {
        p.split('.').map(str::to_string).collect()
    }

    #[test]
    fn defaults_match_node_and_express() {
        let r = Rules::default();
        assert_eq!(
            r.find(&path("fs.readFile")).unwrap().kind,
            RuptureKind::Post
        );
        assert!(r.find(&path("fs.promises.readFile")).is_none());
        assert_eq!(
            r.find(&path("express().get")).unwrap().kind,
            RuptureKind::Start
        );
        assert_eq!(
            r.find(&path("express.Router().route().post"))
                .unwrap()
                .params,
            ParamShape::Express
        );
        assert_eq!(r.find(&path("x.y.on")).unwrap().kind, RuptureKind::Start);
        assert!(r.find(&path("on")).is_none());
        assert!(r.find(&path("map.get")).is_none());
    }

    #[test]
    fn project_rules_extend_and_validate() {
        let mut r = Rules::default();
        r.extend(
            RuptureKind::Post,
            &["db.query".into(), "redis.*".into()],
            "rupturePoints.post",
        )
        .unwrap();
        assert_eq!(r.find(&path("db.query")).unwrap().kind, RuptureKind::Post);
        assert_eq!(r.find(&path("redis.get")).unwrap().kind, RuptureKind::Post);
        let err = r
            .extend(
                RuptureKind::Start,
                &["ok".into(), "bad pattern!".into()],
                "rupturePoints.start",
            )
            .unwrap_err();
        assert!(err.to_string().contains("rupturePoints.start[1]"), "{err}");
    }
}
