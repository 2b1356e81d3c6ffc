//! Times each stage of the pipeline on generated clusters of growing size.
//!
//! `cargo run --release --example scale -- [BASE_WORKLOADS] [FACTORS...]`
//! The base cluster has BASE_WORKLOADS workloads (default 2500), half as
//! many policies and one namespace per 40 workloads; each factor multiplies
//! all three. Prints one row per size with the time of each stage.

use std::time::Instant;

use netpol_lint::engine::Engine;
use netpol_lint::load::load_texts;
use netpol_lint::synth::{Params, generate};

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let base = args.first().copied().unwrap_or(2500);
    let factors: Vec<usize> = if args.len() > 1 { args[1..].to_vec() } else { vec![1, 2, 4, 8] };
    println!("| factor | workloads | policies | MB | load s | engine s | reach s | lines | edges |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for f in factors {
        let w = base * f;
        let p = Params { namespaces: (w / 40).max(1), workloads: w, policies: w / 2, seed: 1 };
        let files = generate(&p);
        let mb = files.iter().map(|(_, t)| t.len()).sum::<usize>() as f64 / 1e6;
        let refs: Vec<(&str, &str)> = files.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let t0 = Instant::now();
        let loaded = load_texts(&refs);
        let t1 = Instant::now();
        let engine = Engine::new(&loaded.cluster);
        let t2 = Instant::now();
        let conn = engine.connectivity();
        let lines = conn.lines(&engine);
        let t3 = Instant::now();
        println!(
            "| {f} | {w} | {} | {mb:.1} | {:.3} | {:.3} | {:.3} | {} | {} |",
            p.policies,
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
            lines.len(),
            conn.graph.edge_count()
        );
    }
}
