//! Splitting context-free tails off fluxions with a context (found by `classify`): the
//! statements are wrapped, on their own lines, into a post callback that gets the context values
//! they read as arguments, so that no line number moves.

use crate::abi::{RUNTIME_VAR, TAIL, TAIL_FN};
use crate::graph::Tail;

/// The source with every tail `S` replaced by `__flx.tail(function __flx_tail(a, b) { S }, a, b);`.
pub fn apply(text: &str, tails: &[Tail]) -> String {
    let mut out = String::with_capacity(text.len() + tails.len() * 64);
    let mut at = 0;
    for t in tails {
        if t.start < at {
            continue; // nested in a tail already split
        }
        let params = t.params.join(", ");
        let args = if params.is_empty() {
            String::new()
        } else {
            format!(", {params}")
        };
        out.push_str(&text[at..t.start]);
        out.push_str(&format!(
            "{RUNTIME_VAR}.{TAIL}(function {TAIL_FN}({params}) {{ "
        ));
        out.push_str(&text[t.start..t.end]);
        out.push_str(&format!(" }}{args});"));
        at = t.end;
    }
    out.push_str(&text[at..]);
    out
}
