//! Printers for the graph: the paper's fluxional text, JSON and Graphviz.

pub mod dot;
pub mod flx;
pub mod js;
pub mod json;
mod source_map;
