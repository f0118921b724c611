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
    /// The source without a leading byte order mark. swc drops the mark from its copy, so its
    /// positions are offsets into this text: with the mark kept, every edit of a module landed
    /// three bytes early (found by `cargo fuzz`). Node ignores the mark (whitespace to
    /// JavaScript, stripped by the CommonJS loader), so the emitted module goes without it.
    pub text: &'a str,
    line_starts: Vec<usize>,
    /// For a text that is not all ASCII: the number of characters before each multiple of
    /// `CHAR_STEP` bytes (floored to a character boundary), so that a column costs at most
    /// `CHAR_STEP` bytes of counting, not the whole line (a minified bundle is one long line).
    /// Empty for ASCII text, where a column is a difference of offsets.
    char_marks: Vec<usize>,
}

const CHAR_STEP: usize = 1024;

impl<'a> SourceText<'a> {
    pub fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let mut char_marks = Vec::new();
        if !text.is_ascii() {
            let (mut chars, mut at) = (0, 0);
            for k in 0..=text.len() / CHAR_STEP {
                let next = floor_char(text, k * CHAR_STEP);
                chars += text[at..next].chars().count();
                char_marks.push(chars);
                at = next;
            }
        }
        SourceText {
            text,
            line_starts,
            char_marks,
        }
    }

    /// Characters before byte offset `at` (a character boundary).
    fn chars_before(&self, at: usize) -> usize {
        if self.char_marks.is_empty() {
            return at;
        }
        let k = at / CHAR_STEP;
        let mark = floor_char(self.text, k * CHAR_STEP);
        self.char_marks[k] + self.text[mark..at].chars().count()
    }

    /// How many lines the text has (a last line without a newline counts).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn loc(&self, offset: usize) -> Loc {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.chars_before(floor_char(self.text, offset)) - self.chars_before(start);
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

    /// Columns count characters, on long lines too (where they are counted from checkpoints).
    #[test]
    fn columns_on_a_long_non_ascii_line() {
        let text = "é".repeat(3000) + "x" + &"ab\n".repeat(3);
        let s = SourceText::new(&text);
        assert_eq!(s.loc(6000), Loc { line: 1, col: 3001 });
        assert_eq!(s.loc(5001), Loc { line: 1, col: 2501 }); // inside a character: floored
        assert_eq!(s.loc(6006), Loc { line: 2, col: 3 });
        for at in (0..text.len()).step_by(97) {
            let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap();
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let col = text[start..at].chars().count() as u32 + 1;
            assert_eq!(s.loc(at).col, col, "at {at}");
        }
    }
}
