//! Authentication: the server's token, compared in constant time, and where a client presents
//! it (field 10 of its first frame, or the WebSocket handshake).

use std::fmt;

use thiserror::Error;

/// The WebSocket subprotocol a client offers beside its token protocol; the server selects it.
pub const SUBPROTOCOL: &str = "fluxion-got";
/// Prefix of the subprotocol that carries the token (`fluxion-got-token.<token>`): browsers
/// cannot set an `Authorization` header on a WebSocket, but they can offer subprotocols.
pub const TOKEN_SUBPROTOCOL_PREFIX: &str = "fluxion-got-token.";

/// Shortest and longest token accepted.
pub const TOKEN_MIN: usize = 16;
pub const TOKEN_MAX: usize = 256;

/// Why a text is not a usable token.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("a token has {TOKEN_MIN} to {TOKEN_MAX} characters, found {0}")]
    Length(usize),
    #[error("a token uses only A-Z a-z 0-9 - . _ ~ (it travels in a WebSocket subprotocol), found {0:?}")]
    Character(char),
}

/// A shared secret. Its `Debug` does not print it; equality is constant-time.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Checks length and characters (letters, digits, `-._~`: what a WebSocket subprotocol
    /// may carry and what `crypto.randomBytes(n).toString('base64url')` produces).
    pub fn new(text: &str) -> Result<Token, TokenError> {
        let len = text.chars().count();
        if !(TOKEN_MIN..=TOKEN_MAX).contains(&len) {
            return Err(TokenError::Length(len));
        }
        if let Some(c) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')))
        {
            return Err(TokenError::Character(c));
        }
        Ok(Token(text.to_owned()))
    }

    /// A token as a client sent it (not checked: it is only compared).
    pub fn presented(text: String) -> Token {
        Token(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this token. The time taken depends on the lengths only, never on
    /// where the first differing byte is.
    pub fn matches(&self, other: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), other.as_bytes())
    }
}

impl PartialEq for Token {
    fn eq(&self, other: &Token) -> bool {
        self.matches(&other.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Byte equality in time that depends on the lengths only.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= std::hint::black_box(x ^ y);
    }
    diff == 0
}

/// Who may talk to the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuthPolicy {
    /// The token clients must present; `None`: no authentication.
    pub token: Option<Token>,
    /// Serve connections that present no token even though a token is set (a wrong token is
    /// still refused). Spacetime 2.1 clients cannot send a token: serving them with a token set
    /// needs this, and then the token protects nothing (anyone may connect without it).
    pub allow_unauthenticated: bool,
}

/// What a connection presented, and whether that lets it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Authenticated, or no authentication needed.
    Allowed,
    /// Nothing presented, and a token is required.
    Missing,
    /// A token that is not the server's.
    Wrong,
}

impl AuthPolicy {
    /// No token: everyone is let in.
    pub fn open() -> AuthPolicy {
        AuthPolicy::default()
    }

    pub fn with_token(token: Token) -> AuthPolicy {
        AuthPolicy {
            token: Some(token),
            allow_unauthenticated: false,
        }
    }

    /// The verdict on a presented token (`None`: none presented).
    pub fn check(&self, presented: Option<&str>) -> Verdict {
        match (&self.token, presented) {
            (None, _) => Verdict::Allowed,
            (Some(t), Some(p)) if t.matches(p) => Verdict::Allowed,
            (Some(_), Some(_)) => Verdict::Wrong,
            (Some(_), None) if self.allow_unauthenticated => Verdict::Allowed,
            (Some(_), None) => Verdict::Missing,
        }
    }

    /// Whether clients that cannot present a token (the Spacetime dialect) are served.
    pub fn serves_tokenless(&self) -> bool {
        self.token.is_none() || self.allow_unauthenticated
    }
}

/// The token in a WebSocket handshake: an offered `fluxion-got-token.<token>` subprotocol, or
/// an `Authorization: Bearer <token>` header.
pub fn handshake_token<'a>(
    subprotocols: impl Iterator<Item = &'a str>,
    authorization: Option<&'a str>,
) -> Option<&'a str> {
    let mut found = None;
    for p in subprotocols.flat_map(|h| h.split(',')) {
        if let Some(t) = p.trim().strip_prefix(TOKEN_SUBPROTOCOL_PREFIX) {
            found = Some(t);
        }
    }
    found.or_else(|| {
        authorization
            .and_then(|a| a.trim().strip_prefix("Bearer "))
            .map(str::trim)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_and_compared() {
        assert_eq!(Token::new("short"), Err(TokenError::Length(5)));
        assert_eq!(
            Token::new("0123456789abcdef/"),
            Err(TokenError::Character('/'))
        );
        let t = Token::new("0123456789abcdef").unwrap();
        assert!(t.matches("0123456789abcdef"));
        assert!(!t.matches("0123456789abcdeF"));
        assert!(!t.matches("0123456789abcdef0"));
        assert!(!t.matches(""));
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
    }

    #[test]
    fn verdicts() {
        let t = Token::new("0123456789abcdef").unwrap();
        let strict = AuthPolicy::with_token(t.clone());
        assert_eq!(strict.check(Some("0123456789abcdef")), Verdict::Allowed);
        assert_eq!(strict.check(Some("nope")), Verdict::Wrong);
        assert_eq!(strict.check(None), Verdict::Missing);
        assert!(!strict.serves_tokenless());
        let lax = AuthPolicy {
            allow_unauthenticated: true,
            ..strict
        };
        assert_eq!(lax.check(None), Verdict::Allowed);
        assert_eq!(lax.check(Some("nope")), Verdict::Wrong);
        assert_eq!(AuthPolicy::open().check(Some("x")), Verdict::Allowed);
    }

    #[test]
    fn handshake_tokens() {
        let offered = ["fluxion-got, fluxion-got-token.abc"];
        assert_eq!(handshake_token(offered.into_iter(), None), Some("abc"));
        assert_eq!(
            handshake_token([].into_iter(), Some("Bearer xyz")),
            Some("xyz")
        );
        assert_eq!(handshake_token(["fluxion-got"].into_iter(), None), None);
    }
}
