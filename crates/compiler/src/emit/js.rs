//! The module rewritten for the runtime: every fluxion callback registered (`__flx.fn`,
//! `__flx.post`), and a factory per post callback that another thread can re-create. Original
//! code keeps its lines (insertions only, no newline added before the end), and a source map
//! points the appended factories back to their original lines.

use super::source_map::SourceMapWriter;
use crate::abi::{CONTEXT, ESM_IMPORT, FACTORY, RUNTIME_VAR};
use crate::graph::Graph;
use crate::source::SourceText;

pub struct JsOutput {
    pub code: String,
    /// Source map (v3) as JSON.
    pub map: String,
}

struct Out<'a> {
    src: &'a SourceText<'a>,
    graph: &'a Graph,
    code: String,
    line: u32,
    col: u32,
    map: SourceMapWriter,
}

impl Out<'_> {
    fn insert(&mut self, s: &str) {
        // Lines and UTF-16 columns of what was written (source map positions).
        let newlines = s.bytes().filter(|&b| b == b'\n').count();
        let tail = match s.rfind('\n') {
            Some(i) => {
                self.line += newlines as u32;
                self.col = 0;
                &s[i + 1..]
            }
            None => s,
        };
        self.col += utf16_len(tail);
        self.code.push_str(s);
    }

    fn mark(&mut self, offset: usize) {
        let loc = self.src.loc(offset);
        self.mark_at(loc.line - 1, loc.col - 1);
    }

    /// Maps the output's current position to a 0-based source line and column.
    fn mark_at(&mut self, src_line: u32, src_col: u32) {
        self.map.add(self.line, self.col, src_line, src_col);
    }

    /// Copies original text, mapping every line it starts. After the first, each line starts at
    /// column 1 of the next source line: no lookup in the line table.
    fn raw(&mut self, a: usize, b: usize) {
        if a >= b {
            return;
        }
        let loc = self.src.loc(a);
        self.mark_at(loc.line - 1, loc.col - 1);
        let text = self.src.slice(a, b);
        if self.src.text.is_char_boundary(a) {
            let mut src_line = loc.line - 1;
            // Copied whole; each newline ends an output line, and a line after it starts at
            // column 1 of the next source line (found with memchr, no line copied by itself).
            self.code.push_str(text);
            let mut tail = 0;
            for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
                self.line += 1;
                self.col = 0;
                tail = nl + 1;
                if tail < text.len() {
                    src_line += 1;
                    self.mark_at(src_line, 0);
                }
            }
            self.col += utf16_len(&text[tail..]);
            return;
        }
        // Not at a character's start: each line's position is looked up.
        let mut offset = a;
        for (i, piece) in text.split_inclusive('\n').enumerate() {
            if i > 0 {
                self.mark(offset);
            }
            // A piece is one line, its newline last if it has one: no need to scan it as
            // `insert` does.
            if piece.ends_with('\n') {
                self.line += 1;
                self.col = 0;
            } else {
                self.col += utf16_len(piece);
            }
            self.code.push_str(piece);
            offset += piece.len();
        }
    }

    /// Copies `[a, b)` with every wrap inside it applied. The wraps are sorted by start (then
    /// outermost first): those inside `[a, b)` are found by a binary search, not a scan.
    fn copy(&mut self, a: usize, b: usize) {
        let graph = self.graph;
        let wraps = &graph.rewrite.wraps;
        let mut pos = a;
        let first = wraps.partition_point(|w| w.0 < a);
        for (s, e, before, after) in wraps[first..].iter().take_while(|w| w.0 <= b) {
            let (s, e) = (*s, *e);
            if e > b || (s, e) == (a, b) {
                continue;
            }
            if s < pos {
                continue; // nested in a wrap already copied
            }
            self.raw(pos, s);
            self.insert(before);
            self.copy(s, e);
            self.insert(after);
            pos = e;
        }
        self.raw(pos, b);
    }
}

/// Source map columns count UTF-16 code units.
fn utf16_len(s: &str) -> u32 {
    if s.is_ascii() {
        s.len() as u32
    } else {
        s.chars().map(|c| c.len_utf16() as u32).sum()
    }
}

/// `file://` URL of an absolute path (what `import` takes); other specifiers are left as they are.
fn file_url(path: &str) -> String {
    if !path.starts_with('/') {
        return path.to_string();
    }
    let mut url = String::from("file://");
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

/// `runtime` is what the prologue requires (an absolute path, or `fluxion/runtime`).
pub fn emit(graph: &Graph, text: &str, runtime: &str) -> JsOutput {
    emit_source(graph, &SourceText::new(text), runtime)
}

/// `emit` of a text whose line table is already built.
pub fn emit_source(graph: &Graph, src: &SourceText, runtime: &str) -> JsOutput {
    let text = src.text;
    let mut out = Out {
        src,
        graph,
        code: String::with_capacity(text.len() + 256),
        line: 0,
        col: 0,
        // About five bytes of mappings a line.
        map: SourceMapWriter::with_capacity(src.line_count() * 5 + 64),
    };
    let mut at = graph.rewrite.prologue_at;
    if at == 0 && text.starts_with("#!") {
        at = text.find('\n').map_or(text.len(), |i| i + 1);
    }
    out.copy(0, at);
    // No newline: every original line keeps its number.
    if graph.es_module {
        // An ES module has no `module`: it names itself, and carries its graph (the loader that
        // compiled it may run on another thread than the runtime).
        let url = serde_json::to_string(&file_url(runtime)).expect("a string");
        let graph_json = serde_json::to_string(graph).expect("plain data");
        out.insert(&format!(
            ";import {ESM_IMPORT} from {url};const {RUNTIME_VAR} = {ESM_IMPORT}({{ filename: import.meta.filename, graph: {graph_json} }});"
        ));
    } else {
        let runtime = serde_json::to_string(runtime).expect("a string");
        // The `;` ends a directive written without one (`'use strict'` then our code).
        out.insert(&format!(";var {RUNTIME_VAR} = require({runtime})(module);"));
    }
    out.copy(at, text.len());
    for (id, params, (a, b)) in &graph.rewrite.factories {
        let id = serde_json::to_string(id).expect("a string");
        out.insert(&format!(
            "\n;{RUNTIME_VAR}.{FACTORY}({id}, function ({}) {{ return (",
            params.join(", ")
        ));
        out.copy(*a, *b);
        out.insert("); });");
    }
    let vars = &graph.rewrite.context_vars;
    if !vars.is_empty() {
        // Closures over the module's own variables: the runtime reads and writes a context
        // without any change to the code that uses it.
        let names = serde_json::to_string(vars).expect("strings");
        let gets: String = vars
            .iter()
            .enumerate()
            .map(|(i, v)| format!("case {i}: return {v}; "))
            .collect();
        let sets: String = vars
            .iter()
            .enumerate()
            .map(|(i, v)| format!("case {i}: {v} = v; break; "))
            .collect();
        out.insert(&format!(
            "\n;{RUNTIME_VAR}.{CONTEXT}({names}, function (i) {{ switch (i) {{ {gets}}} }}, function (i, v) {{ switch (i) {{ {sets}}} }});"
        ));
    }
    out.insert("\n");
    JsOutput {
        code: out.code,
        map: out.map.finish(&graph.file, text),
    }
}
