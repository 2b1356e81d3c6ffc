//! The configuration file, the rule selection flags, requirements on
//! `check`, and suppressions, end to end through the binary.
//!
//! Most tests narrow the run with `--select` to the rules they are about,
//! so that a new rule elsewhere in the catalog does not change them.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

const OPENSHIFT: &str = "fixtures/config/openshift";
const OPENSHIFT_CONFIG: &str = "fixtures/config/openshift.netpol-lint.yaml";
const SUPPRESSED: &str = "fixtures/unused-suppression/ok_used.yaml";
const UNUSED: &str = "fixtures/unused-suppression/bad_unused.yaml";
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/corpus/redis-k8s-templates"
);

/// Two policies with a catch-all egress rule, one in `kube-system` and
/// one in `shop`, and the CoreDNS pods in `kube-system` serving on 1053
/// (as CoreDNS does when it runs as non-root). `shop` may reach them there
/// only: the DNS rules are clean only if the `kube-system` pods are
/// modelled.
const TWO_NAMESPACES: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers:
        - name: coredns
          image: coredns
          ports:
            - {name: dns, containerPort: 1053, protocol: UDP}
            - {name: dns-tcp, containerPort: 1053, protocol: TCP}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: kube-system}
spec:
  podSelector: {matchLabels: {app: backup}}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 443, protocol: TCP}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - ports: [{port: 443, protocol: TCP}]
    - to:
        - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
          podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports: [{port: 1053, protocol: UDP}, {port: 1053, protocol: TCP}]
";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `netpol-lint check -o short` run from `dir`.
fn check_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("netpol-lint").expect("binary is built");
    cmd.current_dir(dir)
        .env("NETPOL_LINT_WIDTH", "100")
        .env_remove("NO_COLOR")
        .args(["check", "-o", "short"]);
    cmd
}

/// From the crate root.
fn check() -> Command {
    check_in(root())
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// `rule` of every finding, in report order.
    fn rules(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter_map(|l| l.split_once('[')?.1.split_once(']').map(|(r, _)| r))
            .collect()
    }

    fn count(&self, rule: &str) -> usize {
        self.rules().iter().filter(|r| **r == rule).count()
    }
}

fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run netpol-lint");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create directories");
    }
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("fixture")
}

#[test]
fn config_is_found_in_a_parent_directory() {
    let tmp = tempfile::tempdir().expect("temp dir");
    write(
        tmp.path(),
        ".netpol-lint.yaml",
        "rules:\n  ignore: [egress-to-anywhere]\n",
    );
    let sub = tmp.path().join("a/b");
    write(&sub, "policies.yaml", TWO_NAMESPACES);
    let r = run(&mut check_in(&sub));
    assert!(
        r.code != 2 && r.count("egress-to-anywhere") == 0,
        "{}{}",
        r.stdout,
        r.stderr
    );

    // `--no-config` reads none.
    let r = run(check_in(&sub).arg("--no-config"));
    assert_eq!(r.count("egress-to-anywhere"), 2, "{}", r.stdout);

    // The nearest file wins; it does not merge with a farther one.
    write(
        &tmp.path().join("a"),
        ".netpol-lint.yaml",
        "fail-on: never\n",
    );
    let r = run(&mut check_in(&sub));
    assert_eq!(r.code, 0);
    assert_eq!(r.count("egress-to-anywhere"), 2, "{}", r.stdout);
}

#[test]
fn verbose_names_the_configuration_used() {
    let tmp = tempfile::tempdir().expect("temp dir");
    write(tmp.path(), ".netpol-lint.yaml", "fail-on: never\n");
    let sub = tmp.path().join("deploy");
    write(&sub, "p.yaml", TWO_NAMESPACES);
    let r = run(check_in(&sub).arg("-v"));
    assert!(
        r.stderr.contains("configuration from ../.netpol-lint.yaml"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_key_is_a_located_error_and_exit_2() {
    let tmp = tempfile::tempdir().expect("temp dir");
    write(
        tmp.path(),
        ".netpol-lint.yaml",
        "rules:\n  ignore: [egress-to-anywhere]\nskip-namespace: [kube-system]\n",
    );
    write(tmp.path(), "p.yaml", TWO_NAMESPACES);
    let r = run(&mut check_in(tmp.path()));
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty(), "nothing checked: {}", r.stdout);
    assert!(
        r.stderr.contains(
            ".netpol-lint.yaml:3:1: error[invalid-config]: unknown field `skip-namespace`"
        ),
        "{}",
        r.stderr
    );
    // The human format draws the key.
    let out = Command::cargo_bin("netpol-lint")
        .expect("binary")
        .current_dir(tmp.path())
        .env("NETPOL_LINT_WIDTH", "100")
        .arg("check")
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("not a configuration key"), "{stderr}");
}

#[test]
fn invalid_values_are_all_reported() {
    let r = run(check().args([
        "--config",
        "fixtures/invalid-config/bad_values.yaml",
        "fixtures/example",
    ]));
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr.matches("error[invalid-config]").count(),
        6,
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("7:12: error[invalid-config]: `dns-egres-blocked` is not a rule")
    );
}

