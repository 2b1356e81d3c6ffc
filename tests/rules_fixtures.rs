//! Every rule against its fixtures, its documentation examples and the real
//! corpus.
//!
//! Fixtures live in `fixtures/<rule>/`. A `bad_*.yaml` file opens with a
//! comment saying what fires where, `# fires: rule at LINE:COL, rule at
//! LINE:COL` (several `# fires:` lines add up); exactly those findings must
//! come out, loader findings included. An `ok_*.yaml` file must produce no
//! finding at all. Each file is loaded on its own, as a complete cluster.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netpol_lint::config::{self, Settings};
use netpol_lint::engine::Engine;
use netpol_lint::load::{Input, Loaded, load, load_texts};
use netpol_lint::report::Diagnostic;
use netpol_lint::rules::{self, Context};
use netpol_lint::suppress;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/corpus/redis-k8s-templates"
);

/// The directory of the realistic example, not tied to one rule.
const EXAMPLE_DIR: &str = "example";

/// A finding reduced to what fixtures declare.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    file: String,
    rule: String,
    line: u32,
    column: u32,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} at {}:{} ({})",
            self.rule, self.line, self.column, self.file
        )
    }
}

/// Loads, analyses, runs every rule; loader findings included, and
/// suppressions applied as `check` applies them without a configuration.
fn check_loaded(loaded: &Loaded) -> Vec<Diagnostic> {
    let settings = Settings::default();
    let engine = Engine::new(&loaded.cluster);
    let cx = Context {
        cluster: &loaded.cluster,
        engine: &engine,
        sources: &loaded.sources,
        dns: &settings.dns,
    };
    let mut out = rules::run_all(&cx);
    out.extend(loaded.diagnostics.iter().cloned());
    suppress::apply(&settings, &loaded.cluster, &loaded.sources, out)
}

/// The rule about configuration files: its fixtures and doc examples are
/// read as one, not as manifests.
const CONFIG_RULE: &str = "invalid-config";

fn check_config(name: &str, text: &str) -> (Loaded, Vec<Diagnostic>) {
    let mut loaded = Loaded::default();
    let diags = config::parse_config(name, Path::new(""), text, &mut loaded.sources)
        .err()
        .unwrap_or_default();
    (loaded, diags)
}

/// The findings for one text under `rule`'s kind of input.
fn check_text(rule: &str, name: &str, text: &str) -> Vec<Found> {
    if rule == CONFIG_RULE {
        let (loaded, diags) = check_config(name, text);
        return found(&loaded, &diags);
    }
    let loaded = load_texts(&[(name, text)]);
    found(&loaded, &check_loaded(&loaded))
}

fn found(loaded: &Loaded, diags: &[Diagnostic]) -> Vec<Found> {
    let mut out: Vec<Found> = diags
        .iter()
        .map(|d| {
            let (start, _) = loaded.sources.range(d.primary.span);
            Found {
                file: loaded.sources.get(d.primary.span.file).path.clone(),
                rule: d.rule.to_string(),
                line: start.line,
                column: start.column,
            }
        })
        .collect();
    out.sort();
    out
}

fn check_paths(paths: &[PathBuf]) -> (Loaded, Vec<Diagnostic>) {
    let inputs: Vec<Input> = paths.iter().cloned().map(Input::Path).collect();
    let loaded = load(&inputs);
    let diags = check_loaded(&loaded);
    (loaded, diags)
}

/// The `# fires:` entries of a fixture: `(rule, line, column)`.
fn declared(text: &str) -> Result<Vec<(String, u32, u32)>, String> {
    let mut out = Vec::new();
    for line in text.lines().take_while(|l| l.starts_with('#')) {
        let Some(list) = line.strip_prefix("# fires:") else {
            continue;
        };
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let parse = || -> Option<(String, u32, u32)> {
                let (rule, at) = entry.split_once(" at ")?;
                let (l, c) = at.trim().split_once(':')?;
                Some((rule.trim().to_string(), l.parse().ok()?, c.parse().ok()?))
            };
            out.push(parse().ok_or_else(|| format!("cannot read `# fires:` entry `{entry}`"))?);
        }
    }
    out.sort();
    Ok(out)
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    files
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).expect("file name")
}

