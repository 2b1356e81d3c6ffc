//! `netpol-lint check` end to end: exit codes, formats, ordering, colour,
//! and snapshots of the rendered reports.
//!
//! Commands run from the crate root with relative paths, a fixed width and
//! colour off, so that the output is the same on every machine.

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;

use assert_cmd::Command;
use netpol_lint::report::{self, Diagnostic, Format, RenderOptions, Severity, Summary};
use netpol_lint::source::{SourceFile, Sources, Span};
use serde_json::Value;

const BROKEN: &str = "fixtures/yaml-syntax/bad_broken_document.yaml";
const TAB: &str = "fixtures/yaml-syntax/bad_tab_indent.yaml";

/// A policy that denies everything in a namespace without workloads: no
/// rule has anything to say about it.
const CLEAN: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: quiet
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

/// A document that is not an object: the loader's `not-a-manifest` info.
const INFO_ONLY: &str = "just a string\n";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The binary in the crate root, with a fixed width and no colour from the
/// environment.
fn check() -> Command {
    let mut cmd = Command::cargo_bin("netpol-lint").expect("binary is built");
    cmd.current_dir(root())
        .env("NETPOL_LINT_WIDTH", "100")
        .env_remove("NO_COLOR")
        .arg("check");
    cmd
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run netpol-lint");
    String::from_utf8(out.stdout).expect("stdout is UTF-8")
}

#[test]
fn clean_input_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deny.yaml", CLEAN);
    check().arg(dir.path()).assert().code(0);
}

#[test]
fn findings_exit_1() {
    check().arg(BROKEN).assert().code(1);
}

#[test]
fn missing_path_exits_2() {
    check()
        .arg("fixtures/does-not-exist")
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicates::str::contains(
            "fixtures/does-not-exist: no such file or directory",
        ));
}

#[test]
fn missing_path_next_to_a_good_one_exits_2() {
    check()
        .arg(BROKEN)
        .arg("fixtures/does-not-exist")
        .assert()
        .code(2);
}

#[test]
fn empty_directory_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", "not a manifest");
    check()
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "no .yaml, .yml or .json files found",
        ));
}

#[test]
fn bad_arguments_exit_2() {
    check().args(["--format", "xml", BROKEN]).assert().code(2);
    check()
        .args(["--fail-on", "sometimes", BROKEN])
        .assert()
        .code(2);
}

#[test]
fn fail_on_sets_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let info = write(dir.path(), "info.yaml", INFO_ONLY);
    check().arg(&info).assert().code(0);
    check().arg("--fail-on=info").arg(&info).assert().code(1);
    check().arg("--fail-on=error").arg(&info).assert().code(0);
    check().args(["--fail-on=error", BROKEN]).assert().code(1);
    check().args(["--fail-on=never", BROKEN]).assert().code(0);
}

#[test]
fn stdin_is_read_with_dash() {
    let text = std::fs::read_to_string(root().join(BROKEN)).unwrap();
    let out = check()
        .args(["--format", "short", "-"])
        .write_stdin(text)
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.starts_with("<stdin>:24:5: error[yaml-syntax]: "),
        "{stdout}"
    );
    assert!(
        stdout.contains("<stdin>:34:3: error[invalid-field]: "),
        "{stdout}"
    );
}

#[test]
fn unreadable_file_among_readable_ones_is_a_finding() {
    #[cfg(unix)]
    {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "deny.yaml", CLEAN);
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("gone.yaml"))
            .unwrap();
        let out = check()
            .args(["--format", "short"])
            .arg(dir.path())
            .assert()
            .code(1);
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        assert!(stdout.contains("error[unreadable-input]"), "{stdout}");
    }
}