#[test]
fn missing_explicit_config_exits_2() {
    let r = run(check().args(["--config", "no/such/config.yaml", "fixtures/example"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no such configuration file"),
        "{}",
        r.stderr
    );
}

#[test]
fn severity_override_changes_the_exit_code() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let input = write(tmp.path(), "p.yaml", TWO_NAMESPACES);
    let base = [
        "--no-config",
        "--select",
        "egress-to-anywhere",
        "--fail-on",
        "error",
    ];
    let r = run(check().args(base).arg(&input));
    assert_eq!(
        (r.code, r.count("egress-to-anywhere")),
        (0, 2),
        "{}",
        r.stdout
    );
    let r = run(check()
        .args(base)
        .args(["--severity", "egress-to-anywhere=error"])
        .arg(&input));
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("error[egress-to-anywhere]"),
        "{}",
        r.stdout
    );

    // The same from the configuration file.
    let config = write(
        tmp.path(),
        "c.yaml",
        "rules:\n  severity:\n    egress-to-anywhere: error\nfail-on: error\n",
    );
    let r = run(check()
        .arg("--config")
        .arg(&config)
        .args(["--select", "egress-to-anywhere"])
        .arg(&input));
    assert_eq!(r.code, 1, "{}", r.stdout);

    let r = run(check()
        .args(base)
        .args(["--severity", "egress-to-anywhere=fatal"])
        .arg(&input));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`fatal` is not a severity"),
        "{}",
        r.stderr
    );
}

#[test]
fn select_and_ignore() {
    let all = run(check().args(["--no-config", "fixtures/example"]));
    assert!(all.count("egress-to-anywhere") > 0 && all.count("split-peer-selector") > 0);

    let r = run(check().args([
        "--no-config",
        "--select",
        "split-peer-selector",
        "fixtures/example",
    ]));
    assert!(r.count("split-peer-selector") > 0);
    assert!(
        r.rules().iter().all(|r| *r == "split-peer-selector"),
        "{}",
        r.stdout
    );

    // Comma lists and repeats add up; `all` is every rule.
    let r = run(check().args([
        "--no-config",
        "--select",
        "split-peer-selector,egress-to-anywhere",
        "--select",
        "peer-matches-nothing",
        "fixtures/example",
    ]));
    let mut rules = r.rules();
    rules.sort_unstable();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "egress-to-anywhere",
            "peer-matches-nothing",
            "split-peer-selector"
        ]
    );
    let r = run(check().args(["--no-config", "--select", "all", "fixtures/example"]));
    assert_eq!(r.stdout, all.stdout);

    let r = run(check().args([
        "--no-config",
        "--ignore",
        "egress-to-anywhere",
        "fixtures/example",
    ]));
    assert_eq!(r.count("egress-to-anywhere"), 0);
    assert_eq!(
        r.rules().len(),
        all.rules().len() - all.count("egress-to-anywhere")
    );
}

