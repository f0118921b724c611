//! Tokens of the IDL: words, `:`, end of file. Whitespace separates tokens (line breaks and
//! indentation carry no meaning, as in the thesis's PEG grammar); `#` and `//` start a comment
//! that runs to the end of the line.

use crate::ast::Pos;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A name or keyword: `[A-Za-z_][A-Za-z0-9_]*`.
    Word(String),
    Colon,
    End,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("\"{w}\""),
            Tok::Colon => "\":\"".into(),
            Tok::End => "the end of the file".into(),
        }
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

/// Splits `src` into tokens, ending with [`Tok::End`]; an unexpected character is an error
/// (its position and a message).
pub fn tokenize(src: &str) -> Result<Vec<Token>, (Pos, String)> {
    let mut out = Vec::new();
    let mut chars = src.chars().peekable();
    let (mut line, mut col) = (1, 1);
    while let Some(&c) = chars.peek() {
        let pos = Pos { line, col };
        if c == '\n' {
            chars.next();
            line += 1;
            col = 1;
        } else if c.is_whitespace() {
            chars.next();
            col += 1;
        } else if c == '#' || (c == '/' && src_at_comment(&mut chars.clone())) {
            while chars.peek().is_some_and(|&c| c != '\n') {
                chars.next();
            }
        } else if c == ':' {
            chars.next();
            col += 1;
            out.push(Token {
                tok: Tok::Colon,
                pos,
            });
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if !(c.is_ascii_alphanumeric() || c == '_') {
                    break;
                }
                word.push(c);
                chars.next();
                col += 1;
            }
            out.push(Token {
                tok: Tok::Word(word),
                pos,
            });
        } else {
            let hint = if c.is_ascii_digit() {
                " (names start with a letter or _)"
            } else {
                ""
            };
            return Err((pos, format!("unexpected character {c:?}{hint}")));
        }
    }
    out.push(Token {
        tok: Tok::End,
        pos: Pos { line, col },
    });
    Ok(out)
}

fn src_at_comment(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    chars.next() == Some('/') && chars.next() == Some('/')
}