/// What is wrong with one fixture, if anything.
fn fixture_problem(rule: &str, path: &Path) -> Option<String> {
    let name = file_name(path);
    let text = std::fs::read_to_string(path).expect("fixture text");
    let (loaded, diags) = if rule == CONFIG_RULE {
        check_config(&path.display().to_string(), &text)
    } else {
        check_paths(&[path.to_path_buf()])
    };
    let got = found(&loaded, &diags);
    let got_short: Vec<(String, u32, u32)> = got
        .iter()
        .map(|f| (f.rule.clone(), f.line, f.column))
        .collect();
    let show = |v: &[Found]| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    if name.starts_with("ok_") {
        return (!got.is_empty())
            .then(|| format!("{name}: expected no finding, got\n    {}", show(&got)));
    }
    if !name.starts_with("bad_") {
        return Some(format!("{name}: fixture names start with `ok_` or `bad_`"));
    }
    let want = match declared(&text) {
        Ok(w) => w,
        Err(e) => return Some(format!("{name}: {e}")),
    };
    if want.is_empty() {
        // TODO: the first yaml-syntax fixtures describe their findings in
        // prose; until they carry a `# fires:` line, only check that their
        // rule fires.
        return (!got_short.iter().any(|(r, ..)| r == rule))
            .then(|| format!("{name}: no `# fires:` header and `{rule}` does not fire"));
    }
    if !want.iter().any(|(r, ..)| r == rule) {
        return Some(format!("{name}: the header does not declare `{rule}`"));
    }
    (got_short != want).then(|| {
        let want: Vec<String> = want
            .iter()
            .map(|(r, l, c)| format!("{r} at {l}:{c}"))
            .collect();
        format!(
            "{name}: expected\n    {}\n  got\n    {}",
            want.join("\n    "),
            show(&got)
        )
    })
}

#[test]
fn fixtures_fire_exactly_as_declared() {
    let mut problems = Vec::new();
    let mut count = 0;
    // Other directories of `fixtures/` (the example, requirements files)
    // belong to other tests.
    for rule in rules::registry().iter().map(|r| r.meta().name) {
        let dir = Path::new(FIXTURES).join(rule);
        if !dir.is_dir() {
            continue;
        }
        for path in yaml_files(&dir) {
            count += 1;
            if let Some(p) = fixture_problem(rule, &path) {
                problems.push(format!("{rule}/{p}"));
            }
        }
    }
    assert!(count > 0, "no fixtures found in {FIXTURES}");
    assert!(
        problems.is_empty(),
        "{} fixture(s) wrong:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_rule_has_a_bad_and_an_ok_fixture() {
    let mut missing = Vec::new();
    for rule in rules::registry() {
        let name = rule.meta().name;
        // Requirement findings come from requirements files; their cases
        // are in `fixtures/requirements/` and `tests/requirements.rs`.
        if rules::is_requirement_rule(name) {
            continue;
        }
        let files = yaml_files(&Path::new(FIXTURES).join(name));
        let has = |prefix: &str| files.iter().any(|f| file_name(f).starts_with(prefix));
        // An unreadable file cannot be committed as a fixture; the test
        // below makes one.
        let needs_bad = name != "unreadable-input";
        if !has("ok_") || (needs_bad && !has("bad_")) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "rules without fixtures: {missing:?}");
}

#[test]
fn unreadable_input_is_reported_and_the_rest_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let link = dir.path().join("gone.yaml");
    std::os::unix::fs::symlink(dir.path().join("nowhere.yaml"), &link).expect("symlink");
    let ok = Path::new(FIXTURES).join("unreadable-input/ok_readable.yaml");
    let (loaded, diags) = check_paths(&[link, ok]);
    let got = found(&loaded, &diags);
    let rules: Vec<(&str, u32, u32)> = got
        .iter()
        .map(|f| (f.rule.as_str(), f.line, f.column))
        .collect();
    assert_eq!(rules, [("unreadable-input", 1, 1)], "{got:?}");
    assert!(
        !loaded.cluster.policies.is_empty(),
        "the readable file is still loaded"
    );
}

/// The first fenced block of a doc section, if it is YAML.
fn section_yaml<'d>(doc: &'d str, heading: &str) -> Option<&'d str> {
    let start = doc.find(&format!("\n## {heading}\n"))?;
    let rest = &doc[start + heading.len() + 5..];
    let section = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    let body = section.split_once("```yaml\n")?.1;
    Some(&body[..body.find("```")?])
}

/// Rules an Example declares to fire with its own, in a sentence of its
/// section: ``Also fires: `default-deny-missing`.`` Some findings cannot
/// come alone (a pod no policy selects lives in a namespace without a
/// default deny).
fn also_fires(doc: &str) -> Vec<&str> {
    let Some(start) = doc.find("\n## Example\n") else {
        return Vec::new();
    };
    let section = &doc[start + 1..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |i| i + 1)];
    let Some(at) = section.find("Also fires:") else {
        return Vec::new();
    };
    let sentence = &section[at..];
    let end = sentence
        .find(". ")
        .or(sentence.find(".\n"))
        .unwrap_or(sentence.len());
    let sentence = &sentence[..end];
    sentence.split('`').skip(1).step_by(2).collect()
}

