//! Criterion benchmarks, one group per pipeline stage: loading, model
//! building, the engine, the rules and rendering.
//!
//! ```text
//! cargo bench --bench pipeline            # all groups, a few minutes
//! cargo bench --bench pipeline -- load    # one group
//! ```
//!
//! Inputs come from the seeded generator in `netpol_lint::synth`, so every
//! run measures the same bytes. The base size is the "1x" of the README's
//! scaling table (2,500 workloads, 1,250 policies, 62 namespaces, about
//! 2.4 MB).
//!
//! Samples are few and short on purpose: this machine is shared, so the
//! numbers are for spotting a regression of tens of percent, not for
//! resolving small differences (use `valgrind --tool=callgrind` for that).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

use netpol_lint::engine::Engine;
use netpol_lint::load::{Loaded, load_texts};
use netpol_lint::report::{self, Diagnostic, Format, RenderOptions, Severity, Summary};
use netpol_lint::rules::dns::DnsService;
use netpol_lint::rules::{self, Context};
use netpol_lint::source::FileId;
use netpol_lint::source::yaml::parse_stream;
use netpol_lint::synth::{self, Params};

/// The README's base size.
const BASE: Params = Params {
    namespaces: 62,
    workloads: 2_500,
    policies: 1_250,
    seed: 1,
};

/// Findings rendered by the rendering group.
const RENDERED: usize = 300;

fn configured() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .without_plots()
}

fn generate(p: &Params) -> Vec<(String, String)> {
    synth::generate(p)
}

fn as_refs(files: &[(String, String)]) -> Vec<(&str, &str)> {
    files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect()
}

fn bytes(files: &[(String, String)]) -> u64 {
    files.iter().map(|(_, t)| t.len() as u64).sum()
}

/// The YAML parser alone (events to span tree) against the whole loader
/// (span tree, typed decoding, unknown fields, cluster model); the ratio is
/// what loading costs on top of parsing.
fn loading(c: &mut Criterion) {
    let files = generate(&BASE);
    let refs = as_refs(&files);
    let mut g = c.benchmark_group("load");
    g.throughput(Throughput::Bytes(bytes(&files)));
    g.bench_function("parse_only", |b| {
        b.iter(|| {
            for (i, (_, text)) in refs.iter().enumerate() {
                black_box(parse_stream(FileId(i as u32), text));
            }
        })
    });
    g.bench_function("load_texts", |b| b.iter(|| black_box(load_texts(&refs))));
    g.finish();
}

/// Pod classes, policy selections and isolation (`Engine::new`).
fn model(c: &mut Criterion) {
    let files = generate(&BASE);
    let loaded = load_texts(&as_refs(&files));
    let mut g = c.benchmark_group("model");
    g.bench_function("engine_new", |b| {
        b.iter(|| black_box(Engine::new(&loaded.cluster).classes.len()))
    });
    g.finish();
}

/// Bulk connectivity, then the sorted lines `reach` prints.
fn engine(c: &mut Criterion) {
    let files = generate(&BASE);
    let loaded = load_texts(&as_refs(&files));
    let mut g = c.benchmark_group("engine");
    // The engine keeps the class-level map once computed: time it from a
    // fresh engine each iteration.
    g.bench_function("connectivity", |b| {
        b.iter_batched(
            || Engine::new(&loaded.cluster),
            |engine| black_box(engine.connectivity().graph.edge_count()),
            BatchSize::LargeInput,
        )
    });
    let engine = Engine::new(&loaded.cluster);
    let conn = engine.connectivity();
    g.bench_function("lines", |b| b.iter(|| black_box(conn.lines(&engine).len())));
    g.finish();
}

/// Every rule over a loaded cluster, as `check` runs them. The engine keeps
/// the connectivity map it computes on first use, so each iteration gets a
/// fresh engine (built outside the timing).
fn rules_all(c: &mut Criterion) {
    let files = generate(&BASE);
    let loaded = load_texts(&as_refs(&files));
    let dns = DnsService::default();
    let mut g = c.benchmark_group("rules");
    g.bench_function("run_all", |b| {
        b.iter_batched(
            || Engine::new(&loaded.cluster),
            |engine| {
                let cx = Context {
                    cluster: &loaded.cluster,
                    engine: &engine,
                    sources: &loaded.sources,
                    dns: &dns,
                };
                black_box(rules::run_all(&cx).len())
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// A fixed set of findings, independent of what the rules find today: one
/// per policy, on its `podSelector`, with a second label on the name, a help
/// and an object, like a typical finding.
fn findings(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut diags: Vec<Diagnostic> = loaded
        .cluster
        .policies
        .iter()
        .take(RENDERED)
        .map(|p| {
            Diagnostic::new(
                "bench-finding",
                Severity::Warning,
                p.span(&["spec".into(), "podSelector".into()]),
                "a finding as long as a typical message, quoting `podSelector`",
            )
            .label("this selector")
            .with_secondary(p.origin.name_span(), "this policy")
            .help("a help line that says what to change, as rules write them")
            .object(p.object())
        })
        .collect();
    report::sort(&mut diags, &loaded.sources);
    diags
}

/// The human (miette) and JSON renderers over a few hundred findings.
fn rendering(c: &mut Criterion) {
    let files = generate(&BASE);
    let loaded = load_texts(&as_refs(&files));
    let diags = findings(&loaded);
    let summary = Summary::new(loaded.stats.files, loaded.stats.objects, &diags);
    let opts = RenderOptions {
        color: false,
        width: 100,
    };
    let mut g = c.benchmark_group("render");
    g.throughput(Throughput::Elements(diags.len() as u64));
    for (name, format) in [("human", Format::Human), ("json", Format::Json)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                black_box(report::render(
                    format,
                    &diags,
                    &loaded.sources,
                    &summary,
                    &opts,
                ))
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = pipeline;
    config = configured();
    targets = loading, model, engine, rules_all, rendering
}
criterion_main!(pipeline);
