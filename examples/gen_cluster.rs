//! Writes a synthetic cluster to a directory, one file per namespace.
//!
//! `cargo run --release --example gen_cluster -- OUT_DIR [NAMESPACES WORKLOADS POLICIES SEED]`
//! Defaults: 500 namespaces, 20000 workloads, 10000 policies, seed 1.

use std::path::PathBuf;
use std::process::ExitCode;

use netpol_lint::synth::{Params, generate};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(out) = args.first().map(PathBuf::from) else {
        eprintln!("usage: gen_cluster OUT_DIR [NAMESPACES WORKLOADS POLICIES SEED]");
        return ExitCode::from(2);
    };
    let num =
        |i: usize, default: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let params = Params {
        namespaces: num(1, 500),
        workloads: num(2, 20_000),
        policies: num(3, 10_000),
        seed: num(4, 1) as u64,
    };
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("cannot create {}: {e}", out.display());
        return ExitCode::from(2);
    }
    let mut bytes = 0;
    for (name, text) in generate(&params) {
        bytes += text.len();
        if let Err(e) = std::fs::write(out.join(&name), text) {
            eprintln!("cannot write {name}: {e}");
            return ExitCode::from(2);
        }
    }
    eprintln!(
        "wrote {params:?}: {:.1} MB in {}",
        bytes as f64 / 1e6,
        out.display()
    );
    ExitCode::SUCCESS
}
