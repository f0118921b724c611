//! `cargo run --example compile -- <file> [flx|json|dot]`: the compiler without Node.
fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: compile <file> [flx|json|dot]");
    let emit = args.next().unwrap_or_else(|| "flx".into()).parse().unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    match fluxion_compiler::compile(&file, &text, emit, &Default::default()) {
        Ok((out, warnings)) => {
            print!("{out}");
            for w in warnings {
                eprintln!("{w}");
            }
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
