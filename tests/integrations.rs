//! The CI and editor integrations end to end: every `check --format` that a
//! CI system parses (SARIF against the official schema, GitHub workflow
//! commands, JUnit XML, GitLab Code Quality), their agreement with the JSON
//! report, determinism, completions, the man page and a closed pipe.
//!
//! Commands run from the crate root with relative paths, so that SARIF and
//! GitLab paths come out relative like in a CI checkout.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const EXAMPLE: &str = "fixtures/example";
/// Every fixture: many rules, several files, loader errors included.
const ALL: &str = "fixtures";
/// Formats a CI system parses, with the JSON report they must agree with.
const FORMATS: [&str; 6] = ["json", "short", "sarif", "github", "junit", "gitlab"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn netpol_lint() -> Command {
    let mut cmd = Command::cargo_bin("netpol-lint").expect("binary is built");
    cmd.current_dir(root())
        .env("NETPOL_LINT_WIDTH", "100")
        .env_remove("NO_COLOR");
    cmd
}

/// `check -o FORMAT PATH`: exit code and stdout.
fn check(format: &str, path: &str) -> (i32, String) {
    let out = netpol_lint()
        .args(["check", "-o", format, path])
        .output()
        .expect("run netpol-lint");
    let stdout = String::from_utf8(out.stdout).expect("stdout is UTF-8");
    (out.status.code().unwrap_or(-1), stdout)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("output is JSON")
}

/// (rule, file, line, column) of each finding of the JSON report, in order.
type Key = (String, String, u64, u64);

fn json_keys(path: &str) -> Vec<Key> {
    let report = json(&check("json", path).1);
    report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap_or_default().to_string(),
                d["file"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
                d["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn every_format_reports_the_example_and_exits_1() {
    for format in FORMATS {
        let (code, stdout) = check(format, EXAMPLE);
        assert_eq!(code, 1, "{format}: exit code");
        assert!(stdout.contains("split-peer-selector"), "{format}: {stdout}");
    }
}

#[test]
fn every_format_is_deterministic() {
    for format in FORMATS {
        let (_, first) = check(format, ALL);
        let (_, second) = check(format, ALL);
        assert_eq!(first, second, "{format}: two runs differ");
    }
}

#[test]
fn sarif_github_and_gitlab_list_the_json_findings_in_the_same_order() {
    let expected = json_keys(ALL);
    assert!(expected.len() > 10, "the fixtures have many findings");

    let sarif = json(&check("sarif", ALL).1);
    let got: Vec<Key> = sarif["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap_or_default().to_string(),
                loc["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                loc["region"]["startLine"].as_u64().unwrap_or_default(),
                loc["region"]["startColumn"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(got, expected, "sarif");

    let gitlab = json(&check("gitlab", ALL).1);
    let got: Vec<(String, String, u64)> = gitlab
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["check_name"].as_str().unwrap_or_default().to_string(),
                i["location"]["path"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                i["location"]["lines"]["begin"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let lines: Vec<_> = expected
        .iter()
        .map(|(r, f, l, _)| (r.clone(), f.clone(), *l))
        .collect();
    assert_eq!(got, lines, "gitlab");

    let github = check("github", ALL).1;
    let got: Vec<(String, String, u64)> = github.lines().map(github_key).collect();
    assert_eq!(got, lines, "github");
}

/// (title, file, line) of a workflow command.
fn github_key(line: &str) -> (String, String, u64) {
    let props = line.split_once(' ').expect("command has properties").1;
    let props = props.split_once("::").expect("command has a message").0;
    let get = |key: &str| {
        props
            .split(',')
            .find_map(|p| p.strip_prefix(key).and_then(|v| v.strip_prefix('=')))
            .unwrap_or_default()
            .to_string()
    };
    (
        get("title"),
        get("file"),
        get("line").parse().unwrap_or_default(),
    )
}

// ---------------------------------------------------------------- SARIF

/// The official schema, from the shared folder next to the repository.
fn sarif_schema() -> Option<Value> {
    let path = root().join("../shared/schemas/sarif-2.1.0.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipping: {} is absent", path.display());
        return None;
    };
    // The published schema has a stray `]` in the pattern of `language`
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`), which the validator
    // refuses to compile. We never write `language`; the pattern is fixed
    // to what it plainly means so that the rest of the schema applies.
    let text = text.replace("[a-zA-Z]{2}]?$", "[a-zA-Z]{2}$");
    Some(serde_json::from_str(&text).expect("the schema is JSON"))
}

fn assert_valid_sarif(schema: &Value, log: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what}: SARIF does not validate:\n{}",
        errors.join("\n")
    );
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let Some(schema) = sarif_schema() else { return };
    for path in [EXAMPLE, ALL] {
        let log = json(&check("sarif", path).1);
        assert_valid_sarif(&schema, &log, path);
    }
    // The validator is not vacuous: a result without a message or with a
    // line 0 fails.
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut broken = json(&check("sarif", EXAMPLE).1);
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(!validator.is_valid(&broken));
    let mut broken = json(&check("sarif", EXAMPLE).1);
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .expect("result object")
        .remove("message");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn sarif_for_stdin_and_for_paths_outside_the_working_directory_validates() {
    let Some(schema) = sarif_schema() else { return };
    let text = std::fs::read_to_string(root().join(EXAMPLE).join("policies.yaml"))
        .expect("read the example");
    let out = netpol_lint()
        .args(["check", "-o", "sarif", "-"])
        .write_stdin(text)
        .output()
        .expect("run");
    let log = json(&String::from_utf8_lossy(&out.stdout));
    assert_valid_sarif(&schema, &log, "stdin");
    let artifact =
        &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert!(artifact.get("uri").is_none(), "{artifact}");

    // A path outside the working directory: an absolute `file:` URI.
    let dir = awkward_input();
    let out = netpol_lint()
        .args(["check", "-o", "sarif"])
        .arg(dir.path())
        .output()
        .expect("run");
    let log = json(&String::from_utf8_lossy(&out.stdout));
    assert_valid_sarif(&schema, &log, "outside");
    let artifact =
        &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let uri = artifact["uri"].as_str().expect("uri");
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/we,ird:50%25.yaml"),
        "{uri}"
    );
    assert!(artifact.get("uriBaseId").is_none(), "{artifact}");
}

/// What GitHub code scanning checks beyond the schema.
#[test]
fn sarif_meets_github_code_scanning_limits() {
    let log = json(&check("sarif", ALL).1);
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "one run");
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "netpol-lint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        driver["informationUri"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    assert!(
        run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
            .as_str()
            .is_some_and(|u| u.starts_with("file:///") && u.ends_with('/'))
    );

    let rules = driver["rules"].as_array().expect("rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rules.len());
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "rule ids are unique"
    );
    for rule in rules {
        assert!(
            rule["id"]
                .as_str()
                .is_some_and(|id| !id.is_empty() && id.len() <= 255)
        );
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        assert!(rule["fullDescription"]["text"].is_string(), "{rule}");
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .is_some_and(|m| m.contains("## "))
        );
        let level = rule["defaultConfiguration"]["level"]
            .as_str()
            .unwrap_or_default();
        assert!(["error", "warning", "note"].contains(&level), "{rule}");
    }

    let results = run["results"].as_array().expect("results");
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(
            rules[index]["id"], r["ruleId"],
            "ruleIndex points at ruleId"
        );
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap_or_default()));
        assert!(r["message"]["text"].as_str().is_some_and(|m| !m.is_empty()));
        let locations = std::iter::once(&r["locations"][0])
            .chain(r["relatedLocations"].as_array().into_iter().flatten());
        for loc in locations {
            let phys = &loc["physicalLocation"];
            let uri = phys["artifactLocation"]["uri"].as_str().expect("uri");
            assert_eq!(phys["artifactLocation"]["uriBaseId"], "%SRCROOT%");
            assert!(
                !uri.starts_with('/') && !uri.contains(".."),
                "relative: {uri}"
            );
            let region = &phys["region"];
            let n = |k: &str| region[k].as_u64().expect(k);
            assert!(n("startLine") >= 1 && n("startColumn") >= 1, "{region}");
            assert!((n("endLine"), n("endColumn")) >= (n("startLine"), n("startColumn")));
        }
    }
}

#[test]
fn sarif_regions_are_the_exact_nodes_with_related_locations() {
    let log = json(&check("sarif", ALL).1);
    let report = json(&check("json", ALL).1);
    let results = log["runs"][0]["results"].as_array().expect("results");
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(results.len(), diags.len());
    let mut related_seen = 0;
    for (result, diag) in results.iter().zip(diags) {
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert_same_region(region, diag);
        assert_eq!(result["message"]["text"], diag["message"]);
        let related = result["relatedLocations"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        let ours = diag["related"].as_array().expect("related");
        assert_eq!(related.len(), ours.len());
        for (r, o) in related.iter().zip(ours) {
            assert_same_region(&r["physicalLocation"]["region"], o);
            assert_eq!(r["message"]["text"], o["message"]);
            related_seen += 1;
        }
    }
    assert!(related_seen > 0, "the fixtures have related locations");
}

fn assert_same_region(region: &Value, ours: &Value) {
    for (sarif, key) in [
        ("startLine", "line"),
        ("startColumn", "column"),
        ("endLine", "end_line"),
        ("endColumn", "end_column"),
    ] {
        assert_eq!(region[sarif], ours[key], "{sarif}: {region} vs {ours}");
    }
}

// --------------------------------------------------------------- GitHub

/// A file and a field name holding every character the runner treats
/// specially.
fn awkward_input() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let policy = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: p
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
  \"in%gres,a:b\\ny<&>\": []
";
    std::fs::write(dir.path().join("we,ird:50%.yaml"), policy).expect("write");
    dir
}

#[test]
fn github_escapes_properties_and_message() {
    let dir = awkward_input();
    let out = netpol_lint()
        .current_dir(dir.path())
        .args(["check", "-o", "github", "."])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(
        stdout.lines().count(),
        1,
        "one command per finding: {stdout}"
    );
    let expected = "::error file=we%2Cird%3A50%25.yaml,line=9,col=3,endLine=9,endColumn=22,\
                    title=invalid-field::unknown field `spec.in%25gres,a:b%0Ay<&>` in \
                    NetworkPolicy spec%0Ahelp: ";
    assert!(stdout.starts_with(expected), "{stdout}");
}

#[test]
fn github_gives_columns_only_on_single_line_spans() {
    let github = check("github", ALL).1;
    let report = json(&check("json", ALL).1);
    let diags = report["diagnostics"].as_array().expect("diagnostics");
    assert_eq!(github.lines().count(), diags.len());
    let (mut single, mut multi) = (0, 0);
    for (line, diag) in github.lines().zip(diags) {
        let props = line.split("::").nth(1).expect("properties");
        if diag["line"] == diag["end_line"] {
            single += 1;
            let expected = format!(
                ",col={},endLine={},endColumn={},",
                diag["column"], diag["line"], diag["end_column"]
            );
            assert!(props.contains(&expected), "{line}");
        } else {
            multi += 1;
            assert!(
                !props.contains("col=") && !props.contains("endColumn="),
                "{line}"
            );
            assert!(
                props.contains(&format!(",endLine={},", diag["end_line"])),
                "{line}"
            );
        }
    }
    assert!(
        single > 0 && multi > 0,
        "the fixtures have both kinds of span"
    );
}

// ---------------------------------------------------------------- JUnit

#[test]
fn junit_is_well_formed_and_counts_add_up() {
    for path in [EXAMPLE, ALL] {
        let xml = check("junit", path).1;
        assert_well_formed(&xml);
        let cases = xml.matches("<testcase ").count();
        let failures = xml.matches("<failure ").count();
        let head = xml.lines().nth(1).expect("testsuites line");
        assert!(head.contains(&format!(" tests=\"{cases}\"")), "{head}");
        assert!(
            head.contains(&format!(" failures=\"{failures}\"")),
            "{head}"
        );
        // Every rule of the catalog has a suite, with findings or not.
        let suites = xml.matches("<testsuite ").count();
        assert_eq!(suites, netpol_lint::rules::registry().len(), "{path}");
    }
}

#[test]
fn junit_groups_findings_by_rule_and_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let open = |name: &str| {
        format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
             metadata: {{name: {name}, namespace: shop}}\n\
             spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: [{{}}]\n"
        )
    };
    std::fs::write(dir.path().join("a.yaml"), open("one") + &open("two")).expect("write");
    std::fs::write(dir.path().join("b.yaml"), open("three")).expect("write");
    let out = netpol_lint()
        .current_dir(dir.path())
        .args(["check", "-o", "junit", "."])
        .output()
        .expect("run");
    let xml = String::from_utf8(out.stdout).expect("UTF-8");
    assert_well_formed(&xml);
    assert!(
        xml.contains(
            "<testcase classname=\"egress-to-anywhere\" name=\"a.yaml\">\n      \
             <failure message=\"2 findings\" type=\"warning\">a.yaml:8:12: warning[egress-to-anywhere]"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("\na.yaml:16:12: warning[egress-to-anywhere]"),
        "{xml}"
    );
    assert!(
        xml.contains(
            "<testcase classname=\"egress-to-anywhere\" name=\"b.yaml\">\n      \
             <failure message=\"egress rule allows every destination"
        ),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase classname=\"yaml-syntax\" name=\"all files\"/>"),
        "{xml}"
    );
}

#[test]
fn junit_escapes_markup_from_input() {
    let dir = awkward_input();
    let out = netpol_lint()
        .current_dir(dir.path())
        .args(["check", "-o", "junit", "."])
        .output()
        .expect("run");
    let xml = String::from_utf8(out.stdout).expect("UTF-8");
    assert_well_formed(&xml);
    assert!(
        xml.contains("message=\"unknown field `spec.in%gres,a:b&#10;y&lt;&amp;&gt;`"),
        "{xml}"
    );
}

/// A small well-formedness check: tags nest and close, attributes are
/// quoted, `<` never appears raw in text or attributes, `&` only starts a
/// known entity or a character reference.
fn assert_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("XML declaration");
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        assert_text(&rest[..open]);
        let close = rest[open..].find('>').expect("tag closes") + open;
        let tag = &rest[open + 1..close];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name), "closing tag matches");
        } else {
            let self_closing = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let (name, attrs) = tag.split_once(' ').unwrap_or((tag, ""));
            assert!(!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric()));
            assert_attributes(attrs);
            if !self_closing {
                stack.push(name);
            }
        }
        rest = &rest[close + 1..];
    }
    assert_text(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

fn assert_attributes(mut attrs: &str) {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return;
        }
        let (name, value) = attrs
            .split_once("=\"")
            .expect("attribute is name=\"value\"");
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric()), "{name}");
        let end = value.find('"').expect("attribute value closes");
        assert_text(&value[..end]);
        attrs = &value[end + 1..];
    }
}

