//! Times each stage of the pipeline on generated clusters of growing size.
//!
//! ```text
//! cargo run --release --example scale -- [--rules] [BASE_WORKLOADS] [FACTORS...]
//! ```
//!
//! The base cluster has BASE_WORKLOADS workloads (default 2500), half as
//! many policies and one namespace per 40 workloads; each factor (default
//! 1 2 4 8) multiplies all three. Prints one Markdown row per size with the
//! time of each stage, in process (generation is not timed), then the growth
//! of each stage from the smallest size to the largest. `--rules` adds a
//! table of every rule's time at every size, slowest first, to find a rule
//! that grows faster than the input.

use std::time::{Duration, Instant};

use netpol_lint::engine::Engine;
use netpol_lint::load::load_texts;
use netpol_lint::report::{self, Format, RenderOptions, Summary};
use netpol_lint::rules::dns::DnsService;
use netpol_lint::rules::{self, Context};
use netpol_lint::synth::{Params, generate};

/// The stages of one size, in seconds.
struct Row {
    factor: usize,
    params: Params,
    mb: f64,
    load: f64,
    engine: f64,
    reach: f64,
    rules: f64,
    render_human: f64,
    render_json: f64,
    lines: usize,
    findings: usize,
    /// (rule name, seconds), in registry order.
    per_rule: Vec<(&'static str, f64)>,
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn measure(factor: usize, base: usize) -> Row {
    let w = base * factor;
    let params = Params {
        namespaces: (w / 40).max(1),
        workloads: w,
        policies: w / 2,
        seed: 1,
    };
    let files = generate(&params);
    let mb = files.iter().map(|(_, t)| t.len()).sum::<usize>() as f64 / 1e6;
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let t = Instant::now();
    let loaded = load_texts(&refs);
    let load = secs(t.elapsed());

    let t = Instant::now();
    let engine = Engine::new(&loaded.cluster);
    let engine_s = secs(t.elapsed());

    let t = Instant::now();
    let conn = engine.connectivity();
    let lines = conn.lines(&engine).len();
    let reach = secs(t.elapsed());

    // As in `check`, the rules start from an engine that has not computed
    // the connectivity map yet (`one-way-allow` pays for it).
    drop(conn);
    let engine = Engine::new(&loaded.cluster);
    let dns = DnsService::default();
    let cx = Context {
        cluster: &loaded.cluster,
        engine: &engine,
        sources: &loaded.sources,
        dns: &dns,
    };
    let mut diags = Vec::new();
    let mut per_rule = Vec::new();
    let t = Instant::now();
    for rule in rules::registry() {
        let r = Instant::now();
        rule.check(&cx, &mut diags);
        per_rule.push((rule.meta().name, secs(r.elapsed())));
    }
    let rules_s = secs(t.elapsed());

    report::sort(&mut diags, &loaded.sources);
    let summary = Summary::new(loaded.stats.files, loaded.stats.objects, &diags);
    let opts = RenderOptions {
        color: false,
        width: 100,
    };
    let render = |format| {
        let t = Instant::now();
        let text = report::render(format, &diags, &loaded.sources, &summary, &opts);
        std::hint::black_box(text);
        secs(t.elapsed())
    };
    let render_human = render(Format::Human);
    let render_json = render(Format::Json);
    Row {
        factor,
        params,
        mb,
        load,
        engine: engine_s,
        reach,
        rules: rules_s,
        render_human,
        render_json,
        lines,
        findings: diags.len(),
        per_rule,
    }
}

fn print_stages(rows: &[Row]) {
    println!(
        "| factor | workloads | policies | namespaces | MB | load s | engine s | reach s \
         | rules s | human s | json s | reach lines | findings |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {} |",
            r.factor,
            r.params.workloads,
            r.params.policies,
            r.params.namespaces,
            r.mb,
            r.load,
            r.engine,
            r.reach,
            r.rules,
            r.render_human,
            r.render_json,
            r.lines,
            r.findings
        );
    }
}

/// Growth of each stage from the first size to the last, against the growth
/// of the input: equal numbers mean linear cost.
fn print_growth(rows: &[Row]) {
    let (Some(a), Some(b)) = (rows.first(), rows.last()) else {
        return;
    };
    if rows.len() < 2 {
        return;
    }
    let g = |x: f64, y: f64| if x > 0.0 { y / x } else { f64::NAN };
    println!();
    println!(
        "growth {}x -> {}x (input x{:.1}): load x{:.1}, engine x{:.1}, reach x{:.1}, \
         rules x{:.1}, human x{:.1}, json x{:.1}",
        a.factor,
        b.factor,
        g(a.mb, b.mb),
        g(a.load, b.load),
        g(a.engine, b.engine),
        g(a.reach, b.reach),
        g(a.rules, b.rules),
        g(a.render_human, b.render_human),
        g(a.render_json, b.render_json)
    );
}

fn print_rules(rows: &[Row]) {
    let Some(last) = rows.last() else { return };
    let mut order: Vec<usize> = (0..last.per_rule.len()).collect();
    order.sort_by(|&x, &y| last.per_rule[y].1.total_cmp(&last.per_rule[x].1));
    println!();
    let sizes: Vec<String> = rows.iter().map(|r| format!("{}x s", r.factor)).collect();
    println!("| rule | {} | growth |", sizes.join(" | "));
    println!("|---|{}---|", "---|".repeat(rows.len()));
    for i in order {
        let name = last.per_rule[i].0;
        let cells: Vec<String> = rows
            .iter()
            .map(|r| format!("{:.4}", r.per_rule[i].1))
            .collect();
        let first = rows[0].per_rule[i].1;
        let growth = if first > 1e-4 {
            format!("x{:.1}", last.per_rule[i].1 / first)
        } else {
            "-".to_string()
        };
        println!("| {name} | {} | {growth} |", cells.join(" | "));
    }
}

fn main() {
    let mut per_rule = false;
    let mut nums = Vec::new();
    for a in std::env::args().skip(1) {
        if a == "--rules" {
            per_rule = true;
        } else if let Ok(n) = a.parse::<usize>() {
            nums.push(n);
        } else {
            eprintln!("usage: scale [--rules] [BASE_WORKLOADS] [FACTORS...]");
            std::process::exit(2);
        }
    }
    let base = nums.first().copied().unwrap_or(2500);
    let factors: Vec<usize> = if nums.len() > 1 {
        nums[1..].to_vec()
    } else {
        vec![1, 2, 4, 8]
    };
    let rows: Vec<Row> = factors.iter().map(|&f| measure(f, base)).collect();
    print_stages(&rows);
    print_growth(&rows);
    if per_rule {
        print_rules(&rows);
    }
}
