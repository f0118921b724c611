//! Express's rupture points: every routing method of an app or router is a listener (`>>`) whose
//! parameters are `(req, res, next)`. Another framework's rules are another file like this one.

use super::kinds::{ParamShape, RuptureKind};

const EXPRESS_METHODS: &[&str] = &[
    "get", "post", "put", "delete", "patch", "all", "use", "param", "options", "head",
];
const EXPRESS_RECEIVERS: &[&str] = &[
    "express()",
    "express.Router()",
    // Receivers the analysis cannot trace (a parameter `app` of an exported
    // `function (app) { app.get(...) }`): matched by name, as the paper did.
    "app",
    "router",
];

/// `(pattern, kind, parameters)` for every default Express rule, in matching order.
pub fn defaults() -> Vec<(String, RuptureKind, ParamShape)> {
    let mut out = Vec::new();
    for recv in EXPRESS_RECEIVERS {
        for m in EXPRESS_METHODS {
            out.push((
                format!("{recv}.{m}"),
                RuptureKind::Start,
                ParamShape::Express,
            ));
            out.push((
                format!("{recv}.route().{m}"),
                RuptureKind::Start,
                ParamShape::Express,
            ));
        }
    }
    out
}
