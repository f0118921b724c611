//! Golden tests: the paper's listings and its Figure 5 compile to the graphs it gives.
//!
//! Two deliberate differences from the paper's printed listings, both following the paper's own
//! definitions (§2.1, §3.1.1): a continuation is a *post* stream, printed `->` (Listing 2 prints
//! `>>` for `handler -> reply` and Listing 4 for `main -> anonymous_1000`); and `main` is tagged
//! `network` whenever it listens (Listing 4 omits the tag its Listing 2 gives). Anonymous
//! callbacks are named after their line (`anonymous_11`, the paper's `anonymous_1000`).

use fluxion_compiler::graph::{Graph, VarKind};
use fluxion_compiler::{analyze, emit, flx, Options, RuptureKind};

fn compile(name: &str) -> Graph {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    analyze(name, &text, &Options::default()).unwrap()
}

fn stream(g: &Graph, from: &str, to: &str) -> (RuptureKind, Vec<String>) {
    let f = g
        .fluxion(from)
        .unwrap_or_else(|| panic!("no fluxion {from}"));
    let s = f
        .streams
        .iter()
        .find(|s| s.to == to)
        .unwrap_or_else(|| panic!("no stream {from} -> {to}: {:?}", f.streams));
    (s.kind, s.vars.clone())
}

