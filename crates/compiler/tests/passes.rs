//! A wrapper's request and response handed to a named function (`wrap(fn)` returning
//! `(req, res, next) => Promise.resolve(fn(req, res, next)).catch(next)`): the hints say which
//! calls they leave through when those are their only escapes, so that the runtime can check
//! the callee as a handler in their place (lib/jit/passes.js).

use fluxion_compiler::{analyze, graph::PassedTo, Graph, Options};

const SRC: &str = r#"const list = [];
const wrap = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);
const rest = (fn) => function restWrap(...args) { return fn(...args); };
const keep = (fn) => (req, res, next) => { list.push(req); fn(req, res, next); };
const swap = (fn) => (req, res, next) => fn(res, req, next);
const local = () => (req, res, next) => { const g = (r) => r; return g(req); };
const eah = (fn) => function asyncUtilWrap(...args) {
  const fnReturn = fn(...args)
  const next = args[args.length-1]
  return Promise.resolve(fnReturn).catch(next)
};
const user = (fn) => function userWrap(...args) { args[0].user = 1; return fn(...args); };
module.exports = { wrap, rest, keep, swap, local, eah, user };
"#;

fn handler(marker: &str) -> (Graph, String) {
    let at = SRC.find(marker).unwrap();
    let g = analyze(
        "wrappers.js",
        SRC,
        &Options {
            handlers: vec![at],
            ..Options::default()
        },
    )
    .unwrap();
    let name = g
        .fluxions
        .iter()
        .filter(|f| f.span.0 <= at && at < f.span.1 && f.name != "main")
        .min_by_key(|f| f.span.1 - f.span.0)
        .unwrap()
        .name
        .clone();
    (g, name)
}

fn passed(g: &Graph, flx: &str, resource: &str) -> Option<Vec<PassedTo>> {
    let f = g.fluxion(flx).unwrap();
    let r = f
        .hints
        .resources
        .iter()
        .find(|r| r.name == resource)
        .unwrap();
    assert!(r.escapes, "{resource} escapes");
    r.passed_to.clone()
}

fn to(callee: &str, index: usize, spread: bool, args: &[&str]) -> PassedTo {
    PassedTo {
        callee: callee.into(),
        index,
        spread,
        args: args.iter().map(|a| a.to_string()).collect(),
    }
}

#[test]
fn a_wrapper_hands_req_and_res_to_its_callee_in_place() {
    let (g, f) = handler("(req, res, next) => Promise");
    let args = ["req", "res", "next"];
    assert_eq!(passed(&g, &f, "req"), Some(vec![to("fn", 0, false, &args)]));
    assert_eq!(passed(&g, &f, "res"), Some(vec![to("fn", 1, false, &args)]));
    // `.catch(next)` is an escape to a method: next's escapes are not all named calls.
    assert_eq!(passed(&g, &f, "next"), None);
    assert_eq!(g.fluxion(&f).unwrap().hints.params, 3);
}

#[test]
fn a_rest_parameter_spread_into_the_callee() {
    let (g, f) = handler("function restWrap");
    assert_eq!(
        passed(&g, &f, "args"),
        Some(vec![to("fn", 0, true, &["...args"])])
    );
    assert_eq!(g.fluxion(&f).unwrap().hints.params, 1);
    assert!(resource(&g, &f, "args").rest);
}

fn resource<'g>(g: &'g Graph, flx: &str, name: &str) -> &'g fluxion_compiler::graph::ResourceUse {
    let f = g.fluxion(flx).unwrap();
    f.hints.resources.iter().find(|r| r.name == name).unwrap()
}

/// express-async-handler: `const next = args[args.length - 1]`, only handed to `.catch`.
#[test]
fn rest_elements_only_called() {
    let (g, f) = handler("function asyncUtilWrap");
    let args = resource(&g, &f, "args");
    assert!(args.rest && args.elements_only_called, "{args:?}");
    assert_eq!(args.passed_to, Some(vec![to("fn", 0, true, &["...args"])]));
    // `args[0].user = 1`: an element used as an object.
    let (g, f) = handler("function userWrap");
    assert!(!resource(&g, &f, "args").elements_only_called);
}

#[test]
fn any_other_escape_leaves_the_calls_out() {
    // Pushed into a list as well as passed to fn.
    let (g, f) = handler("(req, res, next) => { list.push");
    assert_eq!(passed(&g, &f, "req"), None);
    // A function of the handler's own (its closure cannot be read from the wrapper's).
    let (g, f) = handler("(req, res, next) => { const g");
    assert_eq!(passed(&g, &f, "req"), None);
}

#[test]
fn arguments_out_of_place_are_reported_as_written() {
    let (g, f) = handler("(req, res, next) => fn(res");
    assert_eq!(
        passed(&g, &f, "req"),
        Some(vec![to("fn", 1, false, &["res", "req", "next"])])
    );
}
