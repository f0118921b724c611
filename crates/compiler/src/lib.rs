//! The fluxion compiler: a Node.js program in, its fluxion graph out.
//!
//! `parse` (swc) → `analyze` (scopes, accesses, rupture points) → `classify` (fluxions, streams,
//! scope/stream/share/resource) → `emit` (flx text, JSON, DOT). No Node.js needed: `cargo test`.

pub mod abi;
pub mod analyze;
pub mod classify;
pub mod diagnostics;
pub mod emit;
pub mod flx;
pub mod graph;
pub mod limits;
pub mod parse;
pub mod rules;
pub mod source;
pub mod stack;
pub mod tails;
pub mod timings;

pub use diagnostics::{CompileError, Warning};
pub use graph::Graph;
pub use rules::{Rules, RuptureKind};

use swc_core::common::{Globals, GLOBALS};

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    Flx,
    Json,
    Dot,
}

impl std::str::FromStr for Emit {
    type Err = CompileError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "flx" => Ok(Emit::Flx),
            "json" => Ok(Emit::Json),
            "dot" => Ok(Emit::Dot),
            other => Err(CompileError::Config {
                key: "emit".into(),
                message: format!("unknown format `{other}`; use flx, json or dot"),
            }),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub rules: Rules,
    /// Byte offsets of functions found at run time as route handlers (the router of a running
    /// app): each one is analysed as if it were registered with `app.use`, wherever it is.
    pub handlers: Vec<usize>,
    /// Byte offsets of other functions found at run time (values in a handler's closure): each
    /// one gets a fluxion of its own, with no parameter taken as a request or response.
    pub functions: Vec<usize>,
    /// Split context-free tails off fluxions with a context (`transform` for the runtime).
    pub tails: bool,
}

/// Parses and analyses one module.
pub fn analyze(file: &str, text: &str, options: &Options) -> Result<Graph, CompileError> {
    stack::run(file, text.len(), || {
        analyze_source(
            file,
            &source::SourceText::new(text),
            options,
            classify::Texts::Fill,
        )
    })
}

/// `analyze` of a text whose line table is already built (`transform` shares it with `emit`).
fn analyze_source(
    file: &str,
    src: &source::SourceText,
    options: &Options,
    texts: classify::Texts,
) -> Result<Graph, CompileError> {
    GLOBALS.set(&Globals::new(), || {
        let parsed = parse::parse(file, src)?;
        let analyzer = analyze::Analyzer {
            src,
            file,
            start: parsed.start,
            unresolved: parsed.unresolved,
            rules: &options.rules,
            handlers: &options.handlers,
            functions: &options.functions,
        };
        let facts = analyzer.run(&parsed.program);
        // Freeing a large tree is a pass of its own: timed apart.
        timings::time("drop", move || drop(parsed.program));
        let graph = classify::build(file, &facts, src, texts);
        timings::time("drop", move || drop(facts));
        Ok(graph)
    })
}

/// The module rewritten for the runtime, with its graph (hints included) and a source map.
/// With `options.tails`, context-free tails are split off first (the text is rewritten to
/// `__flx.tail(...)` calls on the same lines and compiled again).
pub fn transform(
    file: &str,
    text: &str,
    runtime: &str,
    options: &Options,
) -> Result<(emit::js::JsOutput, Graph), CompileError> {
    stack::run(file, text.len(), || {
        transform_on_stack(file, text, runtime, options)
    })
}

fn transform_on_stack(
    file: &str,
    text: &str,
    runtime: &str,
    options: &Options,
) -> Result<(emit::js::JsOutput, Graph), CompileError> {
    let src = source::SourceText::new(text);
    // The runtime reads no fluxion's text (only the flx form prints it).
    let texts = classify::Texts::Skip;
    let graph = analyze_source(file, &src, options, texts)?;
    if options.tails && !graph.tails.is_empty() {
        let split = timings::time("tails", || tails::apply(src.text, &graph.tails));
        let split_src = source::SourceText::new(&split);
        if let Ok(graph) = analyze_source(file, &split_src, options, texts) {
            let js = timings::time("emit", || {
                emit::js::emit_source(&graph, &split_src, runtime)
            });
            return Ok((js, graph));
        }
    }
    let js = timings::time("emit", || emit::js::emit_source(&graph, &src, runtime));
    Ok((js, graph))
}

/// Parses `text` only (no analysis): whether it is JavaScript (or TypeScript, by the file's
/// extension) the compiler accepts. Used to check that emitted code parses again.
pub fn parse_only(file: &str, text: &str) -> Result<(), CompileError> {
    stack::run(file, text.len(), || {
        GLOBALS.set(&Globals::new(), || {
            let src = source::SourceText::new(text);
            parse::parse(file, &src).map(|_| ())
        })
    })
}

/// Compiles one module and prints its graph in the requested format.
pub fn compile(
    file: &str,
    text: &str,
    emit: Emit,
    options: &Options,
) -> Result<(String, Vec<Warning>), CompileError> {
    stack::run(file, text.len(), || {
        let graph = analyze(file, text, options)?;
        let out = match emit {
            Emit::Flx => emit::flx::print(&graph),
            Emit::Json => emit::json::print(&graph),
            Emit::Dot => emit::dot::print(&graph),
        };
        Ok((out, graph.warnings))
    })
}
