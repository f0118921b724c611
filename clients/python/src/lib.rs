//! `fluxion_got._core`: the GoT core of fluxion (crates/versions, crates/got-protocol,
//! crates/got-idl) for Python. The Python package `fluxion_got` wraps it in Spacetime's API;
//! merges, diffs and the protocol are the same Rust code the Node addon runs, so a merge
//! behaves the same in every language.

mod convert;
mod dataframe;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _core,
    GotError,
    PyException,
    "A dataframe, schema, merge or protocol error; `code` says which (GOT_SCHEMA, GOT_IDL, GOT_STATUS_404, ...)."
);

/// A GotError with its `code` attribute set.
pub(crate) fn got_error(code: &str, msg: impl std::fmt::Display) -> PyErr {
    Python::with_gil(|py| {
        let e = GotError::new_err(msg.to_string());
        let _ = e.value(py).setattr("code", code);
        e
    })
}

/// Generates code from a `.pcc` schema: a list of `(file name, text)`.
#[pyfunction]
fn idl_generate(source: &str, file: &str, lang: &str) -> PyResult<Vec<(String, String)>> {
    let lang = lang
        .parse::<fluxion_got_idl::Lang>()
        .map_err(|e| got_error("GOT_INVALID", e))?;
    let files =
        fluxion_got_idl::compile(source, file, lang).map_err(|e| got_error("GOT_IDL", e))?;
    Ok(files.into_iter().map(|f| (f.name, f.text)).collect())
}

/// A parsed class: `(name, key, [(dim, kind)], merge function name)`.
type ParsedClass = (String, String, Vec<(String, String)>, Option<String>);

/// Parses a `.pcc` schema into type definitions `(name, key, [(dim, kind)], merge function
/// name or None)`.
#[pyfunction]
fn idl_parse(source: &str, file: &str) -> PyResult<Vec<ParsedClass>> {
    let schema = fluxion_got_idl::parse(source, file).map_err(|e| got_error("GOT_IDL", e))?;
    Ok(schema
        .classes
        .iter()
        .map(|c| {
            (
                c.name.name.clone(),
                c.key().name.name.clone(),
                c.dims
                    .iter()
                    .map(|d| (d.name.name.clone(), d.kind.to_string()))
                    .collect(),
                c.merge.as_ref().map(|m| m.name.clone()),
            )
        })
        .collect())
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("GotError", m.py().get_type::<GotError>())?;
    m.add_class::<dataframe::Dataframe>()?;
    m.add_function(wrap_pyfunction!(idl_generate, m)?)?;
    m.add_function(wrap_pyfunction!(idl_parse, m)?)?;
    Ok(())
}
