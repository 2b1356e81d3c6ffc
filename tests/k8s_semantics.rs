//! Kubernetes behaviour the model follows although the manifests do not
//! spell it out, end to end: what `query` decides and what `check` reports.
//!
//! Each test writes a small input to a temporary directory; queries use the
//! JSON format so that the verdict and the deciding policies are read as
//! data.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn input(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("input.yaml"), text).expect("write input");
    dir
}

fn netpol(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("netpol-lint").expect("binary");
    cmd.current_dir(dir).env_remove("NO_COLOR").arg("-q");
    cmd
}

/// `query . --from FROM --to TO --port PORT` as JSON, checking that the exit
/// code agrees with the verdict.
fn query(dir: &Path, from: &str, to: &str, port: &str) -> Value {
    let out = netpol(dir)
        .args(["query", ".", "--from", from, "--to", to, "--port", port])
        .args(["--format", "json"])
        .output()
        .expect("run netpol-lint");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let expected = if v["allowed"] == true { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(expected), "{v}");
    v
}

/// The findings of `check .` as JSON.
fn findings(dir: &Path) -> Vec<Value> {
    let out = netpol(dir)
        .args(["check", ".", "--format", "json"])
        .output()
        .expect("run netpol-lint");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v["diagnostics"].as_array().expect("diagnostics").clone()
}

fn rules_of(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .map(|d| d["rule"].as_str().expect("rule"))
        .collect()
}

/// `web` and a pod `db` in `shop`, with `db`'s containers written by the
/// caller, and a policy admitting `web` to `db` on the named port `proxy`.
fn db_with_containers(containers: &str) -> String {
    format!(
        "\
apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop, labels: {{app: web}}}}
spec:
  containers: [{{name: web, image: x}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: db, namespace: shop, labels: {{app: db}}}}
spec:
{containers}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db-proxy, namespace: shop}}
spec:
  podSelector:
    matchLabels: {{app: db}}
  ingress:
    - from:
        - podSelector:
            matchLabels: {{app: web}}
      ports:
        - port: proxy
"
    )
}

#[test]
fn named_ports_of_sidecar_init_containers_resolve() {
    let dir = input(&db_with_containers(
        "  containers: [{name: db, image: x}]
  initContainers:
    - name: proxy
      image: x
      restartPolicy: Always
      ports: [{name: proxy, containerPort: 15001}]",
    ));
    let v = query(dir.path(), "shop/web", "shop/db", "15001");
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(
        v["ingress"]["allowing_rules"][0]["policy"], "shop/db-proxy",
        "{v}"
    );
    // The name also works on the command line.
    let v = query(dir.path(), "shop/web", "shop/db", "proxy");
    assert_eq!(v["port"]["port"], 15001, "{v}");
    let found = findings(dir.path());
    assert!(
        !rules_of(&found).contains(&"named-port-unresolved"),
        "{found:?}"
    );
}

#[test]
fn named_ports_of_ordinary_init_containers_do_not_resolve() {
    let dir = input(&db_with_containers(
        "  containers: [{name: db, image: x}]
  initContainers:
    - name: proxy
      image: x
      ports: [{name: proxy, containerPort: 15001}]",
    ));
    let v = query(dir.path(), "shop/web", "shop/db", "15001");
    assert_eq!(v["allowed"], false, "{v}");
    let found = findings(dir.path());
    assert!(
        rules_of(&found).contains(&"named-port-unresolved"),
        "{found:?}"
    );
}

