//! The `.js/.cjs/.mjs` files under some folders, for the examples that compile whole trees
//! (tree, corpus, fuzz): in sorted order, each file once however many symlinks reach it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Every JavaScript file under `dirs`, at most `max_bytes` long when given.
pub fn js_files(dirs: &[PathBuf], max_bytes: Option<u64>) -> Vec<PathBuf> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for d in dirs {
        walk(d, max_bytes, &mut seen, &mut out);
    }
    out
}

fn walk(dir: &Path, max_bytes: Option<u64>, seen: &mut HashSet<PathBuf>, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        let Ok(real) = p.canonicalize() else {
            continue; // a dangling symlink
        };
        if !seen.insert(real.clone()) {
            continue;
        }
        if real.is_dir() {
            walk(&p, max_bytes, seen, out);
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("js" | "cjs" | "mjs")
        ) && max_bytes
            .is_none_or(|max| std::fs::metadata(&p).is_ok_and(|m| m.len() <= max))
        {
            out.push(p);
        }
    }
}
