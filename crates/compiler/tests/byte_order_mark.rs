//! A file that starts with a byte order mark compiles as the same file without it. swc drops the
//! mark from its copy of the source, so its positions were three bytes short of the compiler's and
//! every edit landed early: `app.get("/__flx.route(...", ...)` (found by `cargo fuzz`).
use fluxion_compiler::{analyze, parse_only, transform, Options};

const APP: &str = "'use strict';\nconst express = require('express');\nconst app = express();\nlet n = 0;\napp.get('/', (req, res) => { n++; res.send(String(n)); });\napp.listen(3000);\n";

#[test]
fn a_byte_order_mark_changes_nothing_but_itself() {
    let marked = format!("\u{feff}{APP}");
    let options = Options {
        tails: true,
        ..Options::default()
    };
    let (plain, plain_graph) = transform("app.js", APP, "fluxion/runtime", &options).unwrap();
    let (js, graph) = transform("app.js", &marked, "fluxion/runtime", &options).unwrap();
    assert_eq!(js.code, plain.code);
    assert_eq!(js.map, plain.map);
    assert_eq!(
        serde_json::to_string(&graph).unwrap(),
        serde_json::to_string(&plain_graph).unwrap()
    );
    assert!(js.code.contains("app.get('/', __flx.route("), "{}", js.code);
    parse_only("app.js", &js.code).unwrap();
    let fluxions = analyze("app.js", &marked, &Options::default())
        .unwrap()
        .fluxions
        .len();
    assert_eq!(fluxions, 2);
}
