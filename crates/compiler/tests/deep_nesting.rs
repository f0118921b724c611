//! Nesting as deep as Node runs never takes the compiler down.
//!
//! Node's parser accepts `((((…))))`, `!!!!…`, functions in functions and long `a + a + …`
//! chains far deeper than a thread's stack allowed our passes: the addon died with SIGSEGV on a
//! worker (4 MB stack) at 1,248 parentheses, 1,552 nested functions, 9,856 `!`, 43,008 `+` terms
//! (release build). Each compile now runs on a stack sized from its source (`stack.rs`). These
//! run on the test harness's 2 MB threads in a debug build, where frames are larger still: each
//! shape overflowed here at a small fraction of the depth used.

use fluxion_compiler::{parse_only, transform, CompileError, Options};

/// (name, open, middle, close): `open` × depth, then `middle`, then `close` × depth.
const SHAPES: &[(&str, &str, &str, &str)] = &[
    ("parentheses", "(", "a", ")"),
    ("arrays", "[", "a", "]"),
    ("objects", "({a:", "1", "})"),
    ("calls", "f(", "a", ")"),
    ("not", "!", "a", ""),
    ("negation", "-(", "a", ")"),
    ("functions", "function f(){", "a()", "}"),
    ("arrows", "(()=>", "a", ")"),
    ("blocks", "{", "a;", "}"),
    ("ifs", "if(a){", "a();", "}"),
    ("conditionals", "a?", "b", ":c"),
    ("assignments", "a=", "1", ""),
    ("templates", "`${", "a", "}`"),
    ("awaits", "async function f(){await(", "a", ")}"),
];

fn nested(open: &str, middle: &str, close: &str, depth: usize) -> String {
    let mut s = String::with_capacity((open.len() + close.len()) * depth + 64);
    s.push_str("let a = 1, b = 2, c = 3; function f(x) { return x; }\n");
    for _ in 0..depth {
        s.push_str(open);
    }
    s.push_str(middle);
    for _ in 0..depth {
        s.push_str(close);
    }
    s.push_str(";\n");
    s
}

fn compiles(name: &str, text: &str) {
    let file = format!("{name}.js");
    let (js, _) = transform(&file, text, "fluxion/runtime", &Options::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    // What comes out parses again, at the same depth.
    parse_only(&file, &js.code).unwrap_or_else(|e| panic!("{name}: emitted JS: {e}"));
}

/// Statement nesting costs swc's resolver depth² (`limits.rs`): these compile at 3,000, deeper
/// than plain node runs them on its main thread, and are refused (not stalled) far deeper.
const QUADRATIC: &[&str] = &["blocks", "ifs"];

#[test]
fn every_shape_compiles_at_depth_5000() {
    for (name, open, middle, close) in SHAPES {
        let depth = if QUADRATIC.contains(name) {
            3_000
        } else {
            5_000
        };
        compiles(name, &nested(open, middle, close, depth));
    }
}

#[test]
fn statement_nesting_that_would_stall_the_resolver_is_refused() {
    for (name, open, middle, close) in SHAPES.iter().filter(|s| QUADRATIC.contains(&s.0)) {
        let file = format!("{name}.js");
        let text = nested(open, middle, close, 10_000);
        match transform(&file, &text, "fluxion/runtime", &Options::default()) {
            Err(CompileError::TooNested { work, limit, .. }) => assert!(work > limit),
            other => panic!("{name}: expected TooNested, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn a_long_binary_chain_compiles() {
    let mut s = String::from("let a = 1;\nmodule.exports = a");
    for _ in 0..200_000 {
        s.push_str("+a");
    }
    s.push_str(";\n");
    compiles("chain", &s);
}

#[test]
fn a_route_handler_deep_inside_still_becomes_a_fluxion() {
    // Depth does not change what is found: the handler below 3,000 blocks is still compiled.
    let mut s = String::from(
        "const express = require('express');\nconst app = express();\nlet hits = 0;\n",
    );
    for _ in 0..3_000 {
        s.push('{');
    }
    s.push_str("app.get('/', function handler(req, res) { hits++; res.send(String(hits)); });");
    for _ in 0..3_000 {
        s.push('}');
    }
    s.push_str("\napp.listen(3000);\n");
    let (js, graph) =
        transform("deep-route.js", &s, "fluxion/runtime", &Options::default()).expect("compiles");
    assert!(
        graph.fluxions.iter().any(|f| f.name.starts_with("handler")),
        "handler not found: {:?}",
        graph.fluxions.iter().map(|f| &f.name).collect::<Vec<_>>()
    );
    parse_only("deep-route.js", &js.code).expect("emitted JS parses");
}

#[test]
fn a_compile_on_a_small_thread_is_not_limited_by_it() {
    // A worker thread's stack is small; the compile does not use it.
    let text = nested("(", "a", ")", 20_000);
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || compiles("small-thread", &text))
        .unwrap()
        .join()
        .expect("compiled on a 256 KB thread");
}

#[test]
fn a_file_over_the_limit_is_refused_with_a_clear_error() {
    let text = " ".repeat(fluxion_compiler::stack::MAX_SOURCE + 1);
    let err = transform("huge.js", &text, "fluxion/runtime", &Options::default())
        .err()
        .expect("refused");
    let msg = err.to_string();
    assert!(msg.starts_with("huge.js: "), "{msg}");
    assert!(msg.contains("over the compiler's limit"), "{msg}");
}

#[test]
fn a_panic_inside_comes_back_to_the_caller() {
    // The napi layer turns a compiler panic into an error; the stack switch must not lose it.
    let r = std::panic::catch_unwind(|| {
        fluxion_compiler::stack::run("p.js", 10, || -> Result<(), _> { panic!("boom") })
    });
    let panic = r.expect_err("panic propagated");
    assert_eq!(panic.downcast_ref::<&str>(), Some(&"boom"));
    // and the thread compiles again afterwards
    compiles("after-panic", "let a = 1;\n");
}

#[test]
fn unclosed_parentheses_are_a_syntax_error_not_a_crash() {
    // The costliest bytes: each `(` is a full descent of the expression parser before it fails.
    let text = format!("let a = {}a;\n", "(".repeat(20_000));
    let err = transform("open.js", &text, "fluxion/runtime", &Options::default())
        .err()
        .expect("refused");
    assert!(err.to_string().contains("SyntaxError"), "{err}");
}
