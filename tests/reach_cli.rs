//! `netpol-lint reach` formats and `netpol-lint query` end to end: output
//! shapes, JSON fields and exit codes (0 allowed, 1 denied, 2 bad input).
//!
//! The input is a small shop written to a temporary directory: `web` may
//! reach `db` on its named port `postgres` only, and `db` may not open
//! connections at all.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const SHOP: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels: {team: retail}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          ports: [{name: postgres, containerPort: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-from-web
  namespace: shop
spec:
  podSelector:
    matchLabels: {app: db}
  policyTypes: [Ingress, Egress]
  ingress:
    - from:
        - podSelector:
            matchLabels: {app: web}
      ports:
        - port: postgres
";

fn shop() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("shop.yaml"), SHOP).expect("write input");
    dir
}

fn netpol(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("netpol-lint").expect("binary");
    cmd.current_dir(dir).arg("-q");
    cmd
}

fn stdout(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8 output")
}

fn stderr(cmd: &mut Command, code: i32) -> String {
    let out = cmd.assert().code(code).get_output().stderr.clone();
    String::from_utf8(out).expect("utf-8 output")
}

const EXPECTED_TXT: &str = "\
0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : All Connections
shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections
shop/web[Deployment] => shop/db[StatefulSet] : TCP 5432
";

#[test]
fn reach_txt_is_netpol_analyzer_lines() {
    let dir = shop();
    let out = stdout(netpol(dir.path()).args(["reach", "."]), 0);
    assert_eq!(out, EXPECTED_TXT);
}

#[test]
fn reach_json_has_conn_and_structured_ports() {
    let dir = shop();
    let out = stdout(
        netpol(dir.path()).args(["reach", ".", "--format", "json"]),
        0,
    );
    let v: Value = serde_json::from_str(&out).expect("json");
    let items = v.as_array().expect("array");
    assert_eq!(items.len(), 3);
    let last = &items[2];
    assert_eq!(last["src"], "shop/web[Deployment]");
    assert_eq!(last["dst"], "shop/db[StatefulSet]");
    assert_eq!(last["conn"], "TCP 5432");
    assert_eq!(
        last["ports"],
        serde_json::json!([{"protocol": "TCP", "ranges": [{"from": 5432, "to": 5432}]}])
    );
    assert!(
        out.starts_with("[\n  {\n    \"src\": "),
        "2-space indent: {out}"
    );
}

#[test]
fn reach_csv_md_and_dot() {
    let dir = shop();
    let csv = stdout(
        netpol(dir.path()).args(["reach", ".", "--format", "csv"]),
        0,
    );
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "src,dst,conn");
    assert_eq!(
        rows[3],
        "shop/web[Deployment],shop/db[StatefulSet],TCP 5432"
    );
    assert_eq!(rows.len(), 4);

    let md = stdout(netpol(dir.path()).args(["reach", ".", "--format", "md"]), 0);
    let rows: Vec<&str> = md.lines().collect();
    assert_eq!(rows[0], "| src | dst | conn |");
    assert!(rows[1].starts_with("|--"));
    assert_eq!(
        rows[4],
        "| shop/web[Deployment] | shop/db[StatefulSet] | TCP 5432 |"
    );

    let dot = stdout(
        netpol(dir.path()).args(["reach", ".", "--format", "dot"]),
        0,
    );
    assert!(dot.starts_with("digraph "), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    // db has no outgoing line but is still a node.
    assert!(dot.contains("  \"shop/db[StatefulSet]\";\n"), "{dot}");
    assert!(
        dot.contains("\"shop/web[Deployment]\" -> \"shop/db[StatefulSet]\" [label=\"TCP 5432\"]"),
        "{dot}"
    );
    let again = stdout(
        netpol(dir.path()).args(["reach", ".", "--format", "dot"]),
        0,
    );
    assert_eq!(dot, again, "dot output is deterministic");
}

#[test]
fn query_allowed_names_the_rule() {
    let dir = shop();
    let mut cmd = netpol(dir.path());
    cmd.args([
        "query", ".", "--from", "shop/web", "--to", "shop/db", "--port", "5432",
    ]);
    let out = stdout(&mut cmd, 0);
    assert!(
        out.starts_with("allowed: shop/web[Deployment] => shop/db[StatefulSet] on TCP 5432\n"),
        "{out}"
    );
    assert!(
        out.contains("not isolated for egress: all traffic allowed"),
        "{out}"
    );
    assert!(out.contains("shop/db-from-web  shop.yaml:34"), "{out}");
    assert!(
        out.contains("shop/db-from-web ingress[0]  shop.yaml:41"),
        "{out}"
    );
}

