//! A bounded fuzz driver for parse → analyze → classify → emit that runs on stable Rust (issue 15;
//! `cargo fuzz` needs a nightly toolchain). It mutates a corpus of real JavaScript and checks, for
//! every input:
//! - nothing panics (`transform` with tails as the require hook runs it; `compile` to flx, JSON
//!   and DOT, with run-time handler offsets as the live router's compilation passes them);
//! - when the input parses, the emitted JS parses again (as the same kind of file).
//!
//! ```text
//! cargo run --release -p fluxion-compiler --example fuzz -- [DIR...] [--seconds N] [--seed S]
//!       [--max-bytes B] [--out DIR]
//! cargo run --release -p fluxion-compiler --example fuzz -- --replay FILE [--handlers 1,2]
//!       [--functions 3]       (one input: prints the emitted JS and what went wrong)
//! ```
//!
//! The corpus is every .js/.cjs/.mjs file of at most `--max-bytes` (default 8 KB) under the given
//! directories (default: the compiler's fixtures, the project's `examples/` and `node_modules`),
//! at most 4,000 of them (evenly spread). Mutations, stacked one to four at a time: delete, duplicate or
//! move a byte range; splice a range or a line from another corpus file; insert a token from a
//! dictionary of JavaScript syntax and of the rupture points the compiler looks for (routes, post
//! callbacks, `await`, `eval`, `with`...); rename an identifier. Run-time handler offsets
//! (`Options::handlers`) are set at random positions too. A finding is minimised (lines, then
//! bytes, while it fails the same way) and written under `--out` (default `target/fuzz-findings`).
//! Same seed, same corpus: same inputs. Prints executions, inputs that parsed, findings, and one
//! JSON line last; exits 1 if anything was found.
#[path = "shared/js_files.rs"]
mod js_files;
#[path = "shared/reparse.rs"]
mod reparse;

use fluxion_compiler::{compile, transform, Emit, Options};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// splitmix64: small, seedable, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

const TOKENS: &[&str] = &[
    "function ",
    "function f(a, b) {",
    "async ",
    "await ",
    "=>",
    "() => {",
    "(req, res) => {",
    "(req, res, next) => {",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    ",",
    ".",
    "?.",
    "...",
    "=",
    "+=",
    "++",
    "--",
    "delete ",
    "typeof ",
    "new ",
    "this",
    "arguments",
    "return ",
    "yield ",
    "class A {",
    "static x = 1;",
    "constructor() {",
    "get x() {",
    "set x(v) {",
    "#p",
    "let ",
    "var ",
    "const ",
    "if (x) {",
    "} else {",
    "for (const k of xs) {",
    "for await (const k of xs) {",
    "while (1) {",
    "switch (x) { case 1:",
    "try {",
    "} catch (e) {",
    "} finally {",
    "label: ",
    "break;",
    "continue;",
    "with (o) {",
    "eval('x')",
    "require('fs')",
    "require('express')",
    "import('x')",
    "module.exports = ",
    "exports.x = ",
    "export default ",
    "export const y = 1;",
    "import fs from 'fs';",
    "import { readFile } from 'node:fs';",
    "app.get('/x', ",
    "app.post('/y', function (req, res) {",
    "app.use(",
    "router.route('/r').get(",
    "app.listen(3000);",
    "const app = require('express')();",
    "fs.readFile('f', (err, d) => {",
    ".then(v => {",
    ".catch(e => {",
    "setTimeout(() => {",
    "process.nextTick(() => {",
    "emitter.on('data', ",
    "server.on('request', (req, res) => {",
    "res.send(x)",
    "res.json({a: 1})",
    "req.session.x = 1",
    "req.pet = db.pets[id]",
    "Object.assign(o, p)",
    "hits++",
    "count += 1",
    "`${x}`",
    "`a${",
    "'str'",
    "\"str\"",
    "/re/g",
    "0x1F",
    "1n",
    "1e3",
    "null",
    "undefined",
    "// c\n",
    "/* c */",
    "\n",
    "\r\n",
    "\u{2028}",
    "é",
    "#!/usr/bin/env node\n",
    "'use strict';",
    "<div>",
    "@dec ",
    "?",
    ":",
    "??",
    "&&",
    "||",
    "**",
    "<<",
    ">>>",
    "in ",
    "instanceof ",
];

const IDENTS: &[&str] = &[
    "req",
    "res",
    "next",
    "app",
    "fs",
    "x",
    "e",
    "t",
    "n",
    "count",
    "hits",
    "db",
    "module",
    "exports",
    "require",
    "arguments",
    "eval",
    "async",
    "await",
    "yield",
    "let",
    "of",
    "get",
];

