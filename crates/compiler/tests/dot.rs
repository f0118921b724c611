//! `--emit dot` is valid Graphviz: a multi-line label uses Graphviz's `\n` escape, and quotes and
//! backslashes in names are escaped once.

use fluxion_compiler::{analyze, emit, Options};

#[test]
fn context_goes_on_its_own_line_of_the_label() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/listing1.js"
    ))
    .unwrap();
    let g = analyze("listing1.js", &src, &Options::default()).unwrap();
    let dot = emit::dot::print(&g);
    assert!(
        dot.contains(r#""reply" [label="reply\n{count, template}"];"#),
        "{dot}"
    );
    assert!(!dot.contains(r"\\n"), "{dot}");
}
