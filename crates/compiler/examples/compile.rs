//! `cargo run --example compile -- <file> [flx|json|dot]`: the compiler without Node.
fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("usage: compile <file> [flx|json|dot]");
    let format = args.next().unwrap_or_else(|| "flx".into());
    let text = std::fs::read_to_string(&file).unwrap();
    if format == "js" {
        let (js, _) =
            fluxion_compiler::transform(&file, &text, "fluxion/runtime", &Default::default())
                .unwrap();
        print!("{}", js.code);
        return;
    }
    let emit = format.parse().unwrap();
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
