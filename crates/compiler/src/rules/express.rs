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

/// `app.route('/p').get(a).post(b)`: each call of the chain registers on the same route. The
/// path of `.post` reads `app.route().get().post`; the rules know `app.route().post`.
pub fn route_chain_rule_path(path: &[String]) -> Option<Vec<String>> {
    let r = path.iter().position(|s| s == "route()")?;
    let (last, middle) = path[r + 1..].split_last()?;
    let chained = !middle.is_empty()
        && middle.iter().all(|s| {
            s.strip_suffix("()")
                .is_some_and(|m| EXPRESS_METHODS.contains(&m))
        });
    chained.then(|| {
        let mut p = path[..=r].to_vec();
        p.push(last.clone());
        p
    })
}

/// The path a routing call registers its handlers at, as far as the source says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoutePath {
    /// A string literal (`app.get('/count', ...)`), or several (`app.get(['/a', '/b'], ...)`).
    Literal(Vec<String>),
    /// Computed at run time (a variable, a regular expression, a template with expressions).
    Dynamic,
    /// No path argument: `app.use(fn)` mounts at `/`.
    Absent,
}

/// What people call a handler registered by `method` at `path`: `GET /count`, `USE /api`,
/// `POST <dynamic>`. `None` for calls that are not routing methods (`app.param` names a
/// parameter, not a path).
pub fn route_label(method: &str, path: &RoutePath) -> Option<String> {
    if !EXPRESS_METHODS.contains(&method) || method == "param" {
        return None;
    }
    let verb = method.to_ascii_uppercase();
    let where_ = match path {
        RoutePath::Literal(paths) => paths.join(", "),
        RoutePath::Dynamic => "<dynamic>".to_string(),
        // Only middleware may omit the path; `app.get(fn)` reads a setting, not a route.
        RoutePath::Absent if method == "use" => "/".to_string(),
        RoutePath::Absent => return None,
    };
    Some(format!("{verb} {where_}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_chains_read_as_one_route() {
        let p = |s: &str| s.split('.').map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            route_chain_rule_path(&p("app.route().get().put().post")),
            Some(p("app.route().post"))
        );
        assert_eq!(route_chain_rule_path(&p("app.route().get")), None);
        assert_eq!(route_chain_rule_path(&p("app.route().then().post")), None);
    }

    #[test]
    fn labels_name_method_and_path() {
        let lit = |p: &str| RoutePath::Literal(vec![p.to_string()]);
        assert_eq!(
            route_label("get", &lit("/count")).as_deref(),
            Some("GET /count")
        );
        assert_eq!(
            route_label("use", &RoutePath::Absent).as_deref(),
            Some("USE /")
        );
        assert_eq!(
            route_label("post", &RoutePath::Dynamic).as_deref(),
            Some("POST <dynamic>")
        );
        assert_eq!(route_label("get", &RoutePath::Absent), None);
        assert_eq!(route_label("param", &lit("id")), None);
        assert_eq!(route_label("on", &lit("request")), None);
    }
}