#[test]
fn unknown_rule_names_exit_2_with_a_suggestion() {
    for flag in ["--select", "--ignore"] {
        let r = run(check().args([flag, "egress-to-anywher", "fixtures/example"]));
        assert_eq!(r.code, 2, "{flag}");
        assert!(
            r.stderr.contains("`egress-to-anywher` is not a rule")
                && r.stderr.contains("did you mean `egress-to-anywhere`?"),
            "{flag}: {}",
            r.stderr
        );
    }
    let r = run(check().args(["--severity", "dns-tcp-mising=info", "fixtures/example"]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `dns-tcp-missing`?"),
        "{}",
        r.stderr
    );
}

#[test]
fn skipped_namespaces_lose_their_findings_but_stay_in_the_model() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let input = write(tmp.path(), "p.yaml", TWO_NAMESPACES);
    let select = [
        "--select",
        "egress-to-anywhere,dns-egress-blocked,dns-tcp-missing",
    ];
    let r = run(check().arg("--no-config").args(select).arg(&input));
    assert_eq!(r.count("egress-to-anywhere"), 2, "{}", r.stdout);
    assert_eq!(r.rules().len(), 2, "DNS on 1053 is allowed: {}", r.stdout);

    let config = write(tmp.path(), "c.yaml", "skip-namespaces: [kube-system]\n");
    let r = run(check()
        .arg("--config")
        .arg(&config)
        .args(select)
        .arg(&input));
    assert_eq!(r.rules(), ["egress-to-anywhere"], "{}", r.stdout);
    let line = TWO_NAMESPACES
        .lines()
        .enumerate()
        .filter(|(_, l)| l.starts_with("    - ports: [{port: 443"))
        .map(|(i, _)| i + 1)
        .nth(1)
        .expect("the `shop` rule");
    assert!(
        r.stdout.contains(&format!("p.yaml:{line}:7:")),
        "the `shop` policy: {}",
        r.stdout
    );
}

#[test]
fn openshift_dns_from_the_configuration() {
    let select = ["--select", "dns-egress-blocked,dns-tcp-missing"];
    let r = run(check().arg("--no-config").args(select).arg(OPENSHIFT));
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["dns-egress-blocked"]);
    assert!(
        r.stdout.contains("UDP 53 to the cluster DNS"),
        "{}",
        r.stdout
    );

    let r = run(check()
        .args(["--config", OPENSHIFT_CONFIG])
        .args(select)
        .arg(OPENSHIFT));
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.stdout);

    // Under the OpenShift configuration, a policy that opens 53 is what is
    // wrong, and the message says which port is needed.
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = read("fixtures/config/openshift/shop.yaml").replace("port: 5353", "port: 53");
    let input = write(tmp.path(), "shop.yaml", &text);
    let r = run(check()
        .args(["--config", OPENSHIFT_CONFIG])
        .args(select)
        .arg(&input));
    assert_eq!(r.rules(), ["dns-egress-blocked"]);
    assert!(
        r.stdout
            .contains("UDP 5353 to the cluster DNS (`openshift-dns` pods"),
        "{}",
        r.stdout
    );
}

#[test]
fn dns_protocols_decide_whether_tcp_is_needed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = read("fixtures/config/openshift/shop.yaml")
        .replace("        - protocol: TCP\n          port: 5353\n", "");
    let input = write(tmp.path(), "shop.yaml", &text);
    let select = ["--select", "dns-egress-blocked,dns-tcp-missing"];
    let r = run(check()
        .args(["--config", OPENSHIFT_CONFIG])
        .args(select)
        .arg(&input));
    assert_eq!(r.rules(), ["dns-tcp-missing"], "{}", r.stdout);

    let udp_only = format!("{}  protocols: [UDP]\n", read(OPENSHIFT_CONFIG));
    let config = write(tmp.path(), "c.yaml", &udp_only);
    let r = run(check()
        .arg("--config")
        .arg(&config)
        .args(select)
        .arg(&input));
    assert_eq!(r.rules(), Vec::<&str>::new(), "{}", r.stdout);
}

/// The suppression fixture with its suppressions taken out.
fn unsuppressed() -> String {
    read(SUPPRESSED)
        .lines()
        .filter(|l| !l.contains("netpol-lint.io/") && !l.trim_start().starts_with("# netpol-lint"))
        .map(|l| l.split(" # netpol-lint").next().unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn annotations_and_comments_suppress() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let bare = write(tmp.path(), "bare.yaml", &unsuppressed());
    let r = run(check()
        .args(["--no-config", "--select", "egress-to-anywhere"])
        .arg(&bare));
    assert_eq!(r.count("egress-to-anywhere"), 3, "{}", r.stdout);

    // One by annotation, one by a comment before, one at the end of the line.
    let r = run(check().args(["--no-config", SUPPRESSED]));
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.stdout);
}

