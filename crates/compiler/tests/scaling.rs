//! The compiler's cost grows linearly with the module: a generated module of N route handlers and
//! one of 4N must compile in about 1:4 of the time, not 1:16.
//!
//! Guards issue 15's super-linear pass (playwright-core's 3.6 MB `coreBundle.js` took 18.6 s while
//! files of its size took 0.4 s): the classifier scanned every stream edge for each fluxion in its
//! searches, every fluxion for each new name, every `grp_<name>` tag for each shared variable
//! of the same name, and every access or site for each callback. The ratio is measured in one
//! run, so the machine's speed does not matter; the best of a few runs damps noise.

use fluxion_compiler::{compile, Emit, Options};
use std::time::{Duration, Instant};

/// `n` handlers, each with a post callback that shares and streams variables: many fluxions with
/// the same name, many edges, many shared variables named alike (as in a minified bundle).
fn module(n: usize) -> String {
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

fn best_of(runs: usize, text: &str) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            compile("gen.js", text, Emit::Json, &Options::default()).unwrap();
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn compile_time_is_linear_in_module_size() {
    let n = if cfg!(debug_assertions) { 150 } else { 1000 };
    let small = module(n);
    let large = module(4 * n);
    best_of(1, &small); // warm up
    let t1 = best_of(3, &small);
    let t4 = best_of(3, &large);
    let ratio = t4.as_secs_f64() / t1.as_secs_f64();
    eprintln!(
        "{n} handlers: {:?}, {}: {:?}, ratio {ratio:.1} (linear: 4, quadratic: 16)",
        t1,
        4 * n,
        t4
    );
    assert!(
        ratio < 8.0,
        "4x the input took {ratio:.1}x the time ({t1:?} -> {t4:?}): a pass is super-linear"
    );
}
