//! The fluxional language of the paper's Figure 1: its syntax tree, printer and reader.
//!
//! ```text
//! flx reply & network {count, template}
//! >> null
//!   function reply(error, data) { ... }
//! ```
//! A header `flx <id> [& <tags>] [{<context>}]`, then one stream per line (`>> dest [vars]` for a
//! start stream, `-> dest [vars]` for a post stream, `>> null` for none), then the function body
//! indented by two spaces. Fluxions are separated by a blank line.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Program {
    pub fluxions: Vec<FlxDecl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlxDecl {
    pub name: String,
    pub tags: Vec<String>,
    pub context: Vec<String>,
    pub streams: Vec<FlxStream>,
    /// The function, unindented; may be empty.
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlxStream {
    /// `>>` (start) or `->` (post).
    pub arrow: Arrow,
    pub dests: Vec<String>,
    pub vars: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrow {
    Start,
    Post,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("flx:{line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

pub fn print(p: &Program) -> String {
    let mut out = String::new();
    for (i, f) in p.fluxions.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("flx ");
        out.push_str(&f.name);
        if !f.tags.is_empty() {
            out.push_str(" & ");
            out.push_str(&f.tags.join(", "));
        }
        if !f.context.is_empty() {
            out.push_str(&format!(" {{{}}}", f.context.join(", ")));
        }
        out.push('\n');
        if f.streams.is_empty() {
            out.push_str(">> null\n");
        }
        for s in &f.streams {
            let arrow = match s.arrow {
                Arrow::Start => ">>",
                Arrow::Post => "->",
            };
            out.push_str(&format!(
                "{arrow} {} [{}]\n",
                s.dests.join(", "),
                s.vars.join(", ")
            ));
        }
        for line in f.body.lines() {
            if line.trim().is_empty() {
                out.push('\n');
            } else {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}

fn list(s: &str, line: usize, what: &str) -> Result<Vec<String>, ParseError> {
    if s.trim().is_empty() {
        return Ok(vec![]);
    }
    s.split(',')
        .map(|x| {
            let x = x.trim();
            if is_id(x) {
                Ok(x.to_string())
            } else {
                Err(ParseError {
                    line,
                    message: format!("`{x}` is not an identifier in the {what} list"),
                })
            }
        })
        .collect()
}

fn header(rest: &str, line: usize) -> Result<FlxDecl, ParseError> {
    let (before_ctx, context) = match rest.find('{') {
        Some(i) => {
            let close = rest.rfind('}').filter(|&j| j > i).ok_or(ParseError {
                line,
                message: "context `{` is not closed".into(),
            })?;
            (&rest[..i], list(&rest[i + 1..close], line, "context")?)
        }
        None => (rest, vec![]),
    };
    let (name, tags) = match before_ctx.split_once('&') {
        Some((n, t)) => (n.trim(), list(t, line, "tag")?),
        None => (before_ctx.trim(), vec![]),
    };
    if !is_id(name) {
        return Err(ParseError {
            line,
            message: format!("`{name}` is not a fluxion name"),
        });
    }
    Ok(FlxDecl {
        name: name.into(),
        tags,
        context,
        ..Default::default()
    })
}

fn stream(text: &str, line: usize) -> Result<Option<FlxStream>, ParseError> {
    let (arrow, rest) = if let Some(r) = text.strip_prefix(">>") {
        (Arrow::Start, r)
    } else if let Some(r) = text.strip_prefix("->") {
        (Arrow::Post, r)
    } else if text.trim() == "null" {
        return Ok(None);
    } else {
        unreachable!("caller checked the prefix")
    };
    let rest = rest.trim();
    if rest == "null" {
        return Ok(None);
    }
    let (dests, vars) = match rest.find('[') {
        Some(i) => {
            let close = rest.rfind(']').filter(|&j| j > i).ok_or(ParseError {
                line,
                message: "message `[` is not closed".into(),
            })?;
            (&rest[..i], list(&rest[i + 1..close], line, "message")?)
        }
        None => (rest, vec![]),
    };
    let dests = list(dests, line, "destination")?;
    if dests.is_empty() {
        return Err(ParseError {
            line,
            message: "a stream needs a destination (or `null`)".into(),
        });
    }
    Ok(Some(FlxStream { arrow, dests, vars }))
}

pub fn parse(text: &str) -> Result<Program, ParseError> {
    let mut program = Program::default();
    let mut body: Vec<&str> = Vec::new();
    let mut in_streams = false;
    let flush = |program: &mut Program, body: &mut Vec<&str>| {
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        if let Some(f) = program.fluxions.last_mut() {
            f.body = body
                .iter()
                .map(|l| l.strip_prefix("  ").unwrap_or(l.trim_start()))
                .collect::<Vec<_>>()
                .join("\n");
            if !f.body.is_empty() {
                f.body.push('\n');
            }
        }
        body.clear();
    };
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if let Some(rest) = raw.strip_prefix("flx ") {
            flush(&mut program, &mut body);
            program.fluxions.push(header(rest, line)?);
            in_streams = true;
            continue;
        }
        if program.fluxions.is_empty() {
            if raw.trim().is_empty() {
                continue;
            }
            return Err(ParseError {
                line,
                message: "expected `flx <name>`".into(),
            });
        }
        if in_streams && (raw.starts_with(">>") || raw.starts_with("->") || raw == "null") {
            if let Some(s) = stream(raw, line)? {
                program.fluxions.last_mut().unwrap().streams.push(s);
            }
            continue;
        }
        in_streams = false;
        if !raw.is_empty() && !raw.starts_with("  ") {
            return Err(ParseError {
                line,
                message: "function lines are indented by two spaces".into(),
            });
        }
        body.push(raw);
    }
    flush(&mut program, &mut body);
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_papers_listing_2_headers() {
        let p = parse("flx main & network\n>> handler [res]\n  var a;\n\nflx reply & network {count, template}\n>> null\n  f();\n").unwrap();
        assert_eq!(p.fluxions[0].tags, vec!["network"]);
        assert_eq!(p.fluxions[0].streams[0].dests, vec!["handler"]);
        assert_eq!(p.fluxions[1].context, vec!["count", "template"]);
        assert!(p.fluxions[1].streams.is_empty());
        assert_eq!(print(&p), "flx main & network\n>> handler [res]\n  var a;\n\nflx reply & network {count, template}\n>> null\n  f();\n");
    }

    #[test]
    fn rejects_bad_text_with_a_line() {
        let e = parse("flx ok\n>> [a]\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("oops").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse("flx a b\n").unwrap_err();
        assert!(e.message.contains("not a fluxion name"));
    }
}
