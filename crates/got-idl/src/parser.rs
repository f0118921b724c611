//! The parser: the thesis's grammar (Listing 4.4), extended with our kinds and comments.
//!
//! ```text
//! file      = classdef+
//! classdef  = "class" name ":" line*
//! line      = "primary" kind name          the primary key: int or str, exactly one
//!           | kind name                    a dimension
//!           | "merge" "func" name          the merge function, at most one
//! kind      = "int" | "bool" | "str" | "float" | "bytes" | "list" | "map" | "any"
//! name      = [A-Za-z_][A-Za-z0-9_]*
//! ```
//!
//! A class's lines run until the next `class` or the end of the file. Besides syntax, the
//! parser checks what the generated code and the dataframes need: one primary key of kind int
//! or str per class, no name declared twice, no name that is a keyword of a target language.

use std::collections::BTreeMap;

use fluxion_versions::DimKind;

use crate::ast::{ClassDef, DimDef, Ident, Pos, SchemaFile};
use crate::lexer::{tokenize, Tok, Token};

/// The kinds, by their IDL name.
pub const KINDS: [(&str, DimKind); 8] = [
    ("int", DimKind::Int),
    ("bool", DimKind::Bool),
    ("str", DimKind::Str),
    ("float", DimKind::Float),
    ("bytes", DimKind::Bytes),
    ("list", DimKind::List),
    ("map", DimKind::Map),
    ("any", DimKind::Any),
];

const KEYWORDS: [&str; 4] = ["class", "primary", "merge", "func"];

/// Names the generated Python, TypeScript or JavaScript could not use as a class, attribute
/// or function name.
const RESERVED: &[&str] = &[
    // Python
    "False",
    "None",
    "True",
    "and",
    "as",
    "assert",
    "async",
    "await",
    "break",
    "continue",
    "def",
    "del",
    "elif",
    "else",
    "except",
    "finally",
    "for",
    "from",
    "global",
    "if",
    "import",
    "in",
    "is",
    "lambda",
    "nonlocal",
    "not",
    "or",
    "pass",
    "raise",
    "return",
    "try",
    "while",
    "with",
    "yield",
    // JavaScript / TypeScript (class and function names)
    "case",
    "catch",
    "const",
    "debugger",
    "default",
    "delete",
    "do",
    "enum",
    "export",
    "extends",
    "false",
    "function",
    "instanceof",
    "let",
    "new",
    "null",
    "super",
    "switch",
    "this",
    "throw",
    "true",
    "typeof",
    "var",
    "void",
    "interface",
    "package",
    "private",
    "protected",
    "public",
    "static",
    "implements",
];

/// Names the generated modules define themselves.
const GENERATED: &[&str] = &["types", "mergeFn", "merge_fn"];

fn kind_of(word: &str) -> Option<DimKind> {
    KINDS.iter().find(|(n, _)| *n == word).map(|(_, k)| *k)
}

fn kind_list() -> String {
    let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
    format!(
        "{} or {}",
        names[..names.len() - 1].join(", "),
        names[names.len() - 1]
    )
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
}

type PResult<T> = Result<T, (Pos, String)>;

impl Parser {
    fn peek(&self) -> &Token {
        &self.toks[self.at]
    }