#[test]
fn short_format_is_one_located_line_per_finding() {
    let stdout = stdout_of(check().args(["--format", "short", BROKEN, TAB]));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in lines {
        let (path, rest) = line.split_once(':').expect("path");
        assert!(path.starts_with("fixtures/yaml-syntax/"), "{line}");
        let mut parts = rest.splitn(3, ':');
        let line_no: u32 = parts.next().unwrap().parse().expect("line number");
        let col: u32 = parts.next().unwrap().parse().expect("column");
        assert!(line_no >= 1 && col >= 1, "{line}");
        let tail = parts.next().unwrap();
        let (sev, rest) = tail.trim_start().split_once('[').expect("severity[rule]");
        assert!(["error", "warning", "info"].contains(&sev), "{line}");
        let (rule, message) = rest.split_once("]: ").expect("rule]: message");
        assert!(
            rule.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{line}"
        );
        assert!(!message.is_empty(), "{line}");
    }
}

#[test]
fn short_format_summary_goes_to_stderr_unless_quiet() {
    check()
        .args(["--format", "short", TAB])
        .assert()
        .stderr("1 file, 0 objects: 1 error, 0 warnings, 0 infos\n");
    check()
        .args(["-q", "--format", "short", TAB])
        .assert()
        .stderr("");
}

#[test]
fn json_format_follows_the_contract() {
    let stdout = stdout_of(check().args(["--format", "json", TAB, BROKEN]));
    let v: Value = serde_json::from_str(&stdout).expect("valid JSON");
    let diags = v["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diags.len(), 3);
    let mut keys = Vec::new();
    for d in diags {
        for field in ["rule", "severity", "message", "file"] {
            assert!(d[field].is_string(), "{field} in {d}");
        }
        for field in ["line", "column", "end_line", "end_column"] {
            assert!(d[field].as_u64().is_some_and(|n| n >= 1), "{field} in {d}");
        }
        assert!(d["object"].is_string() || d["object"].is_null(), "{d}");
        assert!(d.get("help").is_none_or(Value::is_string), "{d}");
        assert!(d["related"].is_array(), "{d}");
        assert!(["error", "warning", "info"].contains(&d["severity"].as_str().unwrap()));
        keys.push((
            d["file"].as_str().unwrap().to_string(),
            d["line"].as_u64().unwrap(),
            d["column"].as_u64().unwrap(),
        ));
    }
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "ordered by file, line, column");

    let invalid = &diags[1];
    assert_eq!(invalid["rule"], "invalid-field");
    assert_eq!(invalid["object"], "NetworkPolicy shop/allow-api");
    assert_eq!(
        (invalid["line"].as_u64(), invalid["column"].as_u64()),
        (Some(34), Some(3))
    );
    assert_eq!(
        (invalid["end_line"].as_u64(), invalid["end_column"].as_u64()),
        (Some(34), Some(9))
    );
    assert!(invalid["help"].is_string());
    assert!(diags[0].get("help").is_none(), "no help key without help");

    let summary = &v["summary"];
    assert_eq!(summary["files"], 2);
    assert_eq!(summary["objects"], 2);
    assert_eq!(summary["errors"], 3);
    assert_eq!(summary["warnings"], 0);
    assert_eq!(summary["infos"], 0);
}

/// Inputs worth running twice: every fixture, and the real corpus when it
/// is there.
fn order_inputs() -> Vec<PathBuf> {
    let mut paths = vec![PathBuf::from("fixtures")];
    let corpus = root().join("../shared/corpus");
    if corpus.is_dir() {
        paths.push(corpus);
    } else {
        eprintln!(
            "skipping the corpus in the ordering test: {} is absent",
            corpus.display()
        );
    }
    paths
}

#[test]
fn output_is_byte_identical_across_runs() {
    for format in ["human", "short", "json"] {
        let run = || {
            let out = check()
                .args(["--format", format, "--color", "never"])
                .args(order_inputs())
                .output()
                .unwrap();
            (out.status.code(), out.stdout)
        };
        let first = run();
        assert_eq!(first, run(), "{format} output differs between runs");
        assert_ne!(first.0, Some(2), "{format}: the tool ran");
    }
}

