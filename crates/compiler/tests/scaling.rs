//! The compiler's cost grows linearly with the module: for each shape of module that once made a
//! pass super-linear, a generated module of size N and one of 4N must compile (`transform`: parse,
//! analysis, classification, JS and source map) in about 1:4 of the time, not 1:16.
//!
//! Guards issue 15's super-linear passes (playwright-core's 3.6 MB `coreBundle.js` took 18.6 s
//! while files of its size took 0.4 s): the classifier scanned every stream edge for each fluxion
//! in its searches, every fluxion for each new name, every `grp_<name>` tag for each shared
//! variable of the same name, every access or site for each callback, every reference for each
//! function, and every binding for each opaque function; columns were counted from the start of
//! the line (a minified bundle is one line); the emitter scanned every wrap for each callback;
//! the routes of each callback were looked up over every site, and each link of a promise chain
//! walked the chain to its root. (Two shapes quadratic inside swc, long `else if` chains and
//! deeply nested blocks, are refused before they run: `src/limits.rs`.)
//! The ratio is measured in one run, so the machine's speed does not matter; times are the
//! compiling thread's CPU time, the best of a few runs, so other processes count little. Sizes
//! are small enough for a debug build (the whole test takes a few seconds).

use fluxion_compiler::{transform, Options};
use std::time::{Duration, Instant};

/// `n` handlers, each with a post callback that shares and streams variables: many fluxions with
/// the same name, many edges, many shared variables named alike (as in a minified bundle).
fn handlers(n: usize) -> String {
    let mut s = String::from(
        "const express = require('express');\nconst fs = require('fs');\n\
         const app = express();\nlet hits = 0;\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "app.get('/r{i}', function handler(req, res) {{\n\
             \x20 var e = {i}; const t = req.query.t;\n\
             \x20 fs.readFile('f{i}', function done(err, d) {{\n\
             \x20   e++; hits++;\n\
             \x20   res.send(String(e + hits) + t + d);\n\
             \x20 }});\n\
             \x20 e = e * 2;\n\
             }});\n"
        ));
    }
    s.push_str("app.listen(3000);\n");
    s
}

/// A long module: `n` top-level variables, `n` functions that read and write several of them and
/// call each other, one route per ten functions (many bindings, references across the module,
/// attribution through chains of calls).
fn many_top_level(n: usize) -> String {
    let mut s = String::from("const app = require('express')();\n");
    for i in 0..n {
        s.push_str(&format!("var a{i} = {i}, b{i} = [a{i}];\n"));
    }
    for i in 0..n {
        let (j, k) = ((i * 7 + 3) % n, (i * 13 + 5) % n);
        // Chains of ten calls, each ending in its own route: every function runs in one
        // fluxion (a function all routes reach runs in all of them: output grows as n^2).
        let call = if i % 10 != 0 {
            format!(" + f{}()", i - 1)
        } else {
            String::new()
        };
        s.push_str(&format!(
            "function f{i}() {{ a{j} += a{k}; b{i}.push(a{i}); return a{j}{call}; }}\n"
        ));
        if i % 10 == 9 {
            s.push_str(&format!(
                "app.get('/f{i}', (req, res) => res.send(String(f{i}() + a{k})));\n"
            ));
        }
    }
    s
}

/// A minified bundle: everything on one line, with non-ASCII text (columns count characters).
fn one_line(n: usize) -> String {
    let mut s = String::from("var app=require('express')(),fs=require('fs');");
    for i in 0..n {
        s.push_str(&format!(
            "var x{i}=\"é{i}\";app.get(\"/m{i}\",function(q,r){{fs.stat(\"é\",function(e,t){{x{i}+=t;r.send(x{i})}})}});"
        ));
    }
    s
}

/// Many functions using `eval` (opaque: they may touch every variable they see) beside many
/// top-level variables.
fn opaque(n: usize) -> String {
    let mut s = String::from("const app = require('express')();\n");
    for i in 0..n {
        s.push_str(&format!(
            "let v{i} = {i};\nfunction e{i}(x) {{ return eval('x') + v{i}; }}\n"
        ));
    }
    s.push_str("app.get('/', (req, res) => res.send(String(e0(1))));\n");
    s
}

