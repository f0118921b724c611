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
//!
//! The default tables live per platform (`node.rs`, `express.rs`); this file orders them and
//! matches paths against them.

mod express;
mod kinds;
mod node;

pub use express::{route_chain_rule_path, route_label, RoutePath};
pub use kinds::{ParamShape, Rule, RuptureKind};

use crate::diagnostics::CompileError;
use rustc_hash::FxHashMap;

/// The callee list: defaults plus whatever the project adds (`"fluxion"` key of package.json or
/// `fluxion.config.js`, `rupturePoints: { start: [...], post: [...] }`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    rules: Vec<(Vec<String>, Rule)>,
    /// The rules that can match a path, by the path's last segment: those whose pattern ends
    /// with it, then (merged by position) those ending with `*`. `find` runs for every call.
    by_last: FxHashMap<String, Vec<usize>>,
    any_last: Vec<usize>,
}

impl Default for Rules {
    fn default() -> Self {
        let mut rules = Rules {
            rules: Vec::new(),
            by_last: FxHashMap::default(),
            any_last: Vec::new(),
        };
        for (p, kind, shape) in express::defaults().into_iter().chain(node::defaults()) {
            rules.push(&p, kind, shape);
        }
        rules.index();
        rules
    }
}

impl Rules {
    fn index(&mut self) {
        self.by_last.clear();
        self.any_last.clear();
        for (i, (segs, _)) in self.rules.iter().enumerate() {
            match segs.last().map(String::as_str) {
                Some("*") => self.any_last.push(i),
                Some(last) => self.by_last.entry(last.to_string()).or_default().push(i),
                None => {}
            }
        }
    }

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
        self.index();
        Ok(())
    }

    /// Whether a rule may match a path ending in `last`: `false` lets a caller skip building a
    /// path (most calls are methods no rule names).
    pub fn may_end_with(&self, last: &str) -> bool {
        !self.any_last.is_empty() || self.by_last.contains_key(last)
    }

    /// The first rule whose pattern matches the canonical callee path.
    pub fn find(&self, path: &[String]) -> Option<&Rule> {
        let named = path
            .last()
            .and_then(|last| self.by_last.get(last.as_str()))
            .map_or(&[][..], Vec::as_slice);
        // Both lists ascend: walking them merged visits candidates in the rules' order.
        let (mut i, mut j) = (0, 0);
        loop {
            let next = match (named.get(i), self.any_last.get(j)) {
                (Some(&a), Some(&b)) if a < b => {
                    i += 1;
                    a
                }
                (_, Some(&b)) => {
                    j += 1;
                    b
                }
                (Some(&a), None) => {
                    i += 1;
                    a
                }
                (None, None) => return None,
            };
            let (segs, rule) = &self.rules[next];
            if matches(segs, path) {
                return Some(rule);
            }
        }
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

    #[test]
    fn the_first_rule_in_order_wins_whether_named_or_wildcard() {
        // Project rules come first: a named one before the default wildcard `*.on`, a wildcard
        // one before the default `fs.*` (the index keeps named and wildcard rules apart).
        let mut r = Rules::default();
        assert_eq!(r.find(&path("bus.on")).unwrap().pattern, "*.on");
        r.extend(RuptureKind::Post, &["bus.on".into()], "rupturePoints.post")
            .unwrap();
        assert_eq!(r.find(&path("bus.on")).unwrap().pattern, "bus.on");
        r.extend(
            RuptureKind::Start,
            &["*.readFile".into()],
            "rupturePoints.start",
        )
        .unwrap();
        assert_eq!(r.find(&path("fs.readFile")).unwrap().pattern, "*.readFile");
        assert_eq!(r.find(&path("fs.writeFile")).unwrap().pattern, "fs.*");
    }
}
