//! Code generators: one module per target language.

mod js;
mod python;
mod ts;

use std::fmt;
use std::str::FromStr;

use crate::ast::SchemaFile;

/// A target language of `fluxion idl --lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    TypeScript,
    JavaScript,
    Python,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::TypeScript, Lang::JavaScript, Lang::Python];

    pub fn name(self) -> &'static str {
        match self {
            Lang::TypeScript => "ts",
            Lang::JavaScript => "js",
            Lang::Python => "python",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--lang` that is none of ts, js, python.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown language {0:?} (expected ts, js or python)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        match s {
            "ts" | "typescript" => Ok(Lang::TypeScript),
            "js" | "javascript" => Ok(Lang::JavaScript),
            "py" | "python" => Ok(Lang::Python),
            other => Err(UnknownLang(other.to_owned())),
        }
    }
}

/// One generated file: its name (no directory) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub name: String,
    pub text: String,
}

/// The generated module's name from the schema's file name: `schemas/grade.pcc` → `grade`
/// (characters a Python module name cannot hold become `_`).
pub fn module_name(file: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = base.strip_suffix(".pcc").unwrap_or(base);
    let mut name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// Generates the files of `lang` for a parsed schema read from `file`.
pub fn generate(schema: &SchemaFile, file: &str, lang: Lang) -> Vec<OutputFile> {
    let module = module_name(file);
    let source = file.rsplit(['/', '\\']).next().unwrap_or(file);
    match lang {
        Lang::TypeScript => vec![OutputFile {
            name: format!("{module}.ts"),
            text: ts::generate(schema, source),
        }],
        Lang::JavaScript => vec![OutputFile {
            name: format!("{module}.js"),
            text: js::generate(schema, source),
        }],
        Lang::Python => vec![OutputFile {
            name: format!("{module}.py"),
            text: python::generate(schema, source),
        }],
    }
}
