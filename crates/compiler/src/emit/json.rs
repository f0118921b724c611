use crate::graph::Graph;

pub fn print(graph: &Graph) -> String {
    serde_json::to_string_pretty(graph).expect("the graph is plain data")
}
