//! What the compiler refuses to start because it would not finish in time: two shapes where
//! swc, which we do not patch, is quadratic. Both checks are linear and run before the pass they
//! guard; a file over either limit is not compiled and loads unmodified (`FLUXION_UNCOMPILED`),
//! rather than stalling an app's start-up. No file in a 6,170-file `node_modules` (typescript,
//! playwright-core, webpack) comes within a tenth of either.
//!
//! - **`else if` chains, in swc's parser**: each `else if` is appended by walking the chain from
//!   its head (`adjust_if_else_clause`), so a chain of k costs k²/2 steps: 10,000 took 0.2 s,
//!   50,000 took 20 s. The chain is not known before parsing; the number of `else if` in the
//!   text bounds it (`else_ifs`).
//! - **Nested blocks, in swc's `resolver`**: every statement list hoists the `var`s of all
//!   statements nested under it (up to the enclosing function), and every identifier looks its name
//!   up scope by scope. 8,000 nested blocks (32 KB) took 1 s, twice the depth four times as long.
//!   `resolver_work` counts both walks on the parsed program: each statement costs the statement
//!   lists around it in its function, each reference (not a declaring name) the scopes around it.

use crate::diagnostics::CompileError;
use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{noop_visit_type, Visit, VisitWith};

/// `else if` a file may hold: a single chain this long parses in about half a second (~4 ns a
/// step). The most in the tree above is 1,261 (typescript.js).
pub const ELSE_LIMIT: usize = 16_384;

/// Resolver steps a file may cost. Measured (release): nested blocks ~32 ns a step (5,000 deep:
/// 12.5 M steps, 0.39 s; 8,000: 32 M, 1.04 s), nested `if (a) {` ~15 ns (4,000 deep: 24 M,
/// 0.37 s), so at most about 0.9 s. The most in the tree above is 1.06 million (typescript.js).
pub const RESOLVER_LIMIT: u64 = 28_000_000;

/// Refuses a text whose `else if` chains swc's parser would take too long over (before parsing).
pub fn check_text(file: &str, text: &str) -> Result<(), CompileError> {
    let count = else_ifs(text);
    if count > ELSE_LIMIT {
        return Err(CompileError::TooManyElse {
            file: file.to_string(),
            count,
            limit: ELSE_LIMIT,
        });
    }
    Ok(())
}

/// Refuses a parsed program whose nesting swc's resolver would take too long over (before
/// resolving).
pub fn check_program(file: &str, program: &Program) -> Result<(), CompileError> {
    let work = resolver_work(program, RESOLVER_LIMIT);
    if work > RESOLVER_LIMIT {
        return Err(CompileError::TooNested {
            file: file.to_string(),
            work,
            limit: RESOLVER_LIMIT,
        });
    }
    Ok(())
}

/// The `else if` in a source text: `else` as a whole word, then `if`, with only whitespace and
/// comments between. Only these lengthen a chain; a final `else` costs no walk. Those in strings,
/// comments or regular expressions, and those of separate chains, count too: an over-count only
/// makes the check stricter.
pub fn else_ifs(text: &str) -> usize {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    memchr::memmem::find_iter(bytes, b"else")
        .filter(|&at| {
            // A blank is required between the words: `elseif` and `else$if` are names.
            let i = skip_blank(bytes, at + 4);
            (at == 0 || !word(bytes[at - 1]))
                && i > at + 4
                && bytes[i..].starts_with(b"if")
                && bytes.get(i + 2).is_none_or(|&b| !word(b))
        })
        .count()
}

/// The index after any whitespace and comments from `i`.
fn skip_blank(bytes: &[u8], mut i: usize) -> usize {
    loop {
        match bytes.get(i..) {
            Some([b, ..]) if b.is_ascii_whitespace() => i += 1,
            Some([b'/', b'*', ..]) => {
                i = memchr::memmem::find(&bytes[i + 2..], b"*/").map_or(bytes.len(), |e| i + 4 + e)
            }
            Some([b'/', b'/', ..]) => {
                i = memchr::memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |e| i + e)
            }
            _ => return i,
        }
    }
}

/// The estimated resolver steps, counted up to just past `limit` (the visit still ends: it is
/// linear).
pub fn resolver_work(program: &Program, limit: u64) -> u64 {
    let mut v = Counter {
        lists_in_fn: 0,
        scopes: 0,
        work: 0,
        limit,
    };
    program.visit_with(&mut v);
    v.work
}

struct Counter {
    /// Statement lists enclosing this point inside the current function: the hoisting walks that
    /// pass over a statement here.
    lists_in_fn: u64,
    /// Scopes enclosing this point: the steps of one name lookup at worst.
    scopes: u64,
    work: u64,
    limit: u64,
}

impl Counter {
    fn add(&mut self, steps: u64) {
        if self.work <= self.limit {
            self.work += steps;
        }
    }

    fn in_function(&mut self, f: impl FnOnce(&mut Self)) {
        let lists = std::mem::replace(&mut self.lists_in_fn, 0);
        self.scopes += 1;
        f(self);
        self.scopes -= 1;
        self.lists_in_fn = lists;
    }
}

impl Visit for Counter {
    // Types and literals hold no statements and no bindings the resolver walks.
    noop_visit_type!();

