//! The rule catalog: `rules/` and the README table match the rule docs, and
//! `netpol-lint rules` lists and prints them.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

use netpol_lint::rules::{self, catalog};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn catalog_files_are_up_to_date() {
    let mut stale = Vec::new();
    let files = catalog::files();
    for (rel, text) in &files {
        match std::fs::read_to_string(root().join(rel)) {
            Ok(on_disk) if on_disk == *text => {}
            Ok(_) => stale.push(format!("{rel} differs")),
            Err(_) => stale.push(format!("{rel} is missing")),
        }
    }
    let dir = root().join(catalog::DIR);
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rel = format!("{}/{name}", catalog::DIR);
        if name.ends_with(".md") && !files.iter().any(|(p, _)| *p == rel) {
            stale.push(format!("{rel} documents no rule"));
        }
    }
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    match catalog::readme_with_table(&readme) {
        Some(updated) if updated == readme => {}
        Some(_) => stale.push("the rule table of README.md differs".into()),
        None => stale.push("README.md has no RULE TABLE markers".into()),
    }
    assert!(
        stale.is_empty(),
        "the rule catalog is stale:\n  {}\nregenerate it with `{}`",
        stale.join("\n  "),
        catalog::REGENERATE
    );
}

fn netpol_lint() -> Command {
    Command::cargo_bin("netpol-lint").expect("binary")
}

#[test]
fn rules_lists_every_rule_aligned() {
    let out = netpol_lint().arg("rules").assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).expect("utf-8");
    let registry = rules::registry();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), registry.len());
    let width = registry
        .iter()
        .map(|r| r.meta().name.len())
        .max()
        .unwrap_or(0);
    for (line, rule) in lines.iter().zip(&registry) {
        let meta = rule.meta();
        assert!(line.starts_with(meta.name), "{line}");
        assert_eq!(&line[width..width + 2], "  ", "{line}");
        assert!(
            line[width + 2..].starts_with(meta.default_severity.as_str()),
            "{line}"
        );
        assert!(line.ends_with(meta.summary), "{line}");
    }
}

#[test]
fn rules_json_is_an_array_of_name_severity_summary() {
    let out = netpol_lint()
        .args(["rules", "--format", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    let array = json.as_array().expect("array");
    assert_eq!(array.len(), rules::registry().len());
    let first = &array[0];
    let keys: Vec<&str> = first
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 3, "{first}");
    for entry in array {
        for key in ["name", "severity", "summary"] {
            assert!(entry[key].is_string(), "{entry}");
        }
    }
    assert!(
        array
            .iter()
            .any(|e| e["name"] == "redundant-rule" && e["severity"] == "info")
    );
}

#[test]
fn rules_name_prints_the_catalog_page() {
    let out = netpol_lint()
        .args(["rules", "one-way-allow"])
        .assert()
        .success();
    let page = std::fs::read_to_string(root().join("rules/one-way-allow.md")).expect("page");
    assert_eq!(String::from_utf8_lossy(&out.get_output().stdout), page);
    let out = netpol_lint()
        .args(["rules", "one-way-allow", "-o", "json"])
        .assert()
        .success();
    let json: Value = serde_json::from_slice(&out.get_output().stdout).expect("json");
    assert_eq!(json["name"], "one-way-allow");
    assert!(
        json["doc"]
            .as_str()
            .is_some_and(|d| d.contains("## Known problems"))
    );
}

#[test]
fn unknown_rule_exits_2_with_a_suggestion() {
    let out = netpol_lint()
        .args(["rules", "pod-not-isolate"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(
        stderr.contains("unknown rule `pod-not-isolate`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `pod-not-isolated`?"),
        "{stderr}"
    );
    assert!(out.get_output().stdout.is_empty());
    let out = netpol_lint().args(["rules", "frobnicate"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr);
    assert!(!stderr.contains("did you mean"), "{stderr}");
}