/// Objects in `namespace: ""`, which ObjectMeta defines as `default`, next
/// to objects without a namespace.
const EMPTY_NAMESPACE: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: '', labels: {app: web}}
spec:
  containers: [{name: web, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, labels: {app: db}}
spec:
  containers: [{name: db, image: x}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-api, namespace: \"\"}
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: api}
";

#[test]
fn an_empty_namespace_is_default() {
    let dir = input(EMPTY_NAMESPACE);
    let v = query(dir.path(), "default/web", "default/db", "80");
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["from"]["endpoint"], "default/web[Pod]", "{v}");
    assert_eq!(
        v["ingress"]["policies"],
        serde_json::json!([{"name": "db-from-api", "namespace": "default", "file": "input.yaml", "line": 15}])
    );
    let v = query(dir.path(), "default[app=api]", "default/db", "80");
    assert_eq!(v["allowed"], true, "{v}");
    // One namespace: web and db are neighbours, and no `/web` appears.
    let reach = netpol(dir.path())
        .args(["reach", "."])
        .output()
        .expect("run netpol-lint");
    assert_eq!(
        String::from_utf8(reach.stdout).expect("utf-8"),
        "\
0.0.0.0-255.255.255.255[External] => default/web[Pod] : All Connections
default/db[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections
default/db[Pod] => default/web[Pod] : All Connections
default/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections
"
    );
    let found = findings(dir.path());
    let missing: Vec<&Value> = found
        .iter()
        .filter(|d| d["rule"] == "namespace-missing")
        .collect();
    assert_eq!(missing.len(), 1, "{found:?}");
    assert_eq!(missing[0]["object"], "NetworkPolicy default/db-from-api");
    assert_eq!(
        (missing[0]["line"].as_u64(), missing[0]["column"].as_u64()),
        (Some(15), Some(42))
    );
}

/// A Job in `shop` and a policy that selects its pods by the label the Job
/// controller adds, `batch.kubernetes.io/job-name`, admitting only `web`.
const JOB: &str = "\
apiVersion: batch/v1
kind: Job
metadata: {name: backup, namespace: shop}
spec:
  template:
    metadata: {labels: {app: backup}}
    spec:
      restartPolicy: Never
      containers: [{name: backup, image: x}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backup-from-web, namespace: shop}
spec:
  podSelector:
    matchLabels: {batch.kubernetes.io/job-name: backup}
  ingress:
    - from:
        - podSelector:
            matchLabels: {job-name: web}
";

#[test]
fn job_pods_carry_the_job_name_labels() {
    let dir = input(JOB);
    let v = query(dir.path(), "shop[app=api]", "shop/backup", "80");
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(
        v["ingress"]["policies"][0]["name"], "backup-from-web",
        "{v}"
    );
    let v = query(dir.path(), "shop[job-name=web]", "shop/backup", "80");
    assert_eq!(v["allowed"], true, "{v}");
    assert_eq!(
        v["ingress"]["allowing_rules"][0]["policy"], "shop/backup-from-web",
        "{v}"
    );
    let found = findings(dir.path());
    assert!(
        !rules_of(&found).contains(&"selector-matches-nothing"),
        "{found:?}"
    );
}

/// `web` and `db` in `shop`, then two definitions of `shop/db`: the first
/// admits `web`, the second (later in the file, so applied last) admits
/// nothing.
const DUPLICATE: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: web, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  containers: [{name: db, image: x}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: web}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: db}
  policyTypes: [Ingress]
";

#[test]
fn a_later_definition_of_a_policy_replaces_the_earlier_one() {
    let dir = input(DUPLICATE);
    let v = query(dir.path(), "shop/web", "shop/db", "80");
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(
        v["ingress"]["policies"],
        serde_json::json!([{"name": "db", "namespace": "shop", "file": "input.yaml", "line": 26}])
    );
    assert_eq!(v["ingress"]["other_port_rules"], serde_json::json!([]));
    let found = findings(dir.path());
    let dup: Vec<&Value> = found
        .iter()
        .filter(|d| d["rule"] == "duplicate-policy")
        .collect();
    assert_eq!(dup.len(), 1, "{found:?}");
    assert_eq!(dup[0]["line"], 26);
    assert_eq!(dup[0]["related"][0]["line"], 15, "{}", dup[0]);
    assert_eq!(dup[0]["related"][0]["message"], "first defined here");
    let out = Command::cargo_bin("netpol-lint")
        .expect("binary")
        .current_dir(dir.path())
        .args(["check", "-v", "."])
        .output()
        .expect("run netpol-lint");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains(
            "1 namespace, 2 workloads, 1 NetworkPolicy (1 more replaced by a later definition)"
        ),
        "{log}"
    );
}

/// Two definitions of `shop/open`; the first, replaced, carries an invalid
/// selector and suppressions of the findings rules about the effect of a
/// policy (`ingress-from-anywhere`, `any-namespace-peer`) would make in it.
const REPLACED_WITH_SUPPRESSIONS: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: open
  namespace: shop
  annotations:
    netpol-lint.io/ignore: ingress-from-anywhere,no-such-rule
spec:
  podSelector:
    matchLabels: {app: db, bad key: x}
  ingress:
    - {}
    - from:
        - namespaceSelector: {} # netpol-lint: ignore[any-namespace-peer]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

#[test]
fn suppressions_in_a_replaced_definition_are_not_reported_unused() {
    let dir = input(REPLACED_WITH_SUPPRESSIONS);
    let found = findings(dir.path());
    let got: Vec<(&str, u64, u64)> = found
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().expect("rule"),
                d["line"].as_u64().expect("line"),
                d["column"].as_u64().expect("column"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            // The unknown name is a mistake whatever happens to the object.
            ("unused-suppression", 7, 50),
            // The API server rejects the first definition: still reported.
            ("invalid-selector", 10, 28),
            ("duplicate-policy", 18, 18),
        ],
        "{found:#?}"
    );
    // The annotation of a replaced definition silences what is still
    // found in it.
    let dir = input(&REPLACED_WITH_SUPPRESSIONS.replace(",no-such-rule", ",invalid-selector"));
    let found = findings(dir.path());
    assert_eq!(rules_of(&found), ["duplicate-policy"], "{found:#?}");
}
