//! Which web pages may open a WebSocket to the server: the `Origin` allow-list.
//!
//! Browsers send `Origin` with every WebSocket handshake and let any page open one to any
//! host, so without this check every page the user visits could read and write the served
//! dataframes. Clients that are not browsers send no `Origin` and are not concerned.

use thiserror::Error;

/// The allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OriginPolicy {
    /// Pages whose origin's host is the host the handshake was addressed to (the `Host`
    /// header), whatever the scheme and port: a page served by the same machine name.
    #[default]
    SameHost,
    /// Exactly these origins (`scheme://host[:port]`, compared without case and without a
    /// trailing slash).
    Allow(Vec<String>),
    /// Any page (`"*"`).
    Any,
}

/// Why a handshake's origin is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum OriginError {
    #[error("origin {origin} is not allowed: this GoT server accepts pages from its own host ({host}) only (serve({{ origins }}) lists others)")]
    NotSameHost { origin: String, host: String },
    #[error("origin {origin} is not in this GoT server's allowed origins")]
    NotListed { origin: String },
}

fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The host part of `host[:port]` or `[v6]:port`.
fn host_of(authority: &str) -> &str {
    let a = authority.trim();
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    a.rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(a, |(h, _)| h)
}

/// The host of an origin `scheme://host[:port]`; `None` for `null` and other opaque origins.
fn origin_host(origin: &str) -> Option<&str> {
    let (_, rest) = origin.split_once("://")?;
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit('@').next()?;
    let h = host_of(authority);
    (!h.is_empty()).then_some(h)
}

impl OriginPolicy {
    /// `["*"]` is [`OriginPolicy::Any`], an empty list the default.
    pub fn from_list<S: AsRef<str>>(list: &[S]) -> OriginPolicy {
        if list.iter().any(|o| o.as_ref().trim() == "*") {
            OriginPolicy::Any
        } else if list.is_empty() {
            OriginPolicy::SameHost
        } else {
            OriginPolicy::Allow(list.iter().map(|o| normalize(o.as_ref())).collect())
        }
    }

    /// Checks a handshake's `Origin` (absent: not a browser, allowed) against `host` (its
    /// `Host` header).
    pub fn check(&self, origin: Option<&str>, host: Option<&str>) -> Result<(), OriginError> {
        let Some(origin) = origin else {
            return Ok(());
        };
        match self {
            OriginPolicy::Any => Ok(()),
            OriginPolicy::Allow(list) => {
                if list.contains(&normalize(origin)) {
                    Ok(())
                } else {
                    Err(OriginError::NotListed {
                        origin: origin.to_owned(),
                    })
                }
            }
            OriginPolicy::SameHost => {
                let host = host.map(host_of).unwrap_or("");
                match origin_host(origin) {
                    Some(h) if !host.is_empty() && h.eq_ignore_ascii_case(host) => Ok(()),
                    _ => Err(OriginError::NotSameHost {
                        origin: origin.to_owned(),
                        host: host.to_owned(),
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_host_compares_hosts_not_ports() {
        let p = OriginPolicy::SameHost;
        assert!(p.check(None, Some("127.0.0.1:9")).is_ok());
        assert!(p
            .check(Some("http://127.0.0.1:3000"), Some("127.0.0.1:9"))
            .is_ok());
        assert!(p
            .check(Some("https://LocalHost"), Some("localhost:9"))
            .is_ok());
        assert!(p.check(Some("http://[::1]:3000"), Some("[::1]:9")).is_ok());
        assert!(p
            .check(Some("http://evil.test:3000"), Some("127.0.0.1:9"))
            .is_err());
        assert!(p.check(Some("null"), Some("127.0.0.1:9")).is_err());
        assert!(p.check(Some("http://127.0.0.1"), None).is_err());
    }

    #[test]
    fn lists() {
        let p = OriginPolicy::from_list(&["http://app.test:3000/"]);
        assert!(p.check(Some("http://APP.test:3000"), Some("x")).is_ok());
        assert!(p.check(Some("http://app.test:3001"), Some("x")).is_err());
        assert_eq!(OriginPolicy::from_list(&["*"]), OriginPolicy::Any);
        assert_eq!(OriginPolicy::from_list::<&str>(&[]), OriginPolicy::SameHost);
    }
}