#[test]
fn colour_flags() {
    let coloured = stdout_of(check().args(["--color", "always", BROKEN]));
    assert!(coloured.contains('\x1b'), "--color always colours");
    let plain = stdout_of(check().args(["--color", "never", BROKEN]));
    assert!(!plain.contains('\x1b'), "--color never does not");
    // Not a terminal: auto means no colour.
    let auto = stdout_of(check().arg(BROKEN));
    assert!(!auto.contains('\x1b'), "auto off a terminal does not");
}

/// Runs the binary on a pseudo-terminal through util-linux `script`, so
/// that `--color auto` sees a terminal.
fn on_terminal(no_color: Option<&str>) -> Option<String> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(script) = script else {
        eprintln!("skipping the terminal colour test: util-linux `script` is not installed");
        return None;
    };
    let bin = assert_cmd::cargo::cargo_bin("netpol-lint");
    let shell_command = format!("{} check {BROKEN}", bin.display());
    let mut cmd = StdCommand::new(script);
    cmd.current_dir(root())
        .env("NETPOL_LINT_WIDTH", "100")
        .args(["-qec", &shell_command, "/dev/null"]);
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    let out = cmd.output().expect("run script");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn no_color_is_honoured_on_a_terminal() {
    let Some(with_colour) = on_terminal(None) else {
        return;
    };
    assert!(
        with_colour.contains("\x1b["),
        "a terminal gets colour: {with_colour:?}"
    );
    let Some(no_colour) = on_terminal(Some("1")) else {
        return;
    };
    assert!(no_colour.contains("yaml-syntax"), "{no_colour:?}");
    assert!(
        !no_colour.contains('\x1b'),
        "NO_COLOR=1 means no escapes: {no_colour:?}"
    );
    // An empty NO_COLOR does not count as set.
    let Some(empty) = on_terminal(Some("")) else {
        return;
    };
    assert!(empty.contains("\x1b["), "{empty:?}");
}

#[test]
fn verbose_lists_skipped_kinds_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{CLEAN}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n");
    write(dir.path(), "mixed.yaml", &text);
    let out = check().arg("-v").arg(dir.path()).assert().code(0);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("skipped 1 x ConfigMap (v1)"), "{stderr}");
    assert!(
        stderr.contains("read 1 file, 2 documents, 1 object"),
        "{stderr}"
    );
    check()
        .args(["-v", "-q"])
        .arg(dir.path())
        .assert()
        .code(0)
        .stderr("");
}

#[test]
fn snapshot_human_broken_document() {
    insta::assert_snapshot!("human_broken_document", stdout_of(check().arg(BROKEN)));
}

#[test]
fn snapshot_human_tab_indent() {
    insta::assert_snapshot!("human_tab_indent", stdout_of(check().arg(TAB)));
}

#[test]
fn snapshot_short_yaml_syntax_fixtures() {
    // Named files, not the directory: other fixtures for the rule may join it.
    let out = stdout_of(check().args(["--format", "short", BROKEN, TAB]));
    insta::assert_snapshot!("short_yaml_syntax", out);
}

/// Secondary labels: one in the finding's own file is drawn in its snippet,
/// one in another file becomes a related note with its own snippet.
#[test]
fn snapshot_human_labels_across_files() {
    let mut sources = Sources::default();
    let a_text = "\
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchLabels: {app: web}
  ingress:
    - from:
        - podSelector: {}
";
    let b_text = "\
kind: NetworkPolicy
metadata:
  name: web-too
spec:
  podSelector:
    matchLabels: {app: web}
";
    let a = sources.add(SourceFile::new("a.yaml", a_text));
    let b = sources.add(SourceFile::new("b.yaml", b_text));
    let span = |file, text: &str, needle: &str| {
        let start = text.find(needle).expect("needle in text");
        Span::new(file, start, start + needle.len())
    };
    let diag = Diagnostic::new(
        "example-rule",
        Severity::Warning,
        span(a, a_text, "matchLabels: {app: web}"),
        "two policies select the same pods",
    )
    .label("this selector")
    .with_secondary(
        span(a, a_text, "podSelector: {}"),
        "allows every pod of the namespace",
    )
    .with_secondary(
        span(b, b_text, "matchLabels: {app: web}"),
        "the same selector here",
    )
    .help("merge the two policies")
    .object("NetworkPolicy default/web");
    let diags = [diag];
    let summary = Summary::new(2, 2, &diags);
    let opts = RenderOptions {
        color: false,
        width: 100,
    };
    let human = report::render(Format::Human, &diags, &sources, &summary, &opts);
    insta::assert_snapshot!("human_labels_across_files", human);
    let json = report::render(Format::Json, &diags, &sources, &summary, &opts);
    let v: Value = serde_json::from_str(&json).unwrap();
    let related = &v["diagnostics"][0]["related"];
    assert_eq!(related[0]["file"], "a.yaml");
    assert_eq!(
        (related[0]["line"].as_u64(), related[0]["column"].as_u64()),
        (Some(9), Some(11))
    );
    assert_eq!(related[1]["file"], "b.yaml");
    assert_eq!(related[1]["message"], "the same selector here");
}

