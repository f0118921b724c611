//! N-API glue for the GoT IDL (`fluxion idl`): parse a `.pcc` schema and generate code. The
//! parser and generators are `fluxion-got-idl`; errors reach JS as `[GOT_IDL] file:line:col: …`.

use fluxion_got_idl::{compile, Lang};
use napi::Status;
use napi_derive::napi;

#[napi(object)]
pub struct IdlFile {
    /// File name, no directory (`grade.ts`).
    pub name: String,
    pub text: String,
}

/// Generates the files of `lang` (`ts`, `js` or `python`) for the schema `source` read from
/// `file` (the name appears in errors and in the generated headers).
#[napi]
pub fn got_idl(source: String, file: String, lang: String) -> napi::Result<Vec<IdlFile>> {
    let lang: Lang = lang
        .parse()
        .map_err(|e| napi::Error::new(Status::InvalidArg, format!("[GOT_INVALID] {e}")))?;
    let files = compile(&source, &file, lang)
        .map_err(|e| napi::Error::new(Status::GenericFailure, format!("[GOT_IDL] {e}")))?;
    Ok(files
        .into_iter()
        .map(|f| IdlFile {
            name: f.name,
            text: f.text,
        })
        .collect())
}
