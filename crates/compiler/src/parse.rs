//! Source text to a resolved AST: swc's parser, then swc's `resolver` so every identifier knows
//! its binding.

use crate::diagnostics::CompileError;
use crate::limits;
use crate::source::SourceText;
use swc_core::common::{sync::Lrc, FileName, Mark, SourceMap, Spanned, SyntaxContext, GLOBALS};
use swc_core::ecma::ast::{EsVersion, Program};
use swc_core::ecma::parser::{lexer::Lexer, EsSyntax, Parser, StringInput, Syntax, TsSyntax};
use swc_core::ecma::transforms::base::resolver;

pub struct Parsed {
    pub program: Program,
    pub start: swc_core::common::BytePos,
    pub unresolved: SyntaxContext,
}

fn syntax_for(file: &str) -> Syntax {
    let ext = file.rsplit('.').next().unwrap_or("");
    match ext {
        "ts" | "mts" | "cts" => Syntax::Typescript(TsSyntax::default()),
        "tsx" => Syntax::Typescript(TsSyntax {
            tsx: true,
            ..Default::default()
        }),
        _ => Syntax::Es(EsSyntax {
            jsx: ext == "jsx",
            // CommonJS modules may `return` at the top level (they run inside a function).
            allow_return_outside_function: true,
            ..Default::default()
        }),
    }
}

/// Parses and resolves. Must run inside `GLOBALS.set` (see `lib::compile`).
pub fn parse(file: &str, src: &SourceText) -> Result<Parsed, CompileError> {
    let text = src.text;
    crate::timings::time("limits", || limits::check_text(file, text))?;
    let cm: Lrc<SourceMap> = Default::default();
    let fm = crate::timings::time("source", || {
        cm.new_source_file(Lrc::new(FileName::Custom(file.into())), text.to_string())
    });
    let start = fm.start_pos;
    let lexer = Lexer::new(
        syntax_for(file),
        EsVersion::latest(),
        StringInput::from(&*fm),
        None,
    );
    let mut parser = Parser::new_from(lexer);
    let result = crate::timings::time("parse", || parser.parse_program());
    let syntax_error = |e: swc_core::ecma::parser::error::Error| {
        let offset = (e.span().lo.0.saturating_sub(start.0)) as usize;
        let loc = src.loc(offset);
        CompileError::Syntax {
            file: file.to_string(),
            loc,
            message: e.kind().msg().to_string(),
            frame: src.code_frame(loc),
        }
    };
    let mut program = result.map_err(syntax_error)?;
    // Recoverable errors are still errors Node would report: refuse the module.
    if let Some(e) = parser.take_errors().into_iter().next() {
        return Err(syntax_error(e));
    }
    crate::timings::time("limits", || limits::check_program(file, &program))?;
    debug_assert!(GLOBALS.is_set());
    let unresolved_mark = Mark::new();
    let top_level_mark = Mark::new();
    let ts = matches!(syntax_for(file), Syntax::Typescript(_));
    crate::timings::time("resolve", || {
        program.mutate(resolver(unresolved_mark, top_level_mark, ts))
    });
    Ok(Parsed {
        program,
        start,
        unresolved: SyntaxContext::empty().apply_mark(unresolved_mark),
    })
}