fn floor(s: &[u8], mut i: usize) -> usize {
    i = i.min(s.len());
    // Keep edits on UTF-8 boundaries: never start or end inside a character.
    while i > 0 && i < s.len() && (s[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

fn range(rng: &mut Rng, s: &[u8], max_len: usize) -> (usize, usize) {
    let a = floor(s, rng.below(s.len() + 1));
    let b = floor(s, a + rng.below(max_len.min(s.len() - a) + 1));
    (a, b.max(a))
}

fn line_range(rng: &mut Rng, s: &[u8]) -> (usize, usize) {
    let lines: Vec<usize> = std::iter::once(0)
        .chain(
            s.iter()
                .enumerate()
                .filter(|(_, &c)| c == b'\n')
                .map(|(i, _)| i + 1),
        )
        .collect();
    let k = rng.below(lines.len());
    let n = 1 + rng.below(4);
    let end = lines.get(k + n).copied().unwrap_or(s.len());
    (lines[k].min(s.len()), end)
}

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[String]) -> Vec<u8> {
    let mut s = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = floor(&s, rng.below(s.len() + 1));
        match rng.below(9) {
            0 => {
                let (a, b) = range(rng, &s, 64);
                s.drain(a..b);
            }
            1 => {
                let (a, b) = range(rng, &s, 256);
                let piece = s[a..b].to_vec();
                let at = floor(&s, rng.below(s.len() + 1));
                s.splice(at..at, piece);
            }
            2 => {
                let other = corpus[rng.below(corpus.len())].as_bytes();
                let (a, b) = range(rng, other, 512);
                s.splice(at..at, other[a..b].iter().copied());
            }
            3 => {
                let other = corpus[rng.below(corpus.len())].as_bytes();
                let (a, b) = line_range(rng, other);
                let (x, y) = line_range(rng, &s);
                s.splice(x..y, other[a..b].iter().copied());
            }
            4 | 5 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                s.splice(at..at, t.bytes());
            }
            6 => {
                let (a, b) = line_range(rng, &s);
                s.drain(a..b);
            }
            7 => {
                // Rename: the identifier-like word at a random place becomes another.
                let mut a = at;
                while a > 0 && (s[a - 1].is_ascii_alphanumeric() || s[a - 1] == b'_') {
                    a -= 1;
                }
                let mut b = at;
                while b < s.len() && (s[b].is_ascii_alphanumeric() || s[b] == b'_') {
                    b += 1;
                }
                let name = IDENTS[rng.below(IDENTS.len())];
                s.splice(a..b, name.bytes());
            }
            _ => {
                // Deeper nesting: wrap a range in a function, a block or parentheses.
                let (a, b) = range(rng, &s, 2048);
                let (open, close) = [
                    ("function g() {", "}"),
                    ("(async () => {", "})();"),
                    ("{", "}"),
                    ("(", ")"),
                    ("app.get('/w', (req, res) => {", "});"),
                    ("fs.readFile('f', function cb(err, d) {", "});"),
                ][rng.below(6)];
                s.splice(b..b, close.bytes());
                s.splice(a..a, open.bytes());
            }
        }
    }
    s
}

#[derive(Debug, Clone, PartialEq)]
enum Failure {
    Panic(String),
    EmitDoesNotParse(String),
}

/// Runs the pipeline on one input; `Ok(parsed)` says whether the source was JavaScript.
/// As the runtime calls the compiler: the require hook's `transform` (tails on, no run-time
/// offsets), and the live router's `compile` to a graph with handler and function offsets.
fn run(file: &str, text: &str, options: &Options) -> Result<bool, Failure> {
    let out = catch_unwind(AssertUnwindSafe(|| {
        let hook = Options {
            tails: true,
            ..Options::default()
        };
        let t = transform(file, text, "fluxion/runtime", &hook);
        for emit in [Emit::Flx, Emit::Json, Emit::Dot] {
            let _ = compile(file, text, emit, options);
        }
        t
    }));
    match out {
        Err(p) => Err(Failure::Panic(
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default(),
        )),
        Ok(Err(_)) => Ok(false),
        Ok(Ok((js, graph))) => reparse::emitted_parses(file, text, &js.code, graph.es_module)
            .map_err(Failure::EmitDoesNotParse),
    }
}

fn same_kind(a: &Failure, b: &Failure) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// Removes lines, then bytes, while the input still fails the same way (bounded in time).
fn minimise(file: &str, text: &str, options: &Options, failure: &Failure) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let fails = |t: &str| matches!(run(file, t, options), Err(f) if same_kind(&f, failure));
    let mut cur = text.to_string();
    for unit_lines in [true, false] {
        let mut chunk = cur.len().max(1);
        while chunk >= 1 && Instant::now() < deadline {
            let mut i = 0;
            let mut progressed = false;
            while i < cur.len() && Instant::now() < deadline {
                let (a, b) = if unit_lines {
                    let lines: Vec<usize> = std::iter::once(0)
                        .chain(cur.match_indices('\n').map(|(k, _)| k + 1))
                        .collect();
                    let n = chunk.min(lines.len());
                    let k = lines.partition_point(|&x| x < i);
                    if k >= lines.len() {
                        break;
                    }
                    (lines[k], lines.get(k + n).copied().unwrap_or(cur.len()))
                } else {
                    let a = floor(cur.as_bytes(), i);
                    (a, floor(cur.as_bytes(), (a + chunk).min(cur.len())))
                };
                if a >= b || !cur.is_char_boundary(a) || !cur.is_char_boundary(b) {
                    i += chunk.max(1);
                    continue;
                }
                let candidate = format!("{}{}", &cur[..a], &cur[b..]);
                if fails(&candidate) {
                    cur = candidate;
                    progressed = true;
                } else {
                    i = b;
                }
            }
            if !progressed {
                if chunk == 1 {
                    break;
                }
                chunk /= 2;
            }
        }
    }
    cur
}

