//! An upper estimate of the work swc's `resolver` will do on a program, counted before it runs.
//!
//! The resolver is linear for real code but not in general: every statement list hoists the
//! `var`s of all statements nested under it (up to the enclosing function), and every identifier
//! looks its name up scope by scope. A file of 8,000 nested blocks is 32 KB and took 1 s; twice
//! that depth took four times as long. This pass counts both walks in one linear visit:
//! each statement costs the number of statement lists around it in its function, each identifier
//! the number of scopes around it. A file over `LIMIT` is refused (it loads unmodified) rather
//! than stalling an app's start-up.

use swc_core::ecma::ast::*;
use swc_core::ecma::visit::{noop_visit_type, Visit, VisitWith};

/// About half a second of resolver time on the slowest shape measured (nested blocks, ~30 ns a
/// step); the largest value over a 6,170-file `node_modules` (typescript, playwright-core,
/// webpack) is under a twentieth of it.
pub const LIMIT: u64 = 16_000_000;

/// The estimated steps, counted up to just past `limit` (the visit still ends: it is linear).
pub fn estimate(program: &Program, limit: u64) -> u64 {
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

    fn visit_ident(&mut self, _: &Ident) {
        self.add(self.scopes);
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
        estimate(&p, u64::MAX)
    }

    fn nested_blocks(n: usize) -> String {
        format!("{}x();{}", "{ ".repeat(n), " }".repeat(n))
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
        assert!(work(&nested_blocks(8_000)) > LIMIT);
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
