//! Graphviz: one node per fluxion (its context in the label), start streams bold, post streams
//! dashed, one cluster per tag group.

use crate::graph::Graph;
use crate::rules::RuptureKind;
use std::collections::BTreeMap;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A label of several lines: each line quoted on its own, joined by Graphviz's `\n` (which a
/// quoted string must keep as an escape, not as an escaped backslash).
fn quote_lines(lines: &[String]) -> String {
    let quoted: Vec<String> = lines
        .iter()
        .map(|l| l.replace('\\', "\\\\").replace('"', "\\\""))
        .collect();
    format!("\"{}\"", quoted.join("\\n"))
}

pub fn print(graph: &Graph) -> String {
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        quote(&graph.file)
    );
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &graph.fluxions {
        // A route handler is known by its route first; its name still tells the code apart.
        let mut label: Vec<String> = f.route.iter().cloned().collect();
        label.push(f.name.clone());
        if !f.context.is_empty() {
            label.push(format!("{{{}}}", f.context.join(", ")));
        }
        let style = if f.opaque { ", style=dashed" } else { "" };
        out.push_str(&format!(
            "  {} [label={}{style}];\n",
            quote(&f.name),
            quote_lines(&label)
        ));
        for t in &f.tags {
            groups.entry(t).or_default().push(&f.name);
        }
    }
    for (i, (tag, members)) in groups.iter().enumerate() {
        out.push_str(&format!(
            "  subgraph cluster_{i} {{\n    label={};\n",
            quote(tag)
        ));
        for m in members {
            out.push_str(&format!("    {};\n", quote(m)));
        }
        out.push_str("  }\n");
    }
    for f in &graph.fluxions {
        for s in &f.streams {
            let style = match s.kind {
                RuptureKind::Start => "bold",
                RuptureKind::Post => "dashed",
            };
            out.push_str(&format!(
                "  {} -> {} [label={}, style={style}];\n",
                quote(&f.name),
                quote(&s.to),
                quote(&format!("{} [{}]", s.kind.arrow(), s.vars.join(", ")))
            ));
        }
    }
    out.push_str("}\n");
    out
}
