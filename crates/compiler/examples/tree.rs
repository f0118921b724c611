//! The compiler over a whole installed dependency tree (issue 15): every .js/.cjs/.mjs file
//! under the given directories goes through what the require hook runs (`transform`, tails on:
//! parse → analyze → classify → emit JS and its source map), then its emitted JS is parsed again.
//!
//!   cargo run --release -p fluxion-compiler --example tree -- node_modules [--slowest N] [--timings]
//!
//! MB/s counts the compile alone (the sum of per-file `transform` times, not reading, re-parsing
//! or process start-up). On a shared machine wall time includes waiting for a core: the CPU time
//! the compiling thread was given (Linux) is printed beside it. A panic is caught and reported with its file; a source that does not
//! parse is counted apart (it is not JavaScript Node would load either); emitted JS that does not
//! parse is a compiler bug. Prints a summary, the slowest files, and one JSON line last.
//! `--timings` adds the compile time per pass (summed over the tree) and for each slow file.
//! `--out DIR` writes each file's emitted JS, source map and graph JSON under DIR (to compare the
//! output of two compiler versions byte for byte: `diff -r`).
//! Symlinks are followed and each file is compiled once (`node_modules/.bin` points into it).
#[path = "shared/js_files.rs"]
mod js_files;

use fluxion_compiler::{timings, transform, Options};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Whether `code` parses as JavaScript (as a module or a script, as the file name says).
fn reparses(file: &str, code: &str) -> Result<(), String> {
    fluxion_compiler::parse_only(file, code).map_err(|e| e.to_string())
}