#[test]
fn a_comment_covers_only_its_line() {
    let tmp = tempfile::tempdir().expect("temp dir");
    // The comment is two lines above the finding, with a blank line between.
    let text = read(SUPPRESSED).replace(
        "    # netpol-lint: ignore[egress-to-anywhere] mail goes to any MX host\n",
        "    # netpol-lint: ignore[egress-to-anywhere] mail goes to any MX host\n\n",
    );
    let input = write(tmp.path(), "p.yaml", &text);
    let r = run(check()
        .args([
            "--no-config",
            "--select",
            "egress-to-anywhere,unused-suppression",
        ])
        .arg(&input));
    assert_eq!(
        r.rules(),
        ["unused-suppression", "egress-to-anywhere"],
        "{}",
        r.stdout
    );
}

#[test]
fn unused_and_unknown_suppressions_are_reported() {
    let r = run(check().args(["--no-config", UNUSED]));
    assert_eq!(r.count("unused-suppression"), 4, "{}", r.stdout);
    assert!(r.stdout.contains(
        "bad_unused.yaml:13:49: info[unused-suppression]: `ingres-from-anywhere` in this \
         suppression is not a rule"
    ));
    // A suppressed rule that did not run was not unused.
    let r = run(check().args([
        "--no-config",
        "--select",
        "unused-suppression,dns-tcp-missing",
        UNUSED,
    ]));
    assert_eq!(r.count("unused-suppression"), 3, "{}", r.stdout);
    // Its own severity can change, like any rule's.
    let r = run(check().args([
        "--no-config",
        "--severity",
        "unused-suppression=warning",
        UNUSED,
    ]));
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("warning[unused-suppression]"));
}

#[test]
fn loader_findings_are_suppressed_by_comment() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let text = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: quiet
spec:
  podSelector: {}
  podSelector: {} # netpol-lint: ignore[duplicate-key] generated, fixed upstream
  policyTypes: [Ingress, Egress]
";
    let input = write(tmp.path(), "p.yaml", text);
    let r = run(check().arg("--no-config").arg(&input));
    assert_eq!((r.code, r.rules()), (0, vec![]), "{}", r.stdout);
    let bare = write(
        tmp.path(),
        "q.yaml",
        &text.replace(" # netpol-lint", " # was"),
    );
    let r = run(check().arg("--no-config").arg(&bare));
    assert_eq!(r.rules(), ["duplicate-key"], "{}", r.stdout);
}

#[test]
fn requirements_from_the_flag_and_the_configuration() {
    let shop = "fixtures/requirements/shop.yaml";
    let select = ["--select", "requirement-violated,requirement-unevaluable"];
    let r = run(check()
        .args([
            "--no-config",
            "--requirements",
            "fixtures/requirements/bad_shop.yaml",
        ])
        .args(select)
        .arg(shop));
    assert_eq!(r.code, 1);
    assert_eq!(r.count("requirement-violated"), 3, "{}", r.stdout);
    assert_eq!(r.count("requirement-unevaluable"), 1, "{}", r.stdout);

    // From a configuration, relative to its directory.
    let tmp = tempfile::tempdir().expect("temp dir");
    let bad = read("fixtures/requirements/bad_shop.yaml");
    write(tmp.path(), "deploy/reqs.yaml", &bad);
    write(
        tmp.path(),
        ".netpol-lint.yaml",
        "requirements: [deploy/reqs.yaml]\n",
    );
    std::fs::copy(root().join(shop), tmp.path().join("deploy/shop.yaml")).expect("copy");
    let sub = tmp.path().join("deploy");
    let r = run(check_in(&sub).args(select).arg("shop.yaml"));
    assert_eq!(
        r.count("requirement-violated"),
        3,
        "{}{}",
        r.stdout,
        r.stderr
    );
    // Paths in findings are relative to where `check` runs.
    assert!(
        r.stdout.starts_with("../deploy/reqs.yaml:9:11:"),
        "{}",
        r.stdout
    );

    // Requirement findings are suppressed like any other.
    let silenced = bad.replacen(
        "  - name: web-reaches-api-admin\n",
        "  # netpol-lint: ignore[requirement-violated] admin port opens next sprint\n  - name: web-reaches-api-admin\n",
        1,
    );
    let reqs = write(tmp.path(), "silenced.yaml", &silenced);
    let r = run(check()
        .arg("--no-config")
        .arg("--requirements")
        .arg(&reqs)
        .args(select)
        .arg(shop));
    assert_eq!(r.count("requirement-violated"), 2, "{}", r.stdout);

    let r = run(check().args(["--no-config", "--requirements", "no/such.yaml", shop]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("`no/such.yaml` does not exist"),
        "{}",
        r.stderr
    );
    let dir = tmp.path().to_str().expect("utf-8");
    let r = run(check().args(["--no-config", "--requirements", dir, shop]));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("is a directory; name a requirements file"),
        "{}",
        r.stderr
    );
}