/// A secondary label far down the same file gets its own snippet: miette
/// would otherwise print every line between the two labels.
#[test]
fn snapshot_human_far_labels_in_one_file() {
    let mut sources = Sources::default();
    let mut text = String::from("kind: NetworkPolicy\nmetadata:\n  name: first\n");
    for i in 0..40 {
        text.push_str(&format!("# filler line {i}\n"));
    }
    text.push_str("---\nkind: NetworkPolicy\nmetadata:\n  name: second\n  namespace: shop\n");
    let file = sources.add(SourceFile::new("far.yaml", text.clone()));
    let span = |needle: &str| {
        let start = text.find(needle).expect("needle in text");
        Span::new(file, start, start + needle.len())
    };
    let diag = Diagnostic::new(
        "example-rule",
        Severity::Warning,
        span("name: first"),
        "something about two policies",
    )
    .label("here")
    .with_secondary(
        span("kind: NetworkPolicy\nmetadata:\n  name: first"),
        "near",
    )
    .with_secondary(span("name: second"), "far away")
    .with_secondary(span("namespace: shop"), "next to the far one");
    let diags = vec![diag];
    let summary = report::Summary::new(1, 2, &diags);
    let opts = RenderOptions {
        color: false,
        width: 100,
    };
    let human = report::render(Format::Human, &diags, &sources, &summary, &opts);
    assert!(!human.contains("filler line 20"), "{human}");
    insta::assert_snapshot!("human_far_labels_in_one_file", human);
}

/// A label over a whole object is drawn on its first line only, saying
/// where it ends; JSON keeps the full span.
#[test]
fn long_labels_are_drawn_on_their_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("metadata:\n  name: no-kind\nspec:\n");
    for i in 0..30 {
        text.push_str(&format!("  key{i}: value{i}\n"));
    }
    let file = write(dir.path(), "no-kind.yaml", &text);
    let human = stdout_of(check().arg(&file));
    assert!(human.contains("no `kind` here (lines 1-33)"), "{human}");
    assert!(!human.contains("key20"), "{human}");
    let json = stdout_of(check().args(["-o", "json"]).arg(&file));
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["diagnostics"][0]["end_line"], 33);
}

/// A file reached under two paths is one file: it is read once and never
/// reported as defining its objects twice.
#[test]
fn a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "deny.yaml", CLEAN);
    let canonical = std::fs::canonicalize(&file).unwrap();
    #[cfg(unix)]
    std::fs::hard_link(&file, dir.path().join("hard.yaml")).unwrap();
    let json = |args: &[&std::ffi::OsStr]| -> serde_json::Value {
        let out = check()
            .current_dir(dir.path())
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for args in [
        vec![".".as_ref(), "deny.yaml".as_ref()],
        vec!["./deny.yaml".as_ref(), canonical.as_os_str()],
        vec![dir.path().as_os_str(), ".".as_ref()],
        vec!["deny.yaml".as_ref(), "hard.yaml".as_ref()],
    ] {
        let out = json(&args);
        assert_eq!(out["diagnostics"], serde_json::json!([]), "{args:?}");
    }
}
