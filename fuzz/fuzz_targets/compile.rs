//! parse → analyze → classify → emit on any input, as the runtime calls the compiler:
//! - the require hook's `transform` (tails on), and the live router's `compile` to flx, JSON and
//!   DOT with run-time handler and function offsets taken from the input;
//! - nothing panics, and when the input parses, the emitted JS parses again as the same kind of
//!   file (crates/compiler/examples/shared/reparse.rs, the check the stable driver makes too).
#![no_main]

use fluxion_compiler::{compile, transform, Emit, Options};
use libfuzzer_sys::fuzz_target;

/// The check `examples/fuzz.rs` makes too.
#[path = "../../crates/compiler/examples/shared/reparse.rs"]
mod reparse;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the file kind and two run-time offsets; the rest is the source.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let file = ["app.js", "app.mjs", "app.cjs", "app.ts"][usize::from(pick & 3)];
    let at = |k: u8| usize::from(k) * text.len() / 64;
    let options = Options {
        tails: true,
        handlers: vec![at(pick >> 2)],
        functions: vec![at((pick >> 2) ^ 0x2a)],
        ..Options::default()
    };
    let hook = Options {
        tails: true,
        ..Options::default()
    };
    if let Ok((js, graph)) = transform(file, text, "fluxion/runtime", &hook) {
        if let Err(e) = reparse::emitted_parses(file, text, &js.code, graph.es_module) {
            panic!(
                "emitted JS does not parse: {e}\n--- emitted ---\n{}",
                js.code
            );
        }
    }
    for emit in [Emit::Flx, Emit::Json, Emit::Dot] {
        let _ = compile(file, text, emit, &options);
    }
});
