//! N-API glue: the compiler (and later the runtime core) exposed to Node.js. Thin by design: all
//! logic lives in the plain-Rust crates under `crates/`, which `cargo test` runs without Node.
// napi registers the exported functions; a test build of this crate does not see them used.
#![cfg_attr(test, allow(dead_code))]

mod stats;

mod bus;

mod versions;

mod got_idl;

// The addon's allocator (crates/allocator): linked for its `#[global_allocator]` alone.
extern crate fluxion_allocator;

use fluxion_compiler::{CompileError, Emit, Options, Rules, RuptureKind};
use napi_derive::napi;

#[napi(object)]
pub struct RupturePointsConfig {
    pub start: Option<Vec<String>>,
    pub post: Option<Vec<String>>,
}

#[napi(object)]
#[derive(Default)]
pub struct NativeCompileOptions {
    pub filename: Option<String>,
    /// `flx`, `json` or `dot`.
    pub emit: Option<String>,
    pub rupture_points: Option<RupturePointsConfig>,
    /// Byte offsets of functions found in a running app's router (run-time compilation).
    pub handlers: Option<Vec<u32>>,
    /// Byte offsets of other functions found at run time (in a handler's closure).
    pub functions: Option<Vec<u32>>,
}

#[napi(object)]
pub struct NativeWarning {
    pub code: String,
    pub message: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[napi(object)]
pub struct NativeError {
    /// `syntax`, `config` or `internal`.
    pub kind: String,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub frame: Option<String>,
    pub key: Option<String>,
}

#[napi(object)]
pub struct NativeCompileResult {
    pub output: Option<String>,
    pub warnings: Vec<NativeWarning>,
    pub error: Option<NativeError>,
}

fn error(e: CompileError) -> NativeError {
    match e {
        CompileError::Syntax {
            file,
            loc,
            message,
            frame,
        } => NativeError {
            kind: "syntax".into(),
            message,
            file: Some(file),
            line: Some(loc.line),
            column: Some(loc.col),
            frame: Some(frame),
            key: None,
        },
        CompileError::Config { key, message } => NativeError {
            kind: "config".into(),
            message,
            file: None,
            line: None,
            column: None,
            frame: None,
            key: Some(key),
        },
        e @ (CompileError::TooLarge { .. }
        | CompileError::TooNested { .. }
        | CompileError::TooManyElse { .. }
        | CompileError::NoStack { .. }) => NativeError {
            kind: "limit".into(),
            message: e.to_string(),
            file: None,
            line: None,
            column: None,
            frame: None,
            key: None,
        },
    }
}

fn options(o: &NativeCompileOptions) -> Result<(String, Emit, Options), CompileError> {
    let file = o.filename.clone().unwrap_or_else(|| "<input>".into());
    let emit = o.emit.as_deref().unwrap_or("flx").parse()?;
    let mut rules = Rules::default();
    if let Some(rp) = &o.rupture_points {
        if let Some(s) = &rp.start {
            rules.extend(RuptureKind::Start, s, "rupturePoints.start")?;
        }
        if let Some(p) = &rp.post {
            rules.extend(RuptureKind::Post, p, "rupturePoints.post")?;
        }
    }
    let offsets = |v: &Option<Vec<u32>>| v.iter().flatten().map(|&h| h as usize).collect();
    Ok((
        file,
        emit,
        Options {
            rules,
            handlers: offsets(&o.handlers),
            functions: offsets(&o.functions),
            tails: false,
        },
    ))
}

/// Compiles one module's source; errors come back as data so that the JS side can throw typed
/// errors (`FluxionSyntaxError`, `FluxionConfigError`).
#[napi]
pub fn compile(source: String, opts: Option<NativeCompileOptions>) -> NativeCompileResult {
    let opts = opts.unwrap_or_default();
    let run = || -> Result<(String, Vec<fluxion_compiler::Warning>), CompileError> {
        let (file, emit, options) = options(&opts)?;
        fluxion_compiler::compile(&file, &source, emit, &options)
    };
    // A compiler bug must never take the app down: report it as an error instead.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok((output, ws))) => NativeCompileResult {
            output: Some(output),
            warnings: warnings(ws),
            error: None,
        },
        Ok(Err(e)) => NativeCompileResult {
            output: None,
            warnings: vec![],
            error: Some(error(e)),
        },
        Err(panic) => NativeCompileResult {
            output: None,
            warnings: vec![],
            error: Some(panic_error(panic, opts.filename.clone())),
        },
    }
}

#[napi(object)]
pub struct NativeTransformResult {
    /// The module rewritten for the runtime.
    pub code: Option<String>,
    /// Its source map (JSON).
    pub map: Option<String>,
    /// The fluxion graph with placement hints (JSON).
    pub graph: Option<String>,
    pub warnings: Vec<NativeWarning>,
    pub error: Option<NativeError>,
}

fn warnings(ws: Vec<fluxion_compiler::Warning>) -> Vec<NativeWarning> {
    ws.into_iter()
        .map(|w| NativeWarning {
            code: serde_json::to_value(w.code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
            message: w.message,
            file: w.file,
            line: w.loc.line,
            column: w.loc.col,
        })
        .collect()
}

fn panic_error(panic: Box<dyn std::any::Any + Send>, file: Option<String>) -> NativeError {
    NativeError {
        kind: "internal".into(),
        message: panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "compiler panic".into()),
        file,
        line: None,
        column: None,
        frame: None,
        key: None,
    }
}

/// Rewrites one module for the runtime: its fluxions register with `require(runtime)`.
#[napi]
pub fn transform(
    source: String,
    opts: Option<NativeCompileOptions>,
    runtime: String,
) -> NativeTransformResult {
    let opts = opts.unwrap_or_default();
    let run = || {
        let (file, _, mut options) = options(&opts)?;
        options.tails = std::env::var("FLUXION_TAILS").map_or(true, |v| v != "0");
        fluxion_compiler::transform(&file, &source, &runtime, &options)
    };
    let fail = |error| NativeTransformResult {
        code: None,
        map: None,
        graph: None,
        warnings: vec![],
        error: Some(error),
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok((js, graph))) => NativeTransformResult {
            code: Some(js.code),
            map: Some(js.map),
            graph: Some(fluxion_compiler::emit::json::print(&graph)),
            warnings: warnings(graph.warnings),
            error: None,
        },
        Ok(Err(e)) => fail(error(e)),
        Err(panic) => fail(panic_error(panic, opts.filename.clone())),
    }
}

/// The compiler's version, part of the on-disk cache key.
#[napi]
pub fn version() -> String {
    format!(
        "{}+{}",
        env!("CARGO_PKG_VERSION"),
        env!("FLUXION_COMPILER_HASH")
    )
}