struct FileResult {
    file: String,
    bytes: usize,
    time: Duration,
    passes: Vec<(&'static str, Duration)>,
}

fn usage(code: i32) -> ! {
    eprintln!("usage: tree <dir>... [--slowest N] [--timings] [--out DIR]");
    std::process::exit(code)
}

fn main() {
    let mut dirs = Vec::new();
    let mut slowest = 10;
    let mut show_timings = false;
    let mut out_dir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--slowest" => {
                slowest = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("--slowest takes a number of files")
            }
            "--timings" => show_timings = true,
            "--out" => out_dir = Some(args.next().expect("--out takes a directory").into()),
            "-h" | "--help" => usage(0),
            flag if flag.starts_with('-') => {
                eprintln!("tree: unknown option `{flag}`");
                usage(2)
            }
            _ if !std::path::Path::new(&a).is_dir() => {
                eprintln!(
                    "tree: `{a}` is not a directory (give an installed tree such as node_modules)"
                );
                usage(2)
            }
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    if dirs.is_empty() {
        usage(2);
    }
    timings::enable(show_timings);
    // A caught panic is reported below with its file; the default hook would print it unlabelled.
    std::panic::set_hook(Box::new(|_| {}));
    let files = js_files::js_files(&dirs, None);
    let options = Options {
        tails: true,
        ..Options::default()
    };
    let (mut results, mut not_utf8, mut syntax, mut panics, mut bad_emit) =
        (Vec::new(), 0, Vec::new(), Vec::new(), Vec::new());
    // Files over a compiler limit (size, nesting): they load unmodified under the hook.
    let mut refused = Vec::new();
    let mut totals: Vec<(&'static str, Duration)> = Vec::new();
    let mut cpu = Duration::ZERO;
    for path in &files {
        let file = path.display().to_string();
        let Ok(text) = std::fs::read_to_string(path) else {
            not_utf8 += 1;
            continue;
        };
        timings::take();
        let cpu_start = timings::thread_cpu();
        let start = Instant::now();
        let out = catch_unwind(AssertUnwindSafe(|| {
            transform(&file, &text, "fluxion/runtime", &options)
        }));
        let time = start.elapsed();
        if let (Some(a), Some(b)) = (cpu_start, timings::thread_cpu()) {
            cpu += b.saturating_sub(a);
        }
        let passes = timings::take();
        for (name, d) in &passes {
            match totals.iter_mut().find(|(n, _)| n == name) {
                Some(t) => t.1 += *d,
                None => totals.push((name, *d)),
            }
        }
        match out {
            Err(p) => {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panics.push(format!("{file}: {msg}"));
            }
            Ok(Err(e)) => {
                let line = e.to_string().lines().next().unwrap_or("").to_string();
                match e {
                    fluxion_compiler::CompileError::Syntax { .. } => syntax.push(line),
                    _ => {
                        // Not compiled: its bytes would inflate MB/s.
                        refused.push(line);
                        continue;
                    }
                }
            }
            Ok(Ok((js, graph))) => {
                if let Some(dir) = &out_dir {
                    let base = dir.join(file.trim_start_matches('/'));
                    std::fs::create_dir_all(base.parent().expect("a file has a folder"))
                        .expect("--out folder writable");
                    let json = fluxion_compiler::emit::json::print(&graph);
                    for (ext, text) in [("out.js", &js.code), ("map", &js.map), ("json", &json)] {
                        let mut name = base.clone().into_os_string();
                        name.push(format!(".{ext}"));
                        std::fs::write(name, text).expect("--out writable");
                    }
                }
                if let Err(e) = reparses(&file, &js.code) {
                    bad_emit.push(format!("{file}: {}", e.lines().next().unwrap_or("")));
                }
            }
        }
        results.push(FileResult {
            file,
            bytes: text.len(),
            time,
            passes,
        });
    }
    let bytes: usize = results.iter().map(|r| r.bytes).sum();
    let secs: f64 = results.iter().map(|r| r.time.as_secs_f64()).sum();
    results.sort_by_key(|r| std::cmp::Reverse(r.time));
    let over_1s = results
        .iter()
        .filter(|r| r.time.as_secs_f64() > 1.0)
        .count();
    for e in &syntax {
        eprintln!("source syntax error: {e}");
    }
    for e in &refused {
        eprintln!("refused (runs unmodified): {e}");
    }
    for e in &panics {
        eprintln!("PANIC: {e}");
    }
    for e in &bad_emit {
        eprintln!("EMITTED JS DOES NOT PARSE: {e}");
    }
    let pass_line = |passes: &[(&str, Duration)]| {
        passes
            .iter()
            .map(|(n, d)| format!("{n} {:.3}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("slowest files (compile time, size):");
    for r in results.iter().take(slowest) {
        print!(
            "  {:>7.3} s  {:>6.2} MB  {}",
            r.time.as_secs_f64(),
            r.bytes as f64 / 1e6,
            r.file
        );
        if show_timings {
            print!("\n             {}", pass_line(&r.passes));
        }
        println!();
    }
    if show_timings {
        println!("per pass over the tree (s): {}", pass_line(&totals));
    }
    println!(
        "{} files, {:.1} MB, compiled in {:.2} s: {:.1} MB/s (goal >= 20; CPU time {:.2} s: {:.1} MB/s); \
         slowest {:.3} s, {} over 1 s; \
         {} panics, {} emitted files that do not re-parse, {} sources that do not parse, {} refused over a limit, {} not UTF-8 (allocator: {})",
        results.len(),
        bytes as f64 / 1e6,
        secs,
        bytes as f64 / 1e6 / secs,
        cpu.as_secs_f64(),
        bytes as f64 / 1e6 / cpu.as_secs_f64(),
        results.first().map_or(0.0, |r| r.time.as_secs_f64()),
        over_1s,
        panics.len(),
        bad_emit.len(),
        syntax.len(),
        refused.len(),
        not_utf8,
        fluxion_allocator::name()
    );
    println!(
        "{{\"allocator\":\"{}\",\"files\":{},\"bytes\":{},\"seconds\":{:.3},\"mbPerSec\":{:.1},\"cpuSeconds\":{:.3},\"cpuMbPerSec\":{:.1},\"slowest\":{:.3},\"slowestFile\":{},\"over1s\":{},\"panics\":{},\"reparseFailures\":{},\"sourceSyntaxErrors\":{},\"refused\":{},\"notUtf8\":{}}}",
        fluxion_allocator::name(),
        results.len(),
        bytes,
        secs,
        bytes as f64 / 1e6 / secs,
        cpu.as_secs_f64(),
        bytes as f64 / 1e6 / cpu.as_secs_f64(),
        results.first().map_or(0.0, |r| r.time.as_secs_f64()),
        serde_json_str(results.first().map_or("", |r| r.file.as_str())),
        over_1s,
        panics.len(),
        bad_emit.len(),
        syntax.len(),
        refused.len(),
        not_utf8
    );
    if !panics.is_empty() || !bad_emit.is_empty() {
        std::process::exit(1);
    }
}

fn serde_json_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