    fn next(&mut self) -> Token {
        let t = self.toks[self.at].clone();
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
        t
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().tok, Tok::Word(x) if x == w)
    }

    /// A name: a word that is not a keyword or reserved in a target language.
    fn name(&mut self, what: &str) -> PResult<Ident> {
        let t = self.next();
        match t.tok {
            Tok::Word(w) if KEYWORDS.contains(&w.as_str()) || kind_of(&w).is_some() => Err((
                t.pos,
                format!("expected the {what}, found the keyword \"{w}\""),
            )),
            Tok::Word(w) if RESERVED.contains(&w.as_str()) => Err((
                t.pos,
                format!(
                    "\"{w}\" cannot be a {what}: it is a keyword of Python or TypeScript, \
                     the generated code could not use it"
                ),
            )),
            Tok::Word(w) => Ok(Ident {
                name: w,
                pos: t.pos,
            }),
            other => Err((
                t.pos,
                format!("expected the {what}, found {}", other.describe()),
            )),
        }
    }

    fn kind(&mut self, what: &str) -> PResult<(DimKind, Pos)> {
        let t = self.next();
        match &t.tok {
            Tok::Word(w) => match kind_of(w) {
                Some(k) => Ok((k, t.pos)),
                None => Err((
                    t.pos,
                    format!("unknown type \"{w}\" for {what} (expected {})", kind_list()),
                )),
            },
            other => Err((
                t.pos,
                format!(
                    "expected a type ({}), found {}",
                    kind_list(),
                    other.describe()
                ),
            )),
        }
    }

    fn file(&mut self) -> PResult<SchemaFile> {
        let mut classes = Vec::new();
        while self.peek().tok != Tok::End {
            if !self.is_word("class") {
                let t = self.peek();
                return Err((
                    t.pos,
                    format!("expected \"class\", found {}", t.tok.describe()),
                ));
            }
            classes.push(self.class()?);
        }
        if classes.is_empty() {
            return Err((
                Pos { line: 1, col: 1 },
                "the schema declares no class (expected \"class <name>:\")".into(),
            ));
        }
        Ok(SchemaFile { classes })
    }

    fn class(&mut self) -> PResult<ClassDef> {
        self.next(); // "class"
        let name = self.name("class name")?;
        let t = self.next();
        if t.tok != Tok::Colon {
            return Err((
                t.pos,
                format!(
                    "expected \":\" after \"class {}\", found {}",
                    name.name,
                    t.tok.describe()
                ),
            ));
        }
        let mut dims: Vec<DimDef> = Vec::new();
        let mut merge: Option<Ident> = None;
        loop {
            if self.peek().tok == Tok::End || self.is_word("class") {
                break;
            }
            if self.is_word("merge") {
                let at = self.next().pos;
                let t = self.next();
                if t.tok != Tok::Word("func".into()) {
                    return Err((
                        t.pos,
                        format!(
                            "expected \"func\" after \"merge\", found {}",
                            t.tok.describe()
                        ),
                    ));
                }
                let f = self.name("merge function name")?;
                if let Some(prev) = &merge {
                    return Err((
                        at,
                        format!(
                            "class \"{}\" already has a merge function (\"{}\" at {})",
                            name.name, prev.name, prev.pos
                        ),
                    ));
                }
                merge = Some(f);
                continue;
            }
            let primary = self.is_word("primary");
            let at = self.peek().pos;
            if primary {
                self.next();
            }
            let (kind, kind_pos) = self.kind(if primary {
                "the primary key"
            } else {
                "a dimension"
            })?;
            let dim = self.name("dimension name")?;
            if primary {
                if let Some(k) = dims.iter().find(|d| d.primary) {
                    return Err((
                        at,
                        format!(
                            "class \"{}\" has a second primary key (the first is \"{}\" at {})",
                            name.name, k.name.name, k.name.pos
                        ),
                    ));
                }
                if !matches!(kind, DimKind::Int | DimKind::Str) {
                    return Err((
                        kind_pos,
                        format!("a primary key must be int or str, not {kind}"),
                    ));
                }
            }
            if let Some(d) = dims.iter().find(|d| d.name.name == dim.name) {
                return Err((
                    dim.pos,
                    format!(
                        "dimension \"{}\" is declared twice in class \"{}\" (first at {})",
                        dim.name, name.name, d.name.pos
                    ),
                ));
            }
            dims.push(DimDef {
                name: dim,
                kind,
                kind_pos,
                primary,
            });
        }
        if !dims.iter().any(|d| d.primary) {
            return Err((
                name.pos,
                format!(
                    "class \"{}\" has no primary key (add a line \"primary int <name>\" or \
                     \"primary str <name>\")",
                    name.name
                ),
            ));
        }
        Ok(ClassDef { name, dims, merge })
    }
}

/// Parses and checks a schema; errors carry the position they were found at.
pub fn parse(src: &str) -> Result<SchemaFile, (Pos, String)> {
    let toks = tokenize(src)?;
    let file = Parser { toks, at: 0 }.file()?;
    let mut seen: BTreeMap<&str, Pos> = BTreeMap::new();
    for c in &file.classes {
        if GENERATED.contains(&c.name.name.as_str()) {
            return Err((
                c.name.pos,
                format!(
                    "a class cannot be named \"{}\": the generated module defines that name",
                    c.name.name
                ),
            ));
        }
        if let Some(first) = seen.insert(&c.name.name, c.name.pos) {
            return Err((
                c.name.pos,
                format!(
                    "class \"{}\" is declared twice (first at {first})",
                    c.name.name
                ),
            ));
        }
    }
    let mut merges: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &file.classes {
        if let Some(m) = &c.merge {
            if let Some(other) = merges.insert(&m.name, &c.name.name) {
                return Err((
                    m.pos,
                    format!(
                        "merge function \"{}\" is already the merge function of class \"{other}\" \
                         (each class needs its own)",
                        m.name
                    ),
                ));
            }
            if let Some(first) = seen.get(m.name.as_str()) {
                return Err((
                    m.pos,
                    format!(
                        "merge function \"{}\" has the name of a class (declared at {first})",
                        m.name
                    ),
                ));
            }
        }
    }
    Ok(file)
}