/// Callbacks nested in closures, each level a post callback reading the levels around it.
/// Depth grows with `n` only up to a bound: real code nests tens of levels, not thousands, and
/// the search for the variables a post callback's factory takes walks the callbacks inside it.
fn nested(n: usize) -> String {
    let mut s = String::from(
        "const fs = require('fs');\nconst app = require('express')();\nlet total = 0;\n",
    );
    let depth = 8;
    for i in 0..n / depth {
        s.push_str(&format!(
            "app.get('/n{i}', function h(req, res) {{\n var v0 = {i};\n"
        ));
        for d in 1..=depth {
            s.push_str(&format!(
                " fs.readFile('f', function c{d}(err, data) {{ var v{d} = v{} + data.length; total += v0;\n",
                d - 1
            ));
        }
        s.push_str(&format!(" res.send(String(v{depth}));\n"));
        for _ in 0..depth {
            s.push_str(" });\n");
        }
        s.push_str("});\n");
    }
    s
}

/// Many routes with one inline handler each: the routes of each callback were found by scanning
/// every site (10,000 routes took 0.75 s in that search alone).
fn routes(n: usize) -> String {
    let mut s = String::from("const app = require('express')();\nlet c = 0;\n");
    for i in 0..n {
        s.push_str(&format!(
            "app.get('/r{i}', (req, res) => {{ c++; res.send('r{i}'); }});\n"
        ));
    }
    s
}

/// One promise chain of `n` links: each link's member looked for the chain's root by walking the
/// whole chain below it.
fn then_chain(n: usize) -> String {
    let mut s = String::from("var p = Promise.resolve(0);\np");
    for _ in 0..n {
        s.push_str(".then(function (v) { return v + 1; })");
    }
    s.push_str(";\n");
    s
}

/// CPU time of this thread (Linux): unlike wall time, it does not count waiting for a core while
/// other processes run. Elsewhere, wall time.
fn now() -> Duration {
    if let Some(cpu) = fluxion_compiler::timings::thread_cpu() {
        return cpu;
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

fn best_of(runs: usize, text: &str) -> Duration {
    let options = Options {
        tails: true,
        ..Options::default()
    };
    (0..runs)
        .map(|_| {
            let t = now();
            transform("gen.js", text, "fluxion/runtime", &options).unwrap();
            now() - t
        })
        .min()
        .unwrap()
}

/// The ratio of compile times for sizes 4n and n. A quadratic pass gives ~16 every time; a
/// ratio of 8 or more is measured again (twice at most) before it counts, so that a burst of
/// load on a shared machine does not fail the test.
fn ratio(shape: &str, make: fn(usize) -> String, n: usize) -> f64 {
    let small = make(n);
    let large = make(4 * n);
    best_of(1, &small); // warm up
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t1 = best_of(5, &small);
        let t4 = best_of(3, &large);
        let ratio = t4.as_secs_f64() / t1.as_secs_f64();
        eprintln!(
            "{shape}: n={n} ({} KB) {t1:?}, 4n ({} KB) {t4:?}, ratio {ratio:.1} (linear: 4, quadratic: 16)",
            small.len() / 1000,
            large.len() / 1000
        );
        best = best.min(ratio);
        if best < 8.0 {
            break;
        }
    }
    best
}

/// Debug builds (CI) use smaller sizes; the ratio is what is checked.
fn size(debug: usize) -> usize {
    if cfg!(debug_assertions) {
        debug
    } else {
        debug * 5
    }
}

/// A shape's name, its generator, and its size n in a debug build.
type Shape = (&'static str, fn(usize) -> String, usize);

/// One test, the shapes in turn: tests run in parallel, and a neighbour's work would be noise.
/// On a thread with a large stack: a debug build's parser recurses deeply on nested callbacks.
#[test]
fn compile_time_is_linear_in_module_size() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let shapes: [Shape; 7] = [
                ("handlers", handlers, 150),
                ("routes", routes, 2500),
                ("then chain", then_chain, 1500),
                ("top-level", many_top_level, 300),
                ("one line", one_line, 200),
                ("opaque", opaque, 400),
                ("nested", nested, 160),
            ];
            let slow: Vec<String> = shapes
                .iter()
                .map(|&(shape, make, n)| (shape, ratio(shape, make, size(n))))
                .filter(|&(_, r)| r >= 8.0)
                .map(|(shape, r)| format!("{shape} ({r:.1}x)"))
                .collect();
            assert!(
                slow.is_empty(),
                "4x the input took 8x the time or more: a pass is super-linear on {}",
                slow.join(", ")
            );
        })
        .unwrap()
        .join()
        .unwrap();
}