    fn visit_lit(&mut self, _: &Lit) {}

    fn visit_tpl_element(&mut self, _: &TplElement) {}

    fn visit_stmts(&mut self, n: &[Stmt]) {
        self.lists_in_fn += 1;
        n.visit_children_with(self);
        self.lists_in_fn -= 1;
    }

    fn visit_module_items(&mut self, n: &[ModuleItem]) {
        self.lists_in_fn += 1;
        n.visit_children_with(self);
        self.lists_in_fn -= 1;
    }

    fn visit_stmt(&mut self, n: &Stmt) {
        self.add(self.lists_in_fn);
        n.visit_children_with(self);
    }

    fn visit_block_stmt(&mut self, n: &BlockStmt) {
        self.scopes += 1;
        n.visit_children_with(self);
        self.scopes -= 1;
    }

    fn visit_function(&mut self, n: &Function) {
        self.in_function(|v| n.visit_children_with(v));
    }

    fn visit_arrow_expr(&mut self, n: &ArrowExpr) {
        self.in_function(|v| n.visit_children_with(v));
    }

    fn visit_constructor(&mut self, n: &Constructor) {
        self.in_function(|v| n.visit_children_with(v));
    }

    fn visit_class(&mut self, n: &Class) {
        self.scopes += 1;
        n.visit_children_with(self);
        self.scopes -= 1;
    }

    /// A reference is looked up scope by scope; a binding is declared in its own scope, no walk.
    fn visit_ident(&mut self, _: &Ident) {
        self.add(self.scopes);
    }

    fn visit_binding_ident(&mut self, n: &BindingIdent) {
        n.type_ann.visit_with(self);
    }

    fn visit_fn_decl(&mut self, n: &FnDecl) {
        n.function.visit_with(self);
    }

    fn visit_fn_expr(&mut self, n: &FnExpr) {
        n.function.visit_with(self);
    }

    fn visit_class_decl(&mut self, n: &ClassDecl) {
        n.class.visit_with(self);
    }

    fn visit_class_expr(&mut self, n: &ClassExpr) {
        n.class.visit_with(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use swc_core::common::{sync::Lrc, FileName, SourceMap};
    use swc_core::ecma::parser::{parse_file_as_program, EsSyntax, Syntax};

    /// On a thread with room for 8,000 levels of the parser's recursion (the compiler itself runs
    /// on a stack sized by `stack::run`).
    fn work(src: &str) -> u64 {
        let src = src.to_string();
        std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || parse_and_count(&src))
            .unwrap()
            .join()
            .unwrap()
    }

    fn parse_and_count(src: &str) -> u64 {
        let cm: Lrc<SourceMap> = Default::default();
        let fm = cm.new_source_file(Lrc::new(FileName::Anon), src.to_string());
        let p = parse_file_as_program(
            &fm,
            Syntax::Es(EsSyntax::default()),
            EsVersion::latest(),
            None,
            &mut vec![],
        )
        .unwrap();
        resolver_work(&p, u64::MAX)
    }

    fn nested_blocks(n: usize) -> String {
        format!("{}x();{}", "{ ".repeat(n), " }".repeat(n))
    }

    #[test]
    fn else_if_is_counted_between_blanks_and_comments() {
        assert_eq!(else_ifs("if (a) b(); else if (c) d(); else{e()}"), 1);
        assert_eq!(else_ifs("if(a){}else if(b){}else\n  if (c) {}"), 2);
        assert_eq!(else_ifs("x; else /* c */ // d\n if (a) {}"), 1);
        assert_eq!(
            else_ifs("elseif; $else if; else_ if; else iffy; else$if"),
            0
        );
        assert_eq!(else_ifs("// else if\n'else if'"), 2);
        assert_eq!(else_ifs("else /* unclosed"), 0);
        assert_eq!(else_ifs("else if"), 1);
        assert_eq!(else_ifs(""), 0);
    }

    #[test]
    fn flat_code_is_linear() {
        let one = work(&"a(b, c);\n".repeat(1_000));
        let ten = work(&"a(b, c);\n".repeat(10_000));
        assert!(ten <= one * 10 + 10, "{one} -> {ten}");
    }

    #[test]
    fn nested_blocks_are_quadratic() {
        let a = work(&nested_blocks(1_000));
        let b = work(&nested_blocks(2_000));
        assert!(b >= a * 3, "{a} -> {b}");
        assert!(work(&nested_blocks(8_000)) > RESOLVER_LIMIT);
    }

    #[test]
    fn declaring_a_name_costs_no_lookup() {
        // 5,000 nested named functions: 7 ms in the resolver, not the 12.5 M steps of a lookup
        // of each name through every scope above it.
        let funcs = format!(
            "{}a();{}",
            "function f(){ ".repeat(5_000),
            "}".repeat(5_000)
        );
        assert!(work(&funcs) < 100_000, "{}", work(&funcs));
    }

    #[test]
    fn a_function_starts_its_own_hoisting() {
        // The same statements, nested in blocks or each in its own function: only blocks add up.
        let blocks = work(&nested_blocks(500));
        let funcs = format!(
            "{}x();{}",
            "(function () { ".repeat(500),
            " })();".repeat(500)
        );
        assert!(work(&funcs) < blocks, "{} vs {blocks}", work(&funcs));
    }
}
