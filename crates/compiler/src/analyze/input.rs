//! What both passes read: the source, its file name, the rupture rules and the run-time options,
//! with the conversions from swc's positions to offsets in the source.

use super::facts::*;
use crate::diagnostics::{Warning, WarningCode};
use crate::rules::Rules;
use crate::source::SourceText;
use swc_core::common::{BytePos, Span, SyntaxContext};

pub struct Analyzer<'a> {
    pub src: &'a SourceText<'a>,
    pub file: &'a str,
    pub start: BytePos,
    pub unresolved: SyntaxContext,
    pub rules: &'a Rules,
    /// See `Options::handlers`.
    pub handlers: &'a [usize],
    /// See `Options::functions`.
    pub functions: &'a [usize],
}

impl Analyzer<'_> {
    pub(super) fn off(&self, pos: BytePos) -> usize {
        (pos.0.saturating_sub(self.start.0)) as usize
    }

    pub(super) fn range(&self, span: Span) -> (usize, usize) {
        (self.off(span.lo), self.off(span.hi))
    }

    pub(super) fn warn(&self, facts: &mut Facts, code: WarningCode, span: Span, message: String) {
        facts.warnings.push(Warning {
            code,
            message,
            file: self.file.to_string(),
            loc: self.src.loc(self.off(span.lo)),
        });
    }
}
