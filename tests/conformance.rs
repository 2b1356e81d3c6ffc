//! `reach` against netpol-analyzer's own goldens.
//!
//! Every input directory of `../shared/corpus/netpol-analyzer` is loaded,
//! analysed and rendered, and the text must equal the golden `list` output
//! line for line, order included (stricter than upstream, which compares
//! with newlines stripped). Where upstream has a JSON golden, our JSON must
//! carry the same `src`, `dst` and `conn` in the same order.
//!
//! One directory differs on purpose: `document_with_syntax_error`. After a
//! YAML syntax error netpol-analyzer drops the rest of the file; we resume at
//! the next `---`, so we see more workloads. There we pin our own output and
//! check that it contains every golden line.
//!
//! The corpus is not part of the repository; without it the tests say so and
//! pass.

use std::path::{Path, PathBuf};

use netpol_lint::cli::reach::{render_json, render_txt};
use netpol_lint::engine::Engine;
use netpol_lint::load::{Input, Loaded, load};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/corpus/netpol-analyzer"
);

/// Directories where we knowingly differ from the golden.
const DELIBERATE: &[&str] = &["document_with_syntax_error"];

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(CORPUS);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: netpol-analyzer corpus not found at {CORPUS}");
        None
    }
}

fn input_dirs(corpus: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `expected/<dir>_connlist_output.<ext>`, else the `DERIVED_` one.
fn golden(dir: &Path, ext: &str) -> Option<PathBuf> {
    let n = name(dir);
    [
        format!("{n}_connlist_output.{ext}"),
        format!("DERIVED_{n}_connlist_output.{ext}"),
    ]
    .into_iter()
    .map(|f| dir.join("expected").join(f))
    .find(|p| p.is_file())
}

fn analyse(dir: &Path) -> (Loaded, Vec<netpol_lint::engine::reach::Line>) {
    let loaded = load(&[Input::Path(dir.to_path_buf())]);
    let engine = Engine::new(&loaded.cluster);
    let lines = engine.connectivity().lines(&engine);
    (loaded, lines)
}

/// The goldens under `expected/` are read by the loader (they end in
/// `.json`) but are not manifests: nothing may come from them.
fn assert_nothing_from_expected(dir: &Path, loaded: &Loaded) {
    let c = &loaded.cluster;
    let spans = c
        .workloads
        .iter()
        .map(|w| w.origin.node.span)
        .chain(c.all_policies().map(|p| p.origin.node.span))
        .chain(
            c.namespaces
                .iter()
                .filter_map(|n| n.origin.as_ref())
                .map(|o| o.node.span),
        );
    for span in spans {
        let path = &loaded.sources.get(span.file).path;
        assert!(
            !path.contains("/expected/"),
            "{}: object loaded from golden {path}",
            name(dir)
        );
    }
}

fn first_difference(ours: &[&str], golden: &[&str]) -> String {
    let i = ours
        .iter()
        .zip(golden)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(golden.len()));
    format!(
        "{} lines vs {} golden; first difference at line {}:\n  ours:   {}\n  golden: {}",
        ours.len(),
        golden.len(),
        i + 1,
        ours.get(i).unwrap_or(&"<end>"),
        golden.get(i).unwrap_or(&"<end>")
    )
}

#[test]
fn txt_matches_every_golden() {
    let Some(corpus) = corpus() else { return };
    let mut matched = 0;
    let mut failures = Vec::new();
    for dir in input_dirs(&corpus) {
        let n = name(&dir);
        if DELIBERATE.contains(&n.as_str()) {
            continue;
        }
        let Some(golden_path) = golden(&dir, "txt") else {
            failures.push(format!("{n}: no golden txt"));
            continue;
        };
        let expected = std::fs::read_to_string(&golden_path).unwrap_or_default();
        let (loaded, lines) = analyse(&dir);
        assert_nothing_from_expected(&dir, &loaded);
        let text = render_txt(&lines);
        let ours: Vec<&str> = text.lines().collect();
        let theirs: Vec<&str> = expected.lines().collect();
        if ours == theirs {
            matched += 1;
        } else {
            failures.push(format!("{n}: {}", first_difference(&ours, &theirs)));
        }
    }
    eprintln!("netpol-analyzer conformance: {matched} directories match their golden exactly");
    assert!(
        failures.is_empty(),
        "{} directories differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 41 directories, one deliberately different.
    assert_eq!(matched, 40, "the corpus changed: update the expected count");
}

#[test]
fn json_matches_json_goldens() {
    let Some(corpus) = corpus() else { return };
    let mut compared = 0;
    for dir in input_dirs(&corpus) {
        let Some(golden_path) = golden(&dir, "json") else {
            continue;
        };
        let n = name(&dir);
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&golden_path).unwrap_or_default())
                .unwrap_or_else(|e| panic!("{n}: golden json does not parse: {e}"));
        let (_, lines) = analyse(&dir);
        let ours: serde_json::Value = serde_json::from_str(&render_json(&lines))
            .unwrap_or_else(|e| panic!("{n}: our json does not parse: {e}"));
        let triples = |v: &serde_json::Value| -> Vec<[String; 3]> {
            v.as_array()
                .into_iter()
                .flatten()
                .map(|o| ["src", "dst", "conn"].map(|k| o[k].as_str().unwrap_or("?").to_owned()))
                .collect()
        };
        assert_eq!(
            triples(&ours),
            triples(&expected),
            "{n}: json differs from golden"
        );
        // Each object also carries the structured ports.
        assert!(
            ours.as_array()
                .into_iter()
                .flatten()
                .all(|o| o["ports"].is_array()),
            "{n}"
        );
        compared += 1;
    }
    eprintln!("netpol-analyzer conformance: {compared} json goldens match");
    assert_eq!(compared, 4, "the corpus changed: update the expected count");
}

/// netpol-analyzer loses every document after the broken one; we skip only
/// the broken document, so our lines are a strict superset of the golden.
#[test]
fn syntax_error_recovery_is_a_superset() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join("document_with_syntax_error");
    let golden_path = golden(&dir, "txt").unwrap_or_default();
    let expected = std::fs::read_to_string(golden_path).unwrap_or_default();
    let (loaded, lines) = analyse(&dir);
    assert!(
        loaded.diagnostics.iter().any(|d| d.rule == "yaml-syntax"),
        "the syntax error is reported"
    );
    let text = render_txt(&lines);
    let ours: std::collections::BTreeSet<&str> = text.lines().collect();
    let theirs: std::collections::BTreeSet<&str> = expected.lines().collect();
    assert!(!theirs.is_empty());
    let missing: Vec<&&str> = theirs.difference(&ours).collect();
    assert!(missing.is_empty(), "golden lines we lost: {missing:?}");
    assert!(
        ours.len() > theirs.len(),
        "recovery should add the workloads after the error"
    );
    insta::assert_snapshot!("document_with_syntax_error", text);
}