#[test]
fn doc_examples_fire_exactly_their_rule() {
    let mut problems = Vec::new();
    for rule in rules::registry() {
        let meta = rule.meta();
        // Their examples need a requirements file next to the manifests;
        // `tests/requirements.rs` runs them.
        if rules::is_requirement_rule(meta.name) {
            continue;
        }
        let also = also_fires(meta.doc);
        let (Some(bad), Some(fixed)) = (
            section_yaml(meta.doc, "Example"),
            section_yaml(meta.doc, "Fixed"),
        ) else {
            // Only `unreadable-input` shows a shell session instead.
            assert_eq!(
                meta.name, "unreadable-input",
                "{}: no YAML example",
                meta.name
            );
            continue;
        };
        let got = check_text(meta.name, "example.yaml", bad);
        let allowed = |r: &str| r == meta.name || also.contains(&r);
        if !got.iter().any(|f| f.rule == meta.name) || got.iter().any(|f| !allowed(&f.rule)) {
            problems.push(format!("{}: Example gives {got:?}", meta.name));
        }
        let got = check_text(meta.name, "fixed.yaml", fixed);
        if !got.is_empty() {
            problems.push(format!("{}: Fixed gives {got:?}", meta.name));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn example_app_fires_as_declared() {
    let dir = Path::new(FIXTURES).join(EXAMPLE_DIR);
    let (loaded, diags) = check_paths(std::slice::from_ref(&dir));
    let got: Vec<Found> = found(&loaded, &diags);
    let mut want = Vec::new();
    for path in yaml_files(&dir) {
        let text = std::fs::read_to_string(&path).expect("example text");
        for (rule, line, column) in declared(&text).expect("`# fires:` header") {
            let file = path.display().to_string();
            want.push(Found {
                file,
                rule,
                line,
                column,
            });
        }
    }
    want.sort();
    assert!(!want.is_empty(), "the example shows some findings");
    assert_eq!(got, want);
}

/// 1-based line of the first line containing `needle` at or after `from`.
fn line_of(text: &str, needle: &str, from: u32) -> u32 {
    let (i, _) = text
        .lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not found after line {from}"));
    i as u32 + 1
}

#[test]
fn redis_corpus_findings() {
    let root = Path::new(CORPUS);
    if !root.is_dir() {
        eprintln!(
            "skipping the redis corpus test: {} is absent",
            root.display()
        );
        return;
    }
    let (loaded, diags) = check_paths(&[root.to_path_buf()]);
    let got = found(&loaded, &diags);
    for f in &got {
        eprintln!("corpus: {f}");
    }
    let file = |name: &str| root.join(name).display().to_string();
    let text = |name: &str| std::fs::read_to_string(root.join(name)).expect("corpus file");
    let mut want: Vec<Found> = Vec::new();
    let mut expect = |name: &str, rule: &str, line: u32, column: u32| {
        want.push(Found {
            file: file(name),
            rule: rule.into(),
            line,
            column,
        });
    };
    // The namespaceSelector-only item is where the split starts; the item is
    // the `- namespaceSelector:` line, its node starts after the dash.
    for name in [
        "network-policies/02-allow-dns.yaml",
        "network-policies/03-allow-k8s-api.yaml",
        "network-policies/06-allow-prometheus.yaml",
    ] {
        let t = text(name);
        let line = line_of(
            &t,
            "- namespaceSelector:",
            line_of(&t, "kind: NetworkPolicy", 1),
        );
        expect(name, "split-peer-selector", line, 11);
    }
    // The catch-all rules are the `- ports:` items without `to`.
    for name in [
        "network-policies/02-allow-dns.yaml",
        "network-policies/03-allow-k8s-api.yaml",
    ] {
        let t = text(name);
        let line = line_of(&t, "    - ports:", line_of(&t, "egress:", 1));
        expect(name, "egress-to-anywhere", line, 7);
    }
    let backup = "network-policies/07-allow-backup.yaml";
    let line = line_of(&text(backup), "    - ports:", 1);
    expect(backup, "egress-to-anywhere", line, 7);
    let client = "network-policies/05-allow-client-access.yaml";
    let t = text(client);
    let line = line_of(&t, "matchLabels:", line_of(&t, "- namespaceSelector:", 1));
    assert_eq!(line + 1, line_of(&t, "redis-client: \"true\"", 1));
    expect(client, "peer-matches-nothing", line, 13);
    let namespaces = "deployments/02-consumer-namespaces.yaml";
    let t = text(namespaces);
    for ns in ["app-production", "app-staging", "app-development"] {
        let line = line_of(&t, &format!("name: {ns}"), 1);
        // One finding for ingress, one for egress.
        expect(namespaces, "default-deny-missing", line, 9);
        expect(namespaces, "default-deny-missing", line, 9);
    }
    want.sort();
    let missing: Vec<String> = want
        .iter()
        .filter(|w| !got.contains(w))
        .map(ToString::to_string)
        .collect();
    assert!(
        missing.is_empty(),
        "missing corpus findings:\n{}",
        missing.join("\n")
    );
    let default_deny_elsewhere: Vec<&Found> = got
        .iter()
        .filter(|f| f.rule == "default-deny-missing" && f.file != file(namespaces))
        .collect();
    assert!(
        default_deny_elsewhere.is_empty(),
        "{default_deny_elsewhere:?}"
    );
    // Nothing beyond the list, unless a later model (workloads created by
    // operators) adds true findings; those show up in the log above.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &got {
        *counts.entry(f.rule.as_str()).or_default() += 1;
    }
    assert_eq!(counts.get("split-peer-selector"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("egress-to-anywhere"), Some(&3), "{counts:?}");
    assert_eq!(counts.get("default-deny-missing"), Some(&6), "{counts:?}");
}
