//! Hostile and broken input: every case gets a located diagnostic and a
//! defined exit code, never a panic, a hang or a write.
//!
//! The files in `tests/hostile/` open with `# expect: RULE [at LINE:COL]`;
//! the larger cases are generated here in temporary directories.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use assert_cmd::Command;
use serde_json::Value;

fn bin() -> Command {
    let mut cmd = Command::cargo_bin("netpol-lint").expect("binary is built");
    cmd.env("NO_COLOR", "1").timeout(Duration::from_secs(60));
    cmd
}

/// Runs `check --format json` and returns (exit code, diagnostics).
fn check_json(args: &[&str]) -> (i32, Vec<Value>) {
    let out = bin()
        .arg("check")
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let code = out.status.code().expect("exited normally, not by a signal");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("invalid JSON ({e}) for {args:?}: {stdout}"));
    (
        code,
        json["diagnostics"].as_array().cloned().unwrap_or_default(),
    )
}

fn hostile_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// `# expect: rule at 3:7` → ("rule", Some((3, 7))).
fn expectation(path: &Path) -> (String, Option<(u64, u64)>) {
    let bytes = std::fs::read(path).expect("readable");
    let text = String::from_utf8_lossy(&bytes);
    let first = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let spec = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{path:?} has no header"));
    match spec.split_once(" at ") {
        None => (spec.trim().to_string(), None),
        Some((rule, pos)) => {
            let (l, c) = pos.trim().split_once(':').expect("LINE:COL");
            (
                rule.to_string(),
                Some((l.parse().expect("line"), c.parse().expect("col"))),
            )
        }
    }
}

#[test]
fn every_hostile_file_gets_its_located_diagnostic() {
    let mut seen = 0;
    for entry in std::fs::read_dir(hostile_dir()).expect("tests/hostile exists") {
        let path = entry.expect("entry").path();
        let (rule, at) = expectation(&path);
        let (code, diags) = check_json(&[path.to_str().expect("utf-8 path")]);
        let hit = diags.iter().find(|d| d["rule"] == rule.as_str());
        let hit = hit.unwrap_or_else(|| panic!("{path:?}: no `{rule}` in {diags:#?}"));
        if let Some((line, col)) = at {
            assert_eq!(
                (hit["line"].as_u64(), hit["column"].as_u64()),
                (Some(line), Some(col)),
                "{path:?}: {hit}"
            );
        }
        let expected_code = if hit["severity"] == "info" { 0 } else { 1 };
        assert_eq!(code, expected_code, "{path:?}");
        seen += 1;
    }
    assert!(seen >= 15, "only {seen} hostile files");
}

#[test]
fn documents_after_a_syntax_error_are_recovered() {
    let path = hostile_dir().join("broken_then_good.yaml");
    let (_, diags) = check_json(&[path.to_str().expect("utf-8")]);
    // The third document's typo is only visible if it was recovered.
    assert!(
        diags
            .iter()
            .any(|d| d["rule"] == "invalid-field" && d["line"] == 21),
        "{diags:#?}"
    );
}

