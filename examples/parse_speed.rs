//! Parse speed: the YAML parser alone against our loader.
//!
//! Times, on the same text:
//! - `granit-parser` events only, the parser we build on (the floor);
//! - `source::yaml::parse_stream`: events to span tree;
//! - `load::load_texts`: span tree, typed decoding through k8s-openapi,
//!   unknown-field checks, cluster model (one thread);
//! - with a directory, also `load::load` as the CLI runs it (reads and
//!   parses the files on all cores).
//!
//! Run it in release mode; the README quotes its numbers:
//!
//! ```text
//! cargo run --release --example parse_speed               # 20 MiB of policies
//! cargo run --release --example parse_speed -- DIR [RUNS] # the .yaml files of DIR
//! ```

use std::fmt::Write;
use std::time::{Duration, Instant};

use granit_parser::Parser;
use netpol_lint::load::{Input, load, load_texts};
use netpol_lint::source::FileId;
use netpol_lint::source::yaml::parse_stream;

const TARGET_BYTES: usize = 20 * 1024 * 1024;
const DEFAULT_RUNS: usize = 5;

/// One policy in the shapes real manifests use: block and flow style,
/// selectors with expressions, ipBlocks with exceptions, named ports and
/// port ranges, comments.
fn policy(out: &mut String, i: usize) {
    let ns = format!("team-{}", i % 97);
    let _ = write!(
        out,
        "---
# Policy {i}: lets the frontend and the monitoring namespace in, and the
# pods out to their database and an external range.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-app-{i}
  namespace: {ns}
  labels:
    app.kubernetes.io/part-of: shop
    generation: \"{i}\"
spec:
  podSelector:
    matchLabels:
      app: app-{i}
    matchExpressions:
      - {{key: tier, operator: In, values: [backend, worker]}}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels: {{app: frontend}}
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
          podSelector:
            matchLabels: {{app.kubernetes.io/name: prometheus}}
      ports:
        - protocol: TCP
          port: 8080
        - port: metrics
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: db-{i}
      ports:
        - {{protocol: TCP, port: 5432}}
    - to:
        - ipBlock:
            cidr: 10.{a}.0.0/16
            except: [10.{a}.1.0/24, 10.{a}.2.0/24]
      ports:
        - protocol: TCP
          port: 30000
          endPort: 32767
",
        a = i % 250
    );
}

fn generate() -> String {
    let mut text = String::with_capacity(TARGET_BYTES + 4096);
    let mut i = 0;
    while text.len() < TARGET_BYTES {
        policy(&mut text, i);
        i += 1;
    }
    text
}

/// Best of `runs` runs; the best run is the least disturbed by the rest
/// of the machine.
fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        let v = f();
        best = best.min(start.elapsed());
        last = Some(v);
    }
    match last {
        Some(v) => (best, v),
        None => unreachable!("at least one run"),
    }
}

fn mb_per_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / d.as_secs_f64()
}

/// The `.yaml` files of a directory, sorted by name.
fn read_dir(dir: &str) -> Vec<(String, String)> {
    let mut paths: Vec<_> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect(),
        Err(e) => {
            eprintln!("cannot read {dir}: {e}");
            std::process::exit(2);
        }
    };
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            Some((p.display().to_string(), text))
        })
        .collect()
}

/// Every event of every file, and nothing built from them.
fn events_only(files: &[(&str, &str)]) -> usize {
    let mut events = 0;
    for (_, text) in files {
        let mut parser = Parser::new_from_str(text);
        while let Some(Ok(_)) = parser.next_event() {
            events += 1;
        }
    }
    events
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().cloned();
    let runs = args
        .get(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(DEFAULT_RUNS);
    let owned = match &dir {
        Some(d) => read_dir(d),
        None => vec![("bench.yaml".to_string(), generate())],
    };
    let files: Vec<(&str, &str)> = owned
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let bytes: usize = files.iter().map(|(_, t)| t.len()).sum();
    let mb = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "input: {mb:.1} MiB in {} files, best of {runs} runs",
        files.len()
    );

    let (floor, events) = best(runs, || events_only(&files));
    println!(
        "granit-parser events only:       {:>6.1} MiB/s  ({events} events, {:.0} ms)",
        mb_per_s(bytes, floor),
        floor.as_secs_f64() * 1000.0
    );

    let (d, docs) = best(runs, || {
        files
            .iter()
            .enumerate()
            .map(|(i, (_, t))| parse_stream(FileId(i as u32), t).len())
            .sum::<usize>()
    });
    println!(
        "parse_stream (span tree):        {:>6.1} MiB/s  ({docs} documents, {:.0} ms, x{:.2} the parser)",
        mb_per_s(bytes, d),
        d.as_secs_f64() * 1000.0,
        d.as_secs_f64() / floor.as_secs_f64()
    );

    let (d, loaded) = best(runs, || load_texts(&files));
    println!(
        "load_texts (typed, one thread):  {:>6.1} MiB/s  ({} policies, {} diagnostics, {:.0} ms, \
         x{:.2} the parser)",
        mb_per_s(bytes, d),
        loaded.cluster.policies.len(),
        loaded.diagnostics.len(),
        d.as_secs_f64() * 1000.0,
        d.as_secs_f64() / floor.as_secs_f64()
    );

    if let Some(dir) = dir {
        let inputs = [Input::Path(dir.into())];
        let (d, loaded) = best(runs, || load(&inputs));
        println!(
            "load (CLI: read + parse, {} threads): {:>6.1} MiB/s  ({} objects, {:.0} ms, \
             x{:.2} the parser on one thread)",
            rayon::current_num_threads(),
            mb_per_s(bytes, d),
            loaded.stats.objects,
            d.as_secs_f64() * 1000.0,
            d.as_secs_f64() / floor.as_secs_f64()
        );
    }
}
