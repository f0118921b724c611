//! N-API glue: the compiler (and later the runtime core) exposed to Node.js. Thin by design: all
//! logic lives in the plain-Rust crates under `crates/`, which `cargo test` runs without Node.

mod versions;

use fluxion_compiler::{CompileError, Emit, Options, Rules, RuptureKind};
use napi_derive::napi;

#[napi(object)]
pub struct RupturePointsConfig {
    pub start: Option<Vec<String>>,
    pub post: Option<Vec<String>>,
}

#[napi(object)]
pub struct NativeCompileOptions {
    pub filename: Option<String>,
    /// `flx`, `json` or `dot`.
    pub emit: Option<String>,
    pub rupture_points: Option<RupturePointsConfig>,
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
    Ok((file, emit, Options { rules }))
}

/// Compiles one module's source; errors come back as data so that the JS side can throw typed
/// errors (`FluxionSyntaxError`, `FluxionConfigError`).
#[napi]
pub fn compile(source: String, opts: Option<NativeCompileOptions>) -> NativeCompileResult {
    let opts = opts.unwrap_or(NativeCompileOptions {
        filename: None,
        emit: None,
        rupture_points: None,
    });
    let run = || -> Result<(String, Vec<fluxion_compiler::Warning>), CompileError> {
        let (file, emit, options) = options(&opts)?;
        fluxion_compiler::compile(&file, &source, emit, &options)
    };
    // A compiler bug must never take the app down: report it as an error instead.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
        Ok(Ok((output, warnings))) => NativeCompileResult {
            output: Some(output),
            warnings: warnings
                .into_iter()
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
                .collect(),
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
            error: Some(NativeError {
                kind: "internal".into(),
                message: panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "compiler panic".into()),
                file: opts.filename.clone(),
                line: None,
                column: None,
                frame: None,
                key: None,
            }),
        },
    }
}

/// The compiler's version, part of the on-disk cache key.
#[napi]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