fn assert_text(text: &str) {
    assert!(!text.contains('<'), "raw `<` in {text}");
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let entity = &rest[amp + 1..rest[amp..].find(';').expect("entity ends") + amp];
        let known = ["amp", "lt", "gt", "quot", "apos"].contains(&entity)
            || entity
                .strip_prefix('#')
                .is_some_and(|n| n.parse::<u32>().is_ok());
        assert!(known, "entity &{entity};");
        rest = &rest[amp + 1..];
    }
}

// --------------------------------------------------------------- GitLab

#[test]
fn gitlab_fingerprints_are_unique_and_stable() {
    let first = json(&check("gitlab", ALL).1);
    let issues = first.as_array().expect("array");
    let prints: Vec<&str> = issues
        .iter()
        .filter_map(|i| i["fingerprint"].as_str())
        .collect();
    assert_eq!(prints.len(), issues.len());
    assert_eq!(
        prints.iter().collect::<HashSet<_>>().len(),
        prints.len(),
        "unique"
    );
    assert!(
        prints
            .iter()
            .all(|p| p.len() == 16 && p.chars().all(|c| c.is_ascii_hexdigit()))
    );
    // Stable across runs and across an unrelated change in the input:
    // linting one file alone gives that file's findings the same prints.
    let alone = json(&check("gitlab", "fixtures/example/policies.yaml").1);
    for issue in alone.as_array().expect("array") {
        assert!(
            prints.contains(&issue["fingerprint"].as_str().unwrap_or_default()),
            "{issue}"
        );
    }
    for issue in issues {
        let severity = issue["severity"].as_str().unwrap_or_default();
        assert!(["info", "minor", "major", "critical", "blocker"].contains(&severity));
        assert!(issue["description"].is_string() && issue["check_name"].is_string());
        let lines = &issue["location"]["lines"];
        assert!(
            lines["begin"].as_u64() >= Some(1) && lines["end"].as_u64() >= lines["begin"].as_u64()
        );
    }
}

