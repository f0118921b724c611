//! Compile-throughput benchmark: parse + analysis + JSON emission over every .js/.cjs/.mjs file
//! under the given directories. `node bench/compile.js` feeds it Express 5 and its dependencies.
//!
//! Prints one JSON line: files, bytes, rupture points, fluxions, syntax errors, seconds, MB/s
//! (best of `--runs N`, default 5, after one warm-up pass).
#[path = "shared/js_files.rs"]
mod js_files;

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut runs = 5;
    let mut dirs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--runs" {
            runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N");
        } else {
            dirs.push(PathBuf::from(a));
        }
    }
    let files = js_files::js_files(&dirs, None);
    let sources: Vec<(String, String)> = files
        .iter()
        .filter_map(|p| Some((p.display().to_string(), std::fs::read_to_string(p).ok()?)))
        .collect();
    let bytes: usize = sources.iter().map(|(_, s)| s.len()).sum();
    let options = fluxion_compiler::Options::default();
    let (mut ruptures, mut fluxions, mut errors, mut out_bytes) = (0, 0, Vec::new(), 0);
    let mut best = f64::MAX;
    for run in 0..=runs {
        let start = Instant::now();
        for (file, text) in &sources {
            match fluxion_compiler::analyze(file, text, &options) {
                Ok(g) => {
                    let json = fluxion_compiler::emit::json::print(&g);
                    if run == 0 {
                        ruptures += g.rupture_points.len();
                        fluxions += g.fluxions.len();
                        out_bytes += json.len();
                    }
                }
                Err(e) if run == 0 => {
                    errors.push(e.to_string().lines().next().unwrap_or("").to_string())
                }
                Err(_) => {}
            }
        }
        let secs = start.elapsed().as_secs_f64();
        if run > 0 {
            best = best.min(secs);
        }
    }
    for e in &errors {
        eprintln!("syntax error: {e}");
    }
    println!(
        "{{\"allocator\":\"{}\",\"files\":{},\"bytes\":{},\"rupturePoints\":{},\"fluxions\":{},\"syntaxErrors\":{},\"jsonBytes\":{},\"seconds\":{:.4},\"mbPerSec\":{:.1}}}",
        fluxion_allocator::name(),
        sources.len(),
        bytes,
        ruptures,
        fluxions,
        errors.len(),
        out_bytes,
        best,
        bytes as f64 / 1e6 / best
    );
}