#[test]
fn profile_on_the_redis_corpus() {
    let corpus = Path::new(CORPUS);
    if !corpus.is_dir() {
        eprintln!(
            "skipping: the redis corpus is absent ({})",
            corpus.display()
        );
        return;
    }
    let select = ["--select", "requirement-violated"];
    let r = run(check()
        .args(["--no-config", "--profile", "redis-enterprise"])
        .args(select)
        .arg(corpus));
    assert_eq!(r.code, 1);
    assert!(r.count("requirement-violated") > 0, "{}", r.stdout);
    assert!(
        r.stdout.starts_with("<profile redis-enterprise>:"),
        "{}",
        r.stdout
    );
    let without = run(check().arg("--no-config").args(select).arg(corpus));
    assert_eq!(without.rules(), Vec::<&str>::new());

    // The same profile from the configuration; profile flags override its
    // parameters.
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = write(
        tmp.path(),
        "c.yaml",
        "profiles:\n  - name: redis-enterprise\n    namespace: elsewhere\n",
    );
    let from_config = run(check()
        .arg("--config")
        .arg(&config)
        .args(select)
        .arg(corpus));
    assert_ne!(
        from_config.stdout, r.stdout,
        "the namespace parameter is used"
    );
    let overridden = run(check()
        .arg("--config")
        .arg(&config)
        .args(["--namespace", "redis-enterprise"])
        .args(select)
        .arg(corpus));
    assert_eq!(overridden.stdout, r.stdout);
}

#[test]
fn command_line_overrides_the_configuration() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let input = write(tmp.path(), "p.yaml", TWO_NAMESPACES);
    let config = write(
        tmp.path(),
        "c.yaml",
        "rules:\n  ignore: [egress-to-anywhere]\n  severity:\n    egress-to-anywhere: info\n\
         fail-on: never\n",
    );
    let with = |args: &[&str]| run(check().arg("--config").arg(&config).args(args).arg(&input));

    let r = with(&["--select", "egress-to-anywhere"]);
    assert_eq!(
        (r.code, r.count("egress-to-anywhere")),
        (0, 2),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("info[egress-to-anywhere]"),
        "{}",
        r.stdout
    );

    let r = with(&["--select", "egress-to-anywhere", "--fail-on", "info"]);
    assert_eq!(r.code, 1);

    let r = with(&[
        "--select",
        "egress-to-anywhere",
        "--severity",
        "egress-to-anywhere=error",
        "--fail-on",
        "error",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("error[egress-to-anywhere]"),
        "{}",
        r.stdout
    );

    // `--config` and `--no-config` exclude each other.
    let r = run(check()
        .arg("--config")
        .arg(&config)
        .arg("--no-config")
        .arg(&input));
    assert_eq!(r.code, 2);
}

#[test]
fn schema_covers_the_keys() {
    let out = Command::cargo_bin("netpol-lint")
        .expect("binary")
        .args(["config", "schema"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let keys: Vec<&str> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    for key in [
        "rules",
        "fail-on",
        "skip-namespaces",
        "requirements",
        "profiles",
        "dns",
        "operators",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    let select = &schema["properties"]["rules"]["properties"]["select"]["items"]["enum"];
    assert!(
        select
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == "unused-suppression"))
    );
}

/// The example of the README parses and names only real rules (the files
/// it names are the reader's).
#[test]
fn readme_example_is_a_valid_configuration() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let start = readme
        .find("```yaml\n# .netpol-lint.yaml")
        .expect("README has a configuration example");
    let body = &readme[start + "```yaml\n".len()..];
    let body = &body[..body.find("```").expect("closing fence")];
    let mut sources = netpol_lint::source::Sources::default();
    let result =
        netpol_lint::config::parse_config(".netpol-lint.yaml", Path::new(""), body, &mut sources);
    let diags = result.err().unwrap_or_default();
    let messages: Vec<&str> = diags
        .iter()
        .map(|d| d.message.as_str())
        .filter(|m| !m.ends_with("does not exist"))
        .collect();
    assert!(messages.is_empty(), "README example: {messages:?}");
}