// ----------------------------------------- completions, man, pipes, help

#[test]
fn completions_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = netpol_lint()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).expect("UTF-8");
        assert!(
            script.contains("netpol-lint") && script.contains("fail-on"),
            "{shell}"
        );
    }
    netpol_lint().args(["completions", "tcsh"]).assert().code(2);
}

#[test]
fn man_page_is_roff() {
    let out = netpol_lint().arg("man").output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let page = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(page.contains(".TH netpol-lint 1"), "{page}");
    assert!(
        page.contains(".SH SUBCOMMANDS") || page.contains("check"),
        "{page}"
    );

    let out = netpol_lint().args(["man", "check"]).output().expect("run");
    let page = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(page.contains(".TH netpol-lint-check 1"), "{page}");
    assert!(
        page.contains("sarif") && page.contains("fail\\-on"),
        "{page}"
    );

    netpol_lint().args(["man", "nope"]).assert().code(2);
}

#[test]
fn check_help_documents_the_exit_codes() {
    let out = netpol_lint()
        .args(["check", "--help"])
        .output()
        .expect("run");
    let help = String::from_utf8(out.stdout).expect("UTF-8");
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("Exit codes: 0") && help.contains("2 the tool could not run"),
        "{help}"
    );
}

/// Many findings: far more output than a pipe buffer holds (64 KiB on
/// Linux), so that the reader going away is seen by the writer. One
/// namespace each keeps checks that compare policies of a namespace cheap.
fn many_findings() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::new();
    for i in 0..1500 {
        text.push_str(&format!(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
             metadata: {{name: open, namespace: ns-{i}}}\n\
             spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: [{{}}]\n"
        ));
    }
    let path = dir.path().join("many.yaml");
    std::fs::write(&path, text).expect("write");
    (dir, path)
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let (_dir, path) = many_findings();
    let bin = assert_cmd::cargo::cargo_bin("netpol-lint");
    for format in ["short", "human", "sarif", "github"] {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg("\"$0\" check -o \"$1\" \"$2\" | head -1 >/dev/null; exit \"${PIPESTATUS[0]}\"")
            .arg(&bin)
            .arg(format)
            .arg(&path)
            .output()
            .expect("run bash");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{format}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error:"),
            "{format}: {stderr}"
        );
    }
}
