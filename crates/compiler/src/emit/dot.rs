//! Graphviz: one node per fluxion (its context in the label), start streams bold, post streams
//! dashed, one cluster per tag group.

use crate::graph::Graph;
use crate::rules::RuptureKind;
use std::collections::BTreeMap;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn print(graph: &Graph) -> String {
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n",
        quote(&graph.file)
    );
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &graph.fluxions {
        let mut label = f.name.clone();
        if !f.context.is_empty() {
            label.push_str(&format!("\\n{{{}}}", f.context.join(", ")));
        }
        let style = if f.opaque { ", style=dashed" } else { "" };
        out.push_str(&format!(
            "  {} [label={}{style}];\n",
            quote(&f.name),
            quote(&label)
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
