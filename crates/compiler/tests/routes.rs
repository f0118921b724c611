//! Route handlers are named by method and path (issue 14): `GET /count`, a `route()` chain, a
//! router's local path, a non-literal path as `<dynamic>`; the DOT label starts with the route.

use fluxion_compiler::{analyze, emit, Options};
use std::collections::BTreeMap;

fn routes() -> (BTreeMap<String, String>, fluxion_compiler::Graph) {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/routes.js"
    ))
    .unwrap();
    let g = analyze("routes.js", &src, &Options::default()).unwrap();
    let by_line = g
        .fluxions
        .iter()
        .filter_map(|f| {
            f.route
                .as_ref()
                .map(|r| (format!("{}:{}", f.loc.line, f.name), r.clone()))
        })
        .collect();
    (by_line, g)
}

#[test]
fn handlers_are_named_by_method_and_path() {
    let (r, _) = routes();
    let got: Vec<&str> = r.values().map(String::as_str).collect();
    for want in [
        "GET /count",
        "POST /items",
        "GET <dynamic>",
        "GET /book",
        "POST /book",
        "GET /x",
        "GET /a, /b",
        "GET /a, /b (after await 1)",
        "USE /",
    ] {
        assert!(got.contains(&want), "{want} missing from {r:?}");
    }
    // `app.param` names a parameter, not a route; `express.json()` is not a function in the source.
    assert!(!got.iter().any(|l| l.starts_with("PARAM")), "{r:?}");
    assert_eq!(r.len(), 9, "{r:?}");
}

#[test]
fn fluxions_without_a_route_have_none() {
    let (_, g) = routes();
    assert!(g.fluxion("main").unwrap().route.is_none());
    let json = emit::json::print(&g);
    assert!(json.contains(r#""route": "GET /count""#), "{json}");
}

#[test]
fn dot_label_starts_with_the_route() {
    let (_, g) = routes();
    let dot = emit::dot::print(&g);
    let count = g
        .fluxions
        .iter()
        .find(|f| f.route.as_deref() == Some("GET /count"))
        .unwrap();
    assert!(
        dot.contains(&format!(r#"[label="GET /count\n{}"#, count.name)),
        "{dot}"
    );
}