#[test]
fn other_files_are_still_checked_next_to_broken_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.yaml"), "a: [1, 2\n").expect("write");
    std::fs::copy(
        hostile_dir().join("crlf_bom.yaml"),
        dir.path().join("b.yaml"),
    )
    .expect("copy");
    let (code, diags) = check_json(&[dir.path().to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    let rules: Vec<&str> = diags.iter().filter_map(|d| d["rule"].as_str()).collect();
    assert!(
        rules.contains(&"yaml-syntax") && rules.contains(&"invalid-field"),
        "{rules:?}"
    );
}

#[test]
fn very_long_lines_are_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let long = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n  annotations:\n    a: {}\n",
        "x".repeat(8_000_000)
    );
    std::fs::write(dir.path().join("long.yaml"), long).expect("write");
    let (code, diags) = check_json(&[dir.path().to_str().expect("utf-8")]);
    assert!(code == 0 || code == 1, "{diags:?}");
    assert!(
        diags.iter().all(|d| d["rule"] != "yaml-syntax"),
        "{diags:?}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_reported_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink("loop", dir.path().join("loop")).expect("symlink");
    std::os::unix::fs::symlink(".", dir.path().join("self")).expect("symlink");
    std::fs::copy(
        hostile_dir().join("crlf_bom.yaml"),
        dir.path().join("b.yaml"),
    )
    .expect("copy");
    let (code, diags) = check_json(&[dir.path().to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    let unreadable: Vec<_> = diags
        .iter()
        .filter(|d| d["rule"] == "unreadable-input")
        .collect();
    assert!(!unreadable.is_empty(), "{diags:#?}");
    assert!(
        unreadable.iter().all(|d| d["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("loop") || f.ends_with("self"))),
        "{unreadable:#?}"
    );
    assert!(diags.iter().any(|d| d["rule"] == "invalid-field"));
}

#[cfg(unix)]
#[test]
fn nothing_readable_at_all_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink("missing", dir.path().join("dangling.yaml")).expect("symlink");
    let out = bin().arg("check").arg(dir.path()).output().expect("runs");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn thousands_of_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 0..3000 {
        let text = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-{i}\n");
        std::fs::write(dir.path().join(format!("ns-{i}.yaml")), text).expect("write");
    }
    let out = bin()
        .arg("check")
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("runs");
    let json: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["summary"]["files"], 3000);
}

/// Every file under `root` with its length and modification time.
fn tree_state(root: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("readable") {
            let e = e.expect("entry");
            let meta = e.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(e.path());
            }
            out.push((e.path(), meta.len(), meta.modified().expect("mtime")));
        }
    }
    out.sort();
    out
}

#[test]
fn never_writes_into_the_input_tree() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    copy_tree(&src, dir.path());
    let original = std::fs::metadata(dir.path()).expect("meta").permissions();
    let before = tree_state(dir.path());
    let mut readonly = original.clone();
    readonly.set_readonly(true);
    std::fs::set_permissions(dir.path(), readonly).expect("chmod");
    for format in ["human", "json", "short"] {
        let out = bin()
            .current_dir(dir.path())
            .args(["check", ".", "--format", format])
            .output()
            .expect("runs");
        assert!(matches!(out.status.code(), Some(0 | 1)), "{format}");
    }
    std::fs::set_permissions(dir.path(), original).expect("chmod back");
    assert_eq!(tree_state(dir.path()), before);
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).expect("readable") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

#[test]
fn output_does_not_depend_on_file_order_or_threads() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/example");
    let a = tempfile::tempdir().expect("tempdir");
    let b = tempfile::tempdir().expect("tempdir");
    let mut names: Vec<_> = std::fs::read_dir(&src)
        .expect("dir")
        .map(|e| e.expect("e").path())
        .collect();
    names.sort();
    // Create the files in opposite orders so directory order differs.
    for p in &names {
        std::fs::copy(p, a.path().join(p.file_name().expect("name"))).expect("copy");
    }
    for p in names.iter().rev() {
        std::fs::copy(p, b.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let run = |dir: &Path, threads: &str| {
        let out = bin()
            .current_dir(dir)
            .env("RAYON_NUM_THREADS", threads)
            .args(["check", ".", "--format", "json"])
            .output()
            .expect("runs");
        out.stdout
    };
    let first = run(a.path(), "1");
    assert_eq!(first, run(b.path(), "2"));
    assert_eq!(first, run(b.path(), "8"));
}

#[test]
fn input_cannot_drive_the_terminal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: \"x\\e]0;pwned\\a\"\n  namespace: q\nspec:\n  podSelector: {}\n  ingres: []\n";
    std::fs::write(dir.path().join("esc.yaml"), text).expect("write");
    for color in ["never", "always"] {
        let out = bin()
            .arg("check")
            .arg(dir.path())
            .args(["--color", color])
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("invalid-field"), "{stdout}");
        assert!(!stdout.contains("\u{1b}]0;"), "{color}: {stdout:?}");
        assert!(!stdout.contains('\u{7}'), "{color}: {stdout:?}");
        if color == "never" {
            assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
        }
    }
}