fn main() {
    let mut dirs = Vec::new();
    let mut seconds = 60u64;
    let mut seed = 1u64;
    let mut max_bytes = 8 * 1024;
    let mut out_dir = PathBuf::from("target/fuzz-findings");
    let mut replay: Option<PathBuf> = None;
    let offsets = |v: Option<String>| -> Vec<usize> {
        v.unwrap_or_default()
            .split(',')
            .filter(|x| !x.is_empty())
            .map(|x| x.parse().expect("offsets are numbers"))
            .collect()
    };
    let (mut handlers, mut functions) = (Vec::new(), Vec::new());
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |what: &str| -> u64 {
            args.next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{what} takes a number"))
        };
        match a.as_str() {
            "--seconds" => seconds = num("--seconds"),
            "--seed" => seed = num("--seed"),
            "--max-bytes" => max_bytes = num("--max-bytes") as usize,
            "--out" => out_dir = args.next().expect("--out takes a directory").into(),
            "--replay" => replay = Some(args.next().expect("--replay takes a file").into()),
            "--handlers" => handlers = offsets(args.next()),
            "--functions" => functions = offsets(args.next()),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    if let Some(file) = replay {
        let text = std::fs::read_to_string(&file).expect("a UTF-8 file");
        let name = file.display().to_string();
        let options = Options {
            tails: true,
            handlers,
            functions,
            ..Options::default()
        };
        if let Ok((js, _)) = transform(&name, &text, "fluxion/runtime", &options) {
            print!("{}", js.code);
        }
        let result = run(&name, &text, &options);
        eprintln!("{result:?}");
        std::process::exit(i32::from(result.is_err()));
    }
    if dirs.is_empty() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"));
        dirs.push(root.join("examples"));
        dirs.push(root.join("node_modules"));
    }
    let files = js_files::js_files(&dirs, Some(max_bytes as u64));
    let step = files.len().div_ceil(4000).max(1);
    let corpus: Vec<String> = files
        .iter()
        .step_by(step)
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    assert!(!corpus.is_empty(), "no corpus files under {dirs:?}");
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(seed);
    let start = Instant::now();
    let budget = Duration::from_secs(seconds);
    let (mut execs, mut parsed, mut findings) = (0u64, 0u64, Vec::<(Failure, String)>::new());
    while start.elapsed() < budget {
        let base = &corpus[rng.below(corpus.len())];
        let bytes = mutate(&mut rng, base.as_bytes(), &corpus);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let file = ["fuzz.js", "fuzz.cjs", "fuzz.mjs"][rng.below(3)];
        let mut options = Options::default();
        if rng.chance(8) {
            options.handlers = (0..1 + rng.below(3))
                .map(|_| rng.below(text.len() + 1))
                .collect();
            options.functions = (0..rng.below(3))
                .map(|_| rng.below(text.len() + 1))
                .collect();
        }
        execs += 1;
        match run(file, &text, &options) {
            Ok(true) => parsed += 1,
            Ok(false) => {}
            Err(f) => {
                if findings.iter().any(|(g, _)| g == &f) {
                    continue; // the same message again
                }
                let small = minimise(file, &text, &options, &f);
                std::fs::create_dir_all(&out_dir).expect("--out folder");
                let name = out_dir.join(format!("finding-{}-{file}", findings.len() + 1));
                std::fs::write(&name, &small).expect("--out writable");
                let join = |v: &[usize]| {
                    v.iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                std::fs::write(
                    name.with_extension("replay"),
                    format!(
                        "--replay {} --handlers {} --functions {}\n",
                        name.display(),
                        join(&options.handlers),
                        join(&options.functions)
                    ),
                )
                .expect("--out writable");
                eprintln!(
                    "FINDING {f:?} ({} bytes, minimised from {}; handlers {:?}) -> {}",
                    small.len(),
                    text.len(),
                    options.handlers,
                    name.display()
                );
                findings.push((f, small));
            }
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{execs} executions in {secs:.0} s ({:.0}/s), {parsed} inputs parsed and re-parsed after emit, \
         {} findings; corpus {} files, seed {seed}",
        execs as f64 / secs,
        findings.len(),
        corpus.len()
    );
    println!(
        "{{\"executions\":{execs},\"seconds\":{secs:.0},\"parsed\":{parsed},\"findings\":{},\"corpus\":{},\"seed\":{seed}}}",
        findings.len(),
        corpus.len()
    );
    if !findings.is_empty() {
        std::process::exit(1);
    }
}
