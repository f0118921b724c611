//! The source map of an emitted module, written as its mappings are found.
//!
//! The emitted JS is the original text with insertions, so its mappings arrive in output order
//! (one at the start of every copied line and of every insertion): they are encoded as they come,
//! with no token table to sort and no second pass. The JSON is the same, byte for byte, as
//! `swc_sourcemap`'s (v3, one source with its content, no names), which this replaced for speed.

/// Mappings of one generated file to one source, in output order.
pub struct SourceMapWriter {
    mappings: String,
    /// Whether a mapping was written: the four positions below are then the last one's.
    written: bool,
    dst_line: u32,
    dst_col: u32,
    src_line: u32,
    src_col: u32,
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// One base64 VLQ number (the source map v3 encoding of a delta).
fn vlq(out: &mut String, delta: i64) {
    let mut v = if delta < 0 {
        ((-delta) << 1) | 1
    } else {
        delta << 1
    } as u64;
    loop {
        let mut digit = (v & 0b11111) as u8;
        v >>= 5;
        if v > 0 {
            digit |= 0b100000;
        }
        out.push(BASE64[digit as usize] as char);
        if v == 0 {
            break;
        }
    }
}

impl SourceMapWriter {
    pub fn with_capacity(bytes: usize) -> Self {
        SourceMapWriter {
            mappings: String::with_capacity(bytes),
            written: false,
            dst_line: 0,
            dst_col: 0,
            src_line: 0,
            src_col: 0,
        }
    }

    /// Maps generated (`line`, `col`) to source (`src_line`, `src_col`), all 0-based. Calls come
    /// in output order; a mapping equal to the one before it adds nothing.
    pub fn add(&mut self, line: u32, col: u32, src_line: u32, src_col: u32) {
        debug_assert!(!self.written || (self.dst_line, self.dst_col) <= (line, col));
        if line != self.dst_line {
            for _ in self.dst_line..line {
                self.mappings.push(';');
            }
            self.dst_line = line;
            self.dst_col = 0;
        } else if self.written {
            if (self.dst_col, self.src_line, self.src_col) == (col, src_line, src_col) {
                return;
            }
            self.mappings.push(',');
        }
        vlq(&mut self.mappings, i64::from(col) - i64::from(self.dst_col));
        // The one source's id, 0, as a delta from 0.
        self.mappings.push('A');
        vlq(
            &mut self.mappings,
            i64::from(src_line) - i64::from(self.src_line),
        );
        vlq(
            &mut self.mappings,
            i64::from(src_col) - i64::from(self.src_col),
        );
        self.dst_col = col;
        self.src_line = src_line;
        self.src_col = src_col;
        self.written = true;
    }

    /// The source map's JSON, naming `file` and embedding its `content`.
    pub fn finish(self, file: &str, content: &str) -> String {
        // serde_json escapes, not a SIMD escaper: json-escape-simd (tried, 0.05 s faster over a
        // whole node_modules) loads 32 bytes at a time past the end of a short string. Its loads
        // do not cross a page, so they cannot fault, but they read outside the allocation:
        // AddressSanitizer stopped `cargo fuzz` on its first input.
        let mut out = Vec::with_capacity(content.len() + self.mappings.len() + file.len() + 96);
        out.extend_from_slice(b"{\"version\":3,\"sources\":[");
        serde_json::to_writer(&mut out, file).expect("writing to memory");
        out.extend_from_slice(b"],\"sourcesContent\":[");
        serde_json::to_writer(&mut out, content).expect("writing to memory");
        out.extend_from_slice(b"],\"names\":[],\"mappings\":\"");
        out.extend_from_slice(self.mappings.as_bytes());
        out.extend_from_slice(b"\"}");
        String::from_utf8(out).expect("JSON of UTF-8 strings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vlq_matches_the_spec_examples() {
        let enc = |d| {
            let mut s = String::new();
            vlq(&mut s, d);
            s
        };
        assert_eq!(enc(0), "A");
        assert_eq!(enc(1), "C");
        assert_eq!(enc(-1), "D");
        assert_eq!(enc(15), "e");
        assert_eq!(enc(16), "gB");
        assert_eq!(enc(-16), "hB");
        assert_eq!(enc(1000), "w+B");
    }

    #[test]
    fn same_json_as_swc_sourcemap() {
        let marks = [
            (0, 0, 0, 0),
            (0, 0, 0, 0),
            (0, 13, 0, 13),
            (1, 0, 1, 0),
            (1, 4, 1, 4),
            (3, 0, 2, 7),
            (3, 30, 0, 2),
        ];
        let content = "a\n\"b\"\t\u{1}é\n";
        let mut ours = SourceMapWriter::with_capacity(0);
        let mut theirs = swc_sourcemap::SourceMapBuilder::new(None);
        let id = theirs.add_source(bytes_str::BytesStr::from("dir/x.js".to_string()));
        theirs.set_source_contents(id, Some(bytes_str::BytesStr::from(content.to_string())));
        for (l, c, sl, sc) in marks {
            ours.add(l, c, sl, sc);
            theirs.add_raw(l, c, sl, sc, Some(id), None, false);
        }
        let mut buf = Vec::new();
        theirs.into_sourcemap().to_writer(&mut buf).unwrap();
        assert_eq!(
            ours.finish("dir/x.js", content),
            String::from_utf8(buf).unwrap()
        );
    }
}