#[test]
fn query_resolves_named_port_on_destination() {
    let dir = shop();
    let mut cmd = netpol(dir.path());
    cmd.args([
        "query",
        ".",
        "--from",
        "shop/web[Deployment]",
        "--to",
        "shop/db",
    ]);
    cmd.args(["--port", "postgres", "--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&mut cmd, 0)).expect("json");
    assert_eq!(v["allowed"], true);
    assert_eq!(
        v["port"],
        serde_json::json!({"protocol": "TCP", "port": 5432, "name": "postgres"})
    );
}

#[test]
fn query_denied_explains_both_sides_in_json() {
    let dir = shop();
    let mut cmd = netpol(dir.path());
    cmd.args([
        "query",
        ".",
        "--from",
        "shop[app=intruder]",
        "--to",
        "shop/db",
        "--port",
        "5432",
    ]);
    cmd.args(["--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&mut cmd, 1)).expect("json");
    assert_eq!(v["allowed"], false);
    assert_eq!(v["egress"]["isolated"], false);
    assert_eq!(v["egress"]["allowed"], true);
    assert_eq!(v["ingress"]["isolated"], true);
    assert_eq!(v["ingress"]["allowed"], false);
    assert_eq!(
        v["ingress"]["policies"],
        serde_json::json!([{"name": "db-from-web", "namespace": "shop", "file": "shop.yaml", "line": 34}])
    );
    assert_eq!(v["ingress"]["allowing_rules"], serde_json::json!([]));
    assert_eq!(v["from"]["kind"], "hypothetical");
}

#[test]
fn query_denied_egress_of_isolated_source() {
    let dir = shop();
    let mut cmd = netpol(dir.path());
    cmd.args([
        "query", ".", "--from", "shop/db", "--to", "10.0.0.1", "--port", "53/UDP",
    ]);
    let out = stdout(&mut cmd, 1);
    assert!(
        out.starts_with("denied: shop/db[StatefulSet] => 10.0.0.1 on UDP 53\n"),
        "{out}"
    );
    assert!(out.contains("no rule allows UDP 53 to 10.0.0.1"), "{out}");
    assert!(
        out.contains("an external address: no policy applies"),
        "{out}"
    );
}

#[test]
fn query_from_an_address() {
    let dir = shop();
    let mut cmd = netpol(dir.path());
    cmd.args([
        "query",
        ".",
        "--from",
        "192.168.1.1",
        "--to",
        "shop/web",
        "--port",
        "http",
    ]);
    cmd.args(["--format", "json"]);
    let v: Value = serde_json::from_str(&stdout(&mut cmd, 0)).expect("json");
    assert_eq!(v["egress"]["applies"], false);
    assert_eq!(v["ingress"]["isolated"], false);
    assert_eq!(v["port"]["port"], 8080);
}

#[test]
fn query_bad_input_exits_2_with_a_reason() {
    let dir = shop();
    let cases: [(&[&str], &str); 6] = [
        (
            &["--from", "shop/nope", "--to", "shop/db", "--port", "80"],
            "no workload `shop/nope`",
        ),
        (
            &["--from", "shop", "--to", "shop/db", "--port", "80"],
            "`shop` is not an endpoint",
        ),
        (
            &["--from", "shop/web", "--to", "shop/db", "--port", "99999"],
            "out of range",
        ),
        (
            &["--from", "shop/web", "--to", "shop/db", "--port", "80/ICMP"],
            "`ICMP` is not a protocol",
        ),
        (
            &["--from", "shop/web", "--to", "shop/db", "--port", "http"],
            "no container port `http`",
        ),
        (
            &[
                "--from",
                "shop/web",
                "--to",
                "shop[app=x]",
                "--port",
                "http",
            ],
            "give a number",
        ),
    ];
    for (args, reason) in cases {
        let mut cmd = netpol(dir.path());
        cmd.args(["query", "."]).args(args);
        let err = stderr(&mut cmd, 2);
        assert!(err.contains(reason), "{args:?}: {err}");
    }
}

#[test]
fn reach_refuses_a_map_beyond_the_pair_limit() {
    let dir = shop();
    // The bound for the shop: web reaches itself and db (2), db reaches
    // nothing, and each of the 2 workloads pairs with one address range
    // per direction (4): 6, for 3 real lines.
    let err = stderr(
        netpol(dir.path()).args(["reach", ".", "--max-pairs", "5"]),
        2,
    );
    assert!(err.contains("may hold up to 6 pairs"), "{err}");
    assert!(err.contains("--max-pairs 6"), "{err}");
    for limit in ["6", "0"] {
        let out = stdout(
            netpol(dir.path()).args(["reach", ".", "--max-pairs", limit]),
            0,
        );
        assert_eq!(out, EXPECTED_TXT);
    }
}
