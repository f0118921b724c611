use crate::flx::{Arrow, FlxDecl, FlxStream, Program};
use crate::graph::Graph;
use crate::rules::RuptureKind;

/// The graph as the paper's fluxional program (Listing 2 style).
pub fn program(graph: &Graph) -> Program {
    Program {
        fluxions: graph
            .fluxions
            .iter()
            .map(|f| FlxDecl {
                name: f.name.clone(),
                tags: f.tags.clone(),
                context: f.context.clone(),
                streams: f
                    .streams
                    .iter()
                    .map(|s| FlxStream {
                        arrow: match s.kind {
                            RuptureKind::Start => Arrow::Start,
                            RuptureKind::Post => Arrow::Post,
                        },
                        dests: vec![s.to.clone()],
                        vars: s.vars.clone(),
                    })
                    .collect(),
                body: dedent(&f.text),
            })
            .collect(),
    }
}

pub fn print(graph: &Graph) -> String {
    crate::flx::print(&program(graph))
}

/// Removes the indentation the code had in its file (the first line starts mid-line).
fn dedent(text: &str) -> String {
    let lines: Vec<&str> = text.trim_matches('\n').lines().collect();
    let indent = lines
        .iter()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let l = l.trim_end();
        if i == 0 {
            out.push_str(l.trim_start());
        } else {
            out.push_str(
                l.get(indent.min(l.len() - l.trim_start().len())..)
                    .unwrap_or(""),
            );
        }
        out.push('\n');
    }
    out
}
