//! Positions in the original source: byte offsets to `line:col` and code frames.

use serde::Serialize;

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Loc {
    pub line: u32,
    pub col: u32,
}

/// Maps byte offsets of one source text to lines and columns.
pub struct SourceText<'a> {
    pub text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> SourceText<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceText { text, line_starts }
    }

    pub fn loc(&self, offset: usize) -> Loc {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text[start..floor_char(self.text, offset)]
            .chars()
            .count();
        Loc {
            line: line as u32 + 1,
            col: col as u32 + 1,
        }
    }

    /// Two lines of context before the error line, the line, and a caret under the column.
    pub fn code_frame(&self, loc: Loc) -> String {
        let lines: Vec<&str> = self.text.split('\n').collect();
        let target = loc.line as usize;
        let first = target.saturating_sub(2).max(1);
        let last = (target + 1).min(lines.len());
        let width = last.to_string().len();
        let mut out = String::new();
        for n in first..=last {
            let text = lines
                .get(n - 1)
                .copied()
                .unwrap_or("")
                .trim_end_matches('\r');
            let marker = if n == target { '>' } else { ' ' };
            out.push_str(&format!("{marker} {n:>width$} | {text}\n"));
            if n == target {
                let pad: String = text
                    .chars()
                    .take(loc.col.saturating_sub(1) as usize)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                out.push_str(&format!("  {:>width$} | {pad}^\n", ""));
            }
        }
        out
    }

    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        let end = floor_char(self.text, end.min(self.text.len()));
        let start = floor_char(self.text, start.min(end));
        &self.text[start..end]
    }
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loc_and_frame() {
        let s = SourceText::new("a\nbé c\nd");
        assert_eq!(s.loc(0), Loc { line: 1, col: 1 });
        assert_eq!(s.loc(6), Loc { line: 2, col: 4 });
        let frame = s.code_frame(Loc { line: 2, col: 4 });
        assert!(frame.contains("> 2 | bé c"), "{frame}");
        assert!(frame.contains("|    ^"), "{frame}");
    }
}