fn names(g: &Graph) -> Vec<&str> {
    g.fluxions.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn listing_1_compiles_to_listing_2() {
    let g = compile("listing1.js");
    assert_eq!(names(&g), ["main", "handler", "reply"]);
    let main = g.fluxion("main").unwrap();
    assert_eq!(main.tags, ["network"]);
    assert_eq!(
        stream(&g, "main", "handler"),
        (RuptureKind::Start, vec!["res".into()])
    );
    let handler = g.fluxion("handler").unwrap();
    assert!(handler.tags.is_empty() && handler.context.is_empty());
    assert_eq!(
        stream(&g, "handler", "reply"),
        (RuptureKind::Post, vec!["res".into()])
    );
    let reply = g.fluxion("reply").unwrap();
    assert_eq!(reply.tags, ["network"]);
    assert_eq!(reply.context, ["count", "template"]);
    assert!(reply.streams.is_empty());
    assert_eq!(g.variable("count").unwrap().kind, VarKind::Scope);
    assert_eq!(g.variable("res").unwrap().kind, VarKind::Resource);
    let text = emit::flx::print(&g);
    assert!(
        text.starts_with("flx main & network\n>> handler [res]\n"),
        "{text}"
    );
    assert!(text.contains("flx handler\n-> reply [res]\n"), "{text}");
    assert!(
        text.contains("flx reply & network {count, template}\n>> null\n"),
        "{text}"
    );
    assert!(text.contains("app.get('/', >> handler);"), "{text}");
    assert!(
        text.contains("fs.readFile(__filename, -> reply);"),
        "{text}"
    );
}

#[test]
fn listing_3_compiles_to_listing_4() {
    let g = compile("listing3.js");
    assert_eq!(names(&g), ["main", "anonymous_11"]);
    assert_eq!(
        stream(&g, "main", "anonymous_11"),
        (RuptureKind::Post, vec!["req".into(), "next".into()])
    );
    let anon = g.fluxion("anonymous_11").unwrap();
    assert!(anon.streams.is_empty());
    // Writing `req.body` and calling `next` are messages to the owner, not socket I/O.
    assert!(anon.tags.is_empty(), "{:?}", anon.tags);
    // `app.post(..., bodyParser(...), routes.writeTextToImages)`: callbacks known at run time.
    let post = g
        .rupture_points
        .iter()
        .find(|r| r.callee == "express().post")
        .unwrap();
    assert!(post.to.is_empty());
    assert_eq!(
        post.dynamic,
        ["bodyParser(1 * 1024 * 1024)", "routes.writeTextToImages"]
    );
    let text = emit::flx::print(&g);
    assert!(text.contains("}, -> anonymous_11);"), "{text}");
}

#[test]
fn figure_5_scope_stream_share() {
    let g = compile("figure5.js");
    let a = g.variable("a").unwrap();
    assert_eq!(
        (a.kind, a.used_by.clone()),
        (VarKind::Scope, vec!["add".to_string()])
    );
    assert_eq!(g.fluxion("add").unwrap().context, ["a", "c"]);
    let b = g.variable("b").unwrap();
    assert_eq!(b.kind, VarKind::Stream);
    assert!(stream(&g, "onReq", "add").1.contains(&"b".to_string()));
    let c = g.variable("c").unwrap();
    assert_eq!(c.kind, VarKind::Share);
    assert_eq!(c.tag.as_deref(), Some("grp_c"));
    for f in ["add", "end"] {
        let flx = g.fluxion(f).unwrap();
        assert!(
            flx.tags.contains(&"grp_c".to_string()),
            "{f}: {:?}",
            flx.tags
        );
        assert!(flx.context.contains(&"c".to_string()));
    }
    assert!(!g
        .fluxion("onReq")
        .unwrap()
        .tags
        .contains(&"grp_c".to_string()));
    // `r` is defined in `add` and read in `end`: streamed down the post chain.
    assert_eq!(g.variable("r").unwrap().kind, VarKind::Stream);
    assert!(stream(&g, "add", "end").1.contains(&"r".to_string()));
}

#[test]
fn callbacks_by_name_promises_and_await() {
    let g = compile("callbacks.js");
    // By name, through `.bind`.
    assert_eq!(stream(&g, "byName", "onFile").0, RuptureKind::Post);
    assert_eq!(g.fluxion("onFile").unwrap().context, ["hits"]);
    // A promise chain: each `.then` continues the previous one, carrying what it needs.
    let (kind, vars) = stream(&g, "anonymous_20", "found");
    assert_eq!(kind, RuptureKind::Post);
    assert_eq!(vars, ["res", "started"]);
    assert_eq!(
        stream(&g, "found", "reply"),
        (RuptureKind::Post, vec!["res".into()])
    );
    // `await`: the code after each await is a continuation.
    assert_eq!(
        stream(&g, "loadUser", "loadUser_await1"),
        (RuptureKind::Post, vec!["res".into(), "id".into()])
    );
    assert_eq!(
        stream(&g, "loadUser_await1", "loadUser_await2"),
        (
            RuptureKind::Post,
            vec!["res".into(), "id".into(), "user".into()]
        )
    );
    assert_eq!(g.fluxion("loadUser_await2").unwrap().tags, ["network"]);
}

#[test]
fn flx_round_trips() {
    for f in ["listing1.js", "listing3.js", "figure5.js", "callbacks.js"] {
        let g = compile(f);
        let text = emit::flx::print(&g);
        let parsed = flx::parse(&text).unwrap_or_else(|e| panic!("{f}: {e}\n{text}"));
        assert_eq!(parsed, emit::flx::program(&g), "{f}");
        assert_eq!(flx::print(&parsed), text, "{f}");
    }
}

#[test]
fn rewritten_modules_parse_again() {
    // A directive without its semicolon (Express's examples write `'use strict'` like that), a
    // shebang, and an ES module: the rewritten code must still be a valid module of its kind.
    let cases = [
        ("a.js", "'use strict'\n\nvar app = require('express')();\napp.get('/', function h(req, res) { res.send('x') });\n"),
        ("b.js", "#!/usr/bin/env node\nvar fs = require('fs');\nfs.readFile(__filename, function r(e, d) {});\n"),
        ("c.mjs", "import express from 'express';\nconst app = express();\napp.get('/', (req, res) => res.send('x'));\n"),
    ];
    for (name, src) in cases {
        let (js, _) =
            fluxion_compiler::transform(name, src, "/x/runtime.js", &Options::default()).unwrap();
        let text = js.code.trim_start_matches("#!/usr/bin/env node\n");
        analyze(name, text, &Options::default())
            .unwrap_or_else(|e| panic!("{name}: {e}\n{}", js.code));
        if name == "a.js" {
            assert!(js.code.starts_with("'use strict';var __flx"), "{}", js.code);
        }
    }
}

/// Run-time compilation: a handler made by a factory (the paper's §4.3 "just-in-time" case) is
/// analysed like a route handler when the running router names its position.
#[test]
fn handlers_found_at_run_time() {
    let src = r#"var getRawBody = require('raw-body');
var hits = 0;
module.exports = function bodyParser(limit, store) {
  var max = limit * 2;
  return function saveBody(req, res, next) {
    hits++;
    store.last = req.body || limit || max;
    res.set('x-limit', String(limit));
    next();
  };
};
"#;
    let at = src.find("(req, res, next)").unwrap();
    let plain = analyze("factory.js", src, &Options::default()).unwrap();
    assert!(plain.fluxions.iter().all(|f| f.name != "saveBody"));
    let options = Options {
        handlers: vec![at],
        ..Options::default()
    };
    let g = analyze("factory.js", src, &options).unwrap();
    let f = g
        .fluxions
        .iter()
        .find(|f| f.name == "saveBody")
        .expect("a fluxion for the handler");
    let kinds: Vec<_> = f
        .hints
        .resources
        .iter()
        .map(|r| (r.name.as_str(), format!("{:?}", r.kind)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("req", "Request".into()),
            ("res", "Response".into()),
            ("next", "Next".into())
        ]
    );
    let state = |n: &str| {
        f.hints
            .state
            .iter()
            .find(|s| s.name == n)
            .unwrap_or_else(|| panic!("{n} in {:?}", f.hints.state))
    };
    // `limit`: a factory parameter, never written: copyable from the main thread.
    assert!(state("limit").captured && state("limit").fixed && !state("limit").write);
    // `max`: a local of the factory, initialised once: copyable too.
    assert!(state("max").captured && state("max").fixed);
    // `store`: written into by the handler; `hits`: module state it writes.
    assert!(state("store").captured && !state("store").fixed && state("store").write);
    assert!(!state("hits").captured && state("hits").write);
}

/// `req.user = users[id]` puts module state on the request: a copy of the request made for
/// another thread would hold a copy of it (route-separation's load/update in Express's examples).
#[test]
fn state_stored_on_requests() {
    let src = r#"var express = require('express');
var app = express();
var users = [{ name: 'TJ' }];
var defaults = { role: 'guest' };
app.all('/user/:id', function load(req, res, next) {
  req.user = users[req.params.id];
  next();
});
app.use(function fresh(req, res, next) {
  var made = { name: req.query.n };
  req.made = made;
  req.role = req.query.role || 'x';
  next();
});
app.use(function withDefaults(req, res, next) {
  res.locals.settings = defaults;
  next();
});
"#;
    let g = analyze("app.js", src, &Options::default()).unwrap();
    let stores = |name: &str| {
        g.fluxions
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .hints
            .stores_state
            .clone()
    };
    assert_eq!(stores("load"), ["users"]);
    assert!(stores("fresh").is_empty());
    assert_eq!(stores("withDefaults"), ["defaults"]);
}

/// Listing 1's `reply` writes `count`, then only reads it: the template call is split off as a
/// context-free tail that gets `count`'s value, so it can run on any thread.
#[test]
fn context_free_tails() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/listing1.js"
    ))
    .unwrap();
    let options = Options {
        tails: true,
        ..Options::default()
    };
    let plain = analyze("listing1.js", &src, &Options::default()).unwrap();
    assert_eq!(plain.tails.len(), 1, "{:?}", plain.tails);
    assert_eq!(plain.tails[0].params, ["count"]);
    let (out, g) = fluxion_compiler::transform("listing1.js", &src, "rt", &options).unwrap();
    assert!(out.code.contains("__flx.tail("), "{}", out.code);
    let tail = g
        .fluxions
        .iter()
        .find(|f| f.name == "__flx_tail")
        .expect("a tail fluxion");
    // The tail owns nothing: `count` is its parameter; `reply` still owns `count`.
    assert!(
        tail.hints.state.iter().all(|s| s.name != "count"),
        "{:?}",
        tail.hints.state
    );
    assert!(tail.hints.factory.is_some());
    let reply = g.fluxions.iter().find(|f| f.name == "reply").unwrap();
    assert!(reply
        .hints
        .state
        .iter()
        .any(|s| s.name == "count" && s.write));
    // Lines do not move (stack traces, source maps).
    assert_eq!(src.lines().count(), tails_text_lines(&src, &plain.tails));
}

fn tails_text_lines(src: &str, tails: &[fluxion_compiler::graph::Tail]) -> usize {
    fluxion_compiler::tails::apply(src, tails).lines().count()
}

/// A route handler's tail stays: a throw in it must reach Express synchronously.
#[test]
fn no_tails_in_route_handlers_or_promise_callbacks() {
    let src = r#"var app = require('express')(), hits = 0;
function render(n) { return 'hits ' + n; }
app.get('/', function (req, res) {
  hits += 1;
  res.send(render(hits));
});
Promise.resolve().then(function () {
  hits += 1;
  console.log(render(hits));
});
"#;
    let g = analyze("routes.js", src, &Options::default()).unwrap();
    assert!(g.tails.is_empty(), "{:?}", g.tails);
}
