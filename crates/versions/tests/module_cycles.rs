//! No crate of the workspace may have a cycle among its modules: modules are layers (data types
//! at the bottom, errors above them, then what uses them), and a cycle means two modules are one
//! module in two files.
//!
//! The check reads the source text (no parser dependency): `use crate::…`, `use super::…` and
//! `use self::…` items (braces expanded, several lines allowed) and `crate::a::b` paths written
//! in code give the edges; a path ends at the longest module it names, and a name the target
//! module only re-exports (`pub use x::Name`) is followed to the module that defines it.
//! Re-exports themselves are not edges (a facade depends on nothing), and comments are skipped.
//!
//! It walks every crate of the workspace (`crates/*`, `clients/*` and the root `src/`), so a new crate is
//! covered without editing this file. `KNOWN` lists crates whose cycles are not fixed yet: their
//! cycles are printed, not failed on, and the test fails once such a crate has none, so that
//! the entry is removed and the crate stays clean.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Crates (by folder) still allowed to have module cycles.
const KNOWN: &[&str] = &[];

/// Module path (`""` is the crate root, `"a::b"` a nested module) → file text.
type Modules = BTreeMap<String, String>;

fn collect(src: &Path, dir: &Path, out: &mut Modules) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "bin") && dir == src {
                continue;
            }
            collect(src, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts.len() == 1 && (parts[0] == "lib" || parts[0] == "main") {
                parts.clear();
            }
            out.insert(parts.join("::"), fs::read_to_string(&path).unwrap());
        }
    }
}

/// The text without comments (line comments, doc comments, block comments) and string literals'
/// contents, so that neither a doc link nor `"got://host"` counts as a path.
fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if b[i] == b'"' {
            out.push('"');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            out.push('"');
            i += 1;
        } else if b[i] == b'\'' && i + 2 < b.len() && (b[i + 2] == b'\'' || b[i + 1] == b'\\') {
            // A char literal ('"', '\n'); lifetimes ('a) have no closing quote nearby.
            let end = text[i + 1..].find('\'').map_or(b.len(), |j| i + 2 + j);
            out.push_str("' '");
            i = end;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// Expands a use tree (`a::{b, c::{d, e}}`) into paths.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree
        .replace(" as ", "@")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(open) = tree.find('{') else {
        // `path as alias`: the path is what counts.
        return vec![tree.split('@').next().unwrap_or(&tree).to_owned()];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.trim_end_matches("::").to_owned()
            } else {
                format!("{prefix}{p}")
            }
        })
        .collect()
}

struct UseItem {
    path: Vec<String>,
    reexport: bool,
}

/// `use` items of a file, with paths made absolute (crate-relative segments). `super` at the
/// file's top level is the file module's parent; inside an inline module (an indented `use`,
/// e.g. `mod tests { use super::*; }`) it is the file module itself.
/// A path whose first segment is a child module of the current one (`pub use a::A` in
/// `lib.rs`) is relative to the current module.
fn uses(module: &str, text: &str, modules: &Modules) -> Vec<UseItem> {
    let here: Vec<String> = if module.is_empty() {
        vec![]
    } else {
        module.split("::").map(str::to_owned).collect()
    };
    let mut items = Vec::new();
    let mut rest = text;
    while let Some(at) = find_use(rest) {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let head = &rest[line_start..at];
        let indented = head.starts_with(char::is_whitespace);
        let reexport = head.trim_start().starts_with("pub");
        let body_start = at + 4;
        let Some(end) = rest[body_start..].find(';') else {
            break;
        };
        let tree = &rest[body_start..body_start + end];
        rest = &rest[body_start + end..];
        for path in expand(tree) {
            let segs: Vec<&str> = path.split("::").collect();
            let base: Vec<String> = match segs[0] {
                "crate" => vec![],
                "self" => here.clone(),
                "super" if indented => here.clone(),
                "super" => here[..here.len().saturating_sub(1)].to_vec(),
                child if modules.contains_key(&join(&here, child)) => {
                    let mut abs = here.clone();
                    abs.extend(segs.iter().map(|s| s.to_string()));
                    items.push(UseItem {
                        path: abs,
                        reexport,
                    });
                    continue;
                }
                _ => continue,
            };
            let mut abs = base;
            let mut segs = &segs[1..];
            while segs.first() == Some(&"super") {
                abs.pop();
                segs = &segs[1..];
            }
            abs.extend(segs.iter().map(|s| s.to_string()));
            items.push(UseItem {
                path: abs,
                reexport,
            });
        }
    }
    items
}

fn join(base: &[String], name: &str) -> String {
    let mut parts = base.to_vec();
    parts.push(name.to_owned());
    parts.join("::")
}

