//! Whether a module's emitted JS parses again: what both fuzzers (`examples/fuzz.rs` and the
//! `cargo fuzz` target in `fuzz/`) check for every input that compiled.

use fluxion_compiler::parse_only;

/// `Ok(true)` when the emitted `code` parses; `Ok(false)` when it does not but neither does the
/// source as a module (not a compiler bug, below); the parse error's first line otherwise.
pub fn emitted_parses(file: &str, text: &str, code: &str, es_module: bool) -> Result<bool, String> {
    match parse_only(file, code) {
        Ok(()) => Ok(true),
        // swc decides a file is a module when it meets `import`/`export`, and does not go
        // back to apply a module's strict rules to what came before (`yield()`, `with`); the
        // emitted module starts with an `import`. The source is not a valid module either
        // (Node refuses it as well): not a compiler bug.
        Err(_) if es_module && parse_only(file, &as_module(text)).is_err() => Ok(false),
        Err(e) => Err(e.to_string().lines().next().unwrap_or("").to_string()),
    }
}

/// The source with an `import` first (after a hashbang line), on the same line: parsed as a
/// module from its start.
fn as_module(text: &str) -> String {
    let at = if text.starts_with("#!") {
        text.find('\n').map_or(text.len(), |i| i + 1)
    } else {
        0
    };
    format!("{};import __m from \"m\";{}", &text[..at], &text[at..])
}