/// The default format on minified JSON: findings far along one line are
/// located in words instead of drawn, and nothing panics.
#[test]
fn findings_on_very_long_lines_are_reported_without_a_snippet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let policies: Vec<String> = (0..800)
        .map(|i| {
            format!(
                r#"{{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{{"name":"p{i}","namespace":"shop"}},"spec":{{"podSelector":{{}},"ingress":[{{"ports":[{{"port":0}}]}}]}}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"apiVersion":"v1","kind":"List","items":[{}]}}"#,
        policies.join(",")
    );
    assert!(text.len() > 70_000);
    let file = dir.path().join("min.json");
    std::fs::write(&file, &text).expect("write");
    let out = bin().arg("check").arg(&file).output().expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The last policy's port, located by character column.
    let col = text.rfind(r#""port":0"#).expect("there") + r#""port":"#.len() + 1;
    let at = format!("min.json:1:{col}: ");
    assert!(stdout.contains(&at), "no `{at}` in {stdout}");
    assert!(
        stdout.contains("(the line is too long to show)"),
        "{stdout}"
    );
    // No finding draws the line.
    assert!(!stdout.contains("\"kind\":\"List\""), "{stdout}");
}

/// The human format's `file:line:col` header counts characters, as the
/// other formats do.
#[test]
fn the_human_header_counts_characters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: t}\nspec: {podSelector: {matchLabels: {\"é😀\": x}}, ingress: [{ports: [{port: 0}]}]}\n";
    let file = dir.path().join("uni.yaml");
    std::fs::write(&file, text).expect("write");
    let line = text.lines().nth(3).expect("line 4");
    let col = line[..line.find("0}").expect("port")].chars().count() + 1;
    let (code, stdout) = human_check_of_ports(&file);
    assert_eq!(code, Some(1), "{stdout}");
    let at = format!("uni.yaml:4:{col}]");
    assert!(stdout.contains(&at), "no `{at}` in {stdout}");
}

/// A node shared through YAML aliases is one node of the file: a finding
/// about it is reported once, not once per rule that reuses it.
#[test]
fn findings_through_aliases_are_reported_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: t}\nspec:\n  podSelector: {}\n  ingress:\n    - from: [{podSelector: {matchLabels: {a: b}}}]\n      ports: &p [{port: 1}, {port: 2}, {port: 3}]\n    - {from: [{podSelector: {matchLabels: {a: c}}}], ports: *p}\n    - {from: [{podSelector: {matchLabels: {a: d}}}], ports: *p}\n";
    std::fs::write(dir.path().join("alias.yaml"), text).expect("write");
    let (_, diags) = check_json(&[dir.path().to_str().expect("utf-8")]);
    let consecutive: Vec<_> = diags
        .iter()
        .filter(|d| d["rule"] == "consecutive-ports")
        .collect();
    assert_eq!(consecutive.len(), 1, "{diags:#?}");
}

/// A long line next to a finding's line is not drawn either: miette shows a
/// line of context on each side.
#[test]
fn long_context_lines_are_not_drawn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let excepts: Vec<String> = (0..2000)
        .map(|i| format!("10.{}.{}.0/24", i / 256, i % 256))
        .collect();
    let text = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector: {{}}\n  ingress:\n  - ports: [{{port: 0}}]\n    from: [{{ipBlock: {{cidr: 10.0.0.0/8, except: [{}]}}}}]\n",
        excepts.join(", ")
    );
    let file = dir.path().join("wide.yaml");
    std::fs::write(&file, &text).expect("write");
    let (code, stdout) = human_check_of_ports(&file);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(stdout.contains("wide.yaml:7:"), "{stdout}");
    assert!(stdout.len() < 4_000, "{} bytes: {stdout}", stdout.len());
}

/// `check FILE --select invalid-port-range` in the human format: exit code
/// and output.
fn human_check_of_ports(file: &Path) -> (Option<i32>, String) {
    let out = bin()
        .arg("check")
        .arg(file)
        .args(["--select", "invalid-port-range"])
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