fn find_use(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find("use ") {
        let at = from + i;
        let before = text[..at].chars().next_back();
        if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// `crate::a::b` paths written in code (not in `use` items, which [`uses`] reads).
fn code_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("crate::") {
        let at = from + i;
        from = at + 7;
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let path: String = text[from..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        out.push(
            path.split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        );
    }
    out
}

/// The module a path names: its longest prefix that is a module, followed through that
/// module's re-exports when the next segment is a name it re-exports.
fn resolve(
    path: &[String],
    modules: &Modules,
    reexports: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    depth: usize,
) -> String {
    let mut best = String::new();
    let mut rest_at = 0;
    for n in 1..=path.len() {
        let m = path[..n].join("::");
        if modules.contains_key(&m) {
            best = m;
            rest_at = n;
        }
    }
    if depth < 8 {
        if let Some(name) = path.get(rest_at) {
            if let Some(target) = reexports.get(&best).and_then(|r| r.get(name)) {
                let mut full = target.clone();
                full.extend(path[rest_at + 1..].iter().cloned());
                return resolve(&full, modules, reexports, depth + 1);
            }
        }
    }
    best
}

/// The cycles of one crate's module graph (each as a list of modules, first repeated last).
fn cycles(src: &Path) -> Vec<Vec<String>> {
    let mut modules = Modules::new();
    collect(src, src, &mut modules);
    let stripped: BTreeMap<&String, String> = modules.iter().map(|(m, t)| (m, strip(t))).collect();
    let mut reexports: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (m, text) in &stripped {
        for item in uses(m, text, &modules).into_iter().filter(|u| u.reexport) {
            if let Some(name) = item.path.last() {
                reexports
                    .entry((*m).clone())
                    .or_default()
                    .insert(name.clone(), item.path.clone());
            }
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, text) in &stripped {
        let mut targets: Vec<Vec<String>> = uses(m, text, &modules)
            .into_iter()
            .filter(|u| !u.reexport)
            .map(|u| u.path)
            .collect();
        targets.extend(code_paths(text));
        for path in targets {
            let to = resolve(&path, &modules, &reexports, 0);
            // The root only re-exports and declares; a child's use of its own parent's items
            // through `super` is allowed when the parent defines them (no edge back).
            if to != **m && !to.is_empty() && !m.starts_with(&format!("{to}::")) {
                edges.entry((*m).clone()).or_default().insert(to);
            }
        }
    }
    find_cycles(&edges)
}

fn find_cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    // Depth-first search; each back edge closes one cycle (enough to report and to fail on).
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        if done.contains(m) {
            return;
        }
        if let Some(at) = stack.iter().position(|s| s == m) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(m.to_owned());
            found.push(cycle);
            return;
        }
        stack.push(m.to_owned());
        for to in edges.get(m).into_iter().flatten() {
            visit(to, edges, stack, done, found);
        }
        stack.pop();
        done.insert(m.to_owned());
    }
    let mut found = Vec::new();
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        visit(m, edges, &mut Vec::new(), &mut done, &mut found);
    }
    found
}

fn workspace_crates() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut crates = vec![("(root)".to_owned(), root.join("src"))];
    // Rust under clients/ (the Python binding) is checked too.
    let mut dirs: Vec<PathBuf> = ["crates", "clients"]
        .iter()
        .filter_map(|d| fs::read_dir(root.join(d)).ok())
        .flatten()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("src").is_dir() && p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d.file_name().unwrap().to_string_lossy().into_owned();
        crates.push((name, d.join("src")));
    }
    crates
}

#[test]
fn no_crate_has_a_module_cycle() {
    let mut failures = Vec::new();
    for (name, src) in workspace_crates() {
        if !src.is_dir() {
            continue;
        }
        let found = cycles(&src);
        let show = |c: &Vec<String>| c.join(" → ");
        if KNOWN.contains(&name.as_str()) {
            if found.is_empty() {
                failures.push(format!(
                    "crate {name} has no module cycle any more: remove it from KNOWN"
                ));
            }
            for c in &found {
                eprintln!("known cycle in crate {name} (to fix): {}", show(c));
            }
        } else {
            for c in &found {
                failures.push(format!("module cycle in crate {name}: {}", show(c)));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_checker_sees_cycles() {
    let dir = std::env::temp_dir().join(format!("module-cycles-{}", std::process::id()));
    let src = dir.join("src");
    fs::create_dir_all(src.join("nested")).unwrap();
    fs::write(
        src.join("lib.rs"),
        "pub mod a;\npub mod b;\npub mod nested;\npub use a::A;\n",
    )
    .unwrap();
    fs::write(
        src.join("a.rs"),
        "use crate::b::{self, B};\npub struct A;\n",
    )
    .unwrap();
    fs::write(src.join("b.rs"), "pub struct B(crate::nested::inner::C);\n").unwrap();
    fs::write(src.join("nested/mod.rs"), "pub mod inner;\n").unwrap();
    // Through the root's re-export of `A`, and a multi-line grouped `super` use.
    fs::write(
        src.join("nested/inner.rs"),
        "// use crate::b; (a comment is no edge)\nuse super::super::{\n    A,\n};\npub struct C;\n",
    )
    .unwrap();
    let found = cycles(&src);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        found,
        vec![vec!["a", "b", "nested::inner", "a"]
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()]
    );
}
