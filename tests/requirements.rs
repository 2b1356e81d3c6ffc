//! Traffic requirements: parsing, evaluation, the bundled Redis Enterprise
//! profile, and the real Redis guide in ../shared/corpus.

use std::path::Path;

use netpol_lint::engine::Engine;
use netpol_lint::load::{Input, Loaded, load, load_texts};
use netpol_lint::report::{Diagnostic, Severity};
use netpol_lint::requirements::{
    PROFILES, ProfileParams, evaluate, load_profile, load_requirements_text, profile, schema,
};
use netpol_lint::source::{Sources, Span};

const SHOP: &str = include_str!("../fixtures/requirements/shop.yaml");
const OK_SHOP: &str = include_str!("../fixtures/requirements/ok_shop.yaml");
const BAD_SHOP: &str = include_str!("../fixtures/requirements/bad_shop.yaml");
const BAD_INVALID: &str = include_str!("../fixtures/requirements/bad_invalid.yaml");

const VIOLATED: &str = "requirement-violated";
const UNEVALUABLE: &str = "requirement-unevaluable";
const INVALID: &str = "requirements-invalid";

/// `line:col` of a span's start.
fn at(sources: &Sources, span: Span) -> String {
    let (start, _) = sources.range(span);
    format!("{}:{}", start.line, start.column)
}

/// The source text a span covers.
fn text(sources: &Sources, span: Span) -> String {
    sources.text(span).to_string()
}

/// Loads manifests and requirements and evaluates; the requirements must
/// parse cleanly.
fn check(manifests: &str, requirements: &str) -> (Loaded, Vec<Diagnostic>) {
    let mut loaded = load_texts(&[("cluster.yaml", manifests)]);
    assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
    let (reqs, diags) = load_requirements_text("reqs.yaml", requirements, &mut loaded.sources);
    assert!(diags.is_empty(), "{diags:#?}");
    let out = evaluate(&Engine::new(&loaded.cluster), &reqs);
    (loaded, out)
}

fn show(sources: &Sources, diags: &[Diagnostic]) -> String {
    let mut s = String::new();
    for d in diags {
        let file = &sources.get(d.primary.span.file).path;
        s.push_str(&format!(
            "{file}:{} {}: {}\n",
            at(sources, d.primary.span),
            d.rule,
            d.message
        ));
        for l in &d.secondary {
            let file = &sources.get(l.span.file).path;
            s.push_str(&format!(
                "    {file}:{} {}\n",
                at(sources, l.span),
                l.message
            ));
        }
        if let Some(h) = &d.help {
            s.push_str(&format!("    help: {h}\n"));
        }
    }
    s
}

#[test]
fn requirements_that_hold_give_no_finding() {
    let (loaded, out) = check(SHOP, OK_SHOP);
    assert!(out.is_empty(), "{}", show(&loaded.sources, &out));
}

#[test]
fn broken_requirements_are_located_with_a_counterexample() {
    let (loaded, out) = check(SHOP, BAD_SHOP);
    let s = &loaded.sources;
    let summary: Vec<(String, &str)> = out
        .iter()
        .map(|d| (at(s, d.primary.span), d.rule))
        .collect();
    assert_eq!(
        summary,
        [
            ("9:11".to_string(), VIOLATED),
            ("14:11".to_string(), VIOLATED),
            ("18:11".to_string(), VIOLATED),
            ("23:11".to_string(), UNEVALUABLE),
        ],
        "{}",
        show(s, &out)
    );

    let admin = &out[0];
    assert_eq!(admin.severity, Severity::Error);
    assert!(
        admin
            .message
            .contains("from shop/web[Deployment] to shop/api[Deployment] on 8443/TCP is denied"),
        "{}",
        admin.message
    );
    // Both ends are isolated: the policies that select them are labelled.
    let labelled: Vec<String> = admin.secondary.iter().map(|l| text(s, l.span)).collect();
    assert_eq!(labelled, ["default-deny", "web", "default-deny", "api"]);
    assert!(admin.secondary[0].message.contains("source for egress"));
    assert!(
        admin.secondary[2]
            .message
            .contains("destination for ingress")
    );

    let vpc = &out[1];
    assert!(
        vpc.message
            .contains("from shop/api[Deployment] to 10.0.0.0-10.0.255.255 on 443/TCP is allowed"),
        "{}",
        vpc.message
    );
    // The deciding rule is the `api` policy's second egress rule.
    assert_eq!(vpc.secondary.len(), 1);
    assert_eq!(at(s, vpc.secondary[0].span), "78:7");
    assert!(
        vpc.secondary[0]
            .message
            .contains("egress rule allows 443/TCP")
    );

    let https = &out[2];
    assert!(
        https
            .message
            .contains("to 10.1.0.0-10.1.255.255 on 443/TCP is denied"),
        "{}",
        https.message
    );

    let cron = &out[3];
    assert_eq!(cron.severity, Severity::Warning);
    assert!(
        cron.message
            .contains("workload `shop/cron` is not in the input"),
        "{}",
        cron.message
    );
}

#[test]
fn representative_pods_stand_in_on_a_policy_only_input() {
    // Only policies: every answer comes from representative pods.
    let policies = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: db}
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: clients, namespace: db}
spec:
  podSelector: {matchLabels: {app: pg}}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {db-client: \"true\"}}}]
      ports: [{port: 5432}]
";
    let reqs = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: clients-reach-pg
    from: {namespaceSelector: {matchLabels: {db-client: \"true\"}}}
    to: {namespace: db, podSelector: {matchLabels: {app: pg}}}
    ports: [5432/TCP]
    expect: allow
  - name: clients-reach-only-pg-port
    from: {namespaceSelector: {matchLabels: {db-client: \"true\"}}}
    to: {namespace: db, podSelector: {matchLabels: {app: pg}}}
    ports: [5433/TCP]
    expect: deny
  - name: others-do-not-reach-pg
    from: {namespaceSelector: {matchExpressions: [{key: db-client, operator: DoesNotExist}]}}
    to: {namespace: db, podSelector: {matchLabels: {app: pg}}}
    expect: deny
  - name: pg-reaches-nothing-new
    from: {namespace: db, podSelector: {matchLabels: {app: pg}}}
    to: {namespace: kube-system}
    ports: [53/UDP]
    expect: allow
  - name: other-db-pods-are-closed
    from: {namespace: web}
    to: {namespace: db, podSelector: {matchLabels: {app: cache}}}
    ports: [6379/TCP]
    expect: allow
";
    let (loaded, out) = check(policies, reqs);
    let s = &loaded.sources;
    assert_eq!(out.len(), 1, "{}", show(s, &out));
    // `web` exists only in the requirement: a namespace by name is always
    // there; `cache` pods are isolated by `deny` and nothing admits them.
    assert_eq!(out[0].rule, VIOLATED);
    assert!(
        out[0]
            .message
            .contains("from web[no labels] to db[app=cache] on 6379/TCP is denied"),
        "{}",
        out[0].message
    );
    assert_eq!(out[0].secondary.len(), 1);
    assert_eq!(text(s, out[0].secondary[0].span), "deny");
}

#[test]
fn builtin_namespaces_count_for_selectors() {
    // No `default` namespace in the input, but every cluster has one, and a
    // rule admits it.
    let policies = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-default, namespace: db}
spec:
  podSelector: {}
  ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: default}}}]
";
    let reqs = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: only-clients
    from: {namespaceSelector: {matchExpressions: [{key: client, operator: DoesNotExist}]}}
    to: {namespace: db}
    ports: [5432/TCP]
    expect: deny
";
    let (loaded, out) = check(policies, reqs);
    assert_eq!(out.len(), 1, "{}", show(&loaded.sources, &out));
    assert!(
        out[0]
            .message
            .contains("from default[no labels] to db[no labels] on 5432/TCP is allowed"),
        "{}",
        out[0].message
    );
    assert_eq!(at(&loaded.sources, out[0].secondary[0].span), "7:7");
}

#[test]
fn representative_namespace_when_no_namespace_matches() {
    let policies = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: db}
spec:
  podSelector: {}
  policyTypes: [Ingress]
";
    let reqs = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: clients
    from: {namespaceSelector: {matchLabels: {tier: app}}}
    to: {namespace: db}
    ports: [5432/TCP]
    expect: allow
";
    let (_, out) = check(policies, reqs);
    assert_eq!(out.len(), 1);
    assert!(
        out[0]
            .message
            .contains("from <tier=app>[no labels] to db[no labels]"),
        "{}",
        out[0].message
    );
}

#[test]
fn named_ports_resolve_against_the_destination() {
    let reqs = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: numeric-to-named-rule
    from: {workload: shop/api}
    to: {workload: shop/db}
    ports: [5432/TCP]
    expect: allow
  - name: named-to-numeric-rule
    from: {workload: shop/web}
    to: {workload: shop/api}
    ports: [http]
    expect: allow
  - name: wrong-protocol
    from: {workload: shop/web}
    to: {workload: shop/api}
    ports: [http/UDP]
    expect: allow
  - name: representative-destination
    from: {workload: shop/api}
    to: {namespace: shop, podSelector: {matchLabels: {app: db}, matchExpressions: [{key: extra, operator: Exists}]}}
    ports: [5432/TCP]
    expect: allow
";
    let (loaded, out) = check(SHOP, reqs);
    let rules: Vec<&str> = out.iter().map(|d| d.rule).collect();
    // `http/UDP` is not a port of api; the representative `db` pod (with an
    // extra label no real pod has) meets a rule on the named port `pg`.
    assert_eq!(
        rules,
        [UNEVALUABLE, UNEVALUABLE],
        "{}",
        show(&loaded.sources, &out)
    );
    assert!(out[0].message.contains("`wrong-protocol`"));
    assert!(
        out[0].message.contains("has no container port `http/UDP`"),
        "{}",
        out[0].message
    );
    assert!(out[1].message.contains("`representative-destination`"));
    assert!(out[1].message.contains("named port"), "{}", out[1].message);
}

#[test]
fn selectors_without_a_representative_are_unevaluable() {
    let reqs = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - from:
      namespace: shop
      podSelector:
        matchExpressions:
          - {key: app, operator: In, values: [x]}
          - {key: app, operator: NotIn, values: [x]}
    to: {workload: shop/db}
    expect: deny
";
    let (loaded, out) = check(SHOP, reqs);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].rule, UNEVALUABLE);
    assert_eq!(out[0].severity, Severity::Warning);
    // No name: the finding points at the item and numbers it.
    assert_eq!(at(&loaded.sources, out[0].primary.span), "4:5");
    assert!(
        out[0]
            .message
            .starts_with("requirement #1 cannot be evaluated: `from`:"),
        "{}",
        out[0].message
    );
}

#[test]
fn invalid_files_get_located_findings() {
    let mut sources = Sources::default();
    let (reqs, diags) = load_requirements_text("bad.yaml", BAD_INVALID, &mut sources);
    // Only the last item is well formed; its duplicate name is reported.
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    let got: Vec<(String, &str)> = diags
        .iter()
        .map(|d| (at(&sources, d.primary.span), d.message.as_str()))
        .collect();
    assert!(
        diags
            .iter()
            .all(|d| d.rule == INVALID && d.severity == Severity::Error)
    );
    let expected = [
        ("10:29", "unknown field `podSelecter` in `from`"),
        ("12:13", "port `53` needs a protocol"),
        ("13:13", "`expect` must be `allow` or `deny`, found `maybe`"),
        ("14:5", "this requirement has no `to`"),
        ("19:44", "invalid type: boolean `true`"),
        ("21:13", "protocol `tcp` must be upper case: `80/TCP`"),
        ("23:11", "duplicate requirement name `dns`"),
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for ((pos, msg), (want_pos, want_msg)) in got.iter().zip(expected) {
        assert_eq!(pos, want_pos, "{msg}");
        assert!(msg.contains(want_msg), "{msg} does not contain {want_msg}");
    }
}

#[test]
fn wrong_header_is_invalid_and_stops_the_document() {
    let mut sources = Sources::default();
    let text = "apiVersion: v1\nkind: TrafficRequirement\nrequirements: []\nextra: 1\n";
    let (reqs, diags) = load_requirements_text("bad.yaml", text, &mut sources);
    assert!(reqs.is_empty());
    let got: Vec<String> = diags
        .iter()
        .map(|d| format!("{} {}", at(&sources, d.primary.span), d.message))
        .collect();
    assert_eq!(
        got,
        [
            "4:1 unknown field `extra` in a requirements file",
            "1:13 `apiVersion` is `v1`, expected `netpol-lint/v1`",
            "2:7 `kind` is `TrafficRequirement`, expected `TrafficRequirements`",
        ]
    );
}

#[test]
fn malformed_endpoints_and_blocks() {
    let text = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - from: {workload: shop, namespace: shop}
    to: {ipBlock: {cidr: 10.0.0.0/33}}
    expect: allow
  - from: {namespace: a, namespaceSelector: {}}
    to: {}
    expect: allow
  - from: {ipBlock: {cidr: 10.0.0.0/8, except: [11.0.0.0/8]}}
    to: {ipBlock: {cidr: 0.0.0.0/0}}
    expect: deny
  - from: {namespace: a, podSelector: {matchExpressions: [{key: k, operator: Equals}]}}
    to: {namespace: b}
    ports: []
    expect: allow
  - from: {namespaceSelector: {matchLabels: {'bad key': x, tier: 'a b'}}}
    to: {namespace: b, podSelector: {matchExpressions: [{key: -k, operator: Exists}]}}
    expect: deny
";
    let mut sources = Sources::default();
    let (reqs, diags) = load_requirements_text("bad.yaml", text, &mut sources);
    assert!(reqs.is_empty());
    let got: Vec<String> = diags
        .iter()
        .map(|d| format!("{} {}", at(&sources, d.primary.span), d.message))
        .collect();
    let expected = [
        "4:22 `workload` must be `namespace/name`, found `shop`",
        "4:12 `workload` cannot be combined with other fields in `from`",
        "5:26 `cidr`: prefix length /33 is out of range for IPv4",
        "7:26 `from` has both `namespace` and `namespaceSelector`",
        "8:9 `to` names no endpoint",
        "10:49 `except` entry `11.0.0.0/8` is not inside `10.0.0.0/8`",
        "13:78 `podSelector`: unknown operator `Equals`",
        "15:12 `ports` is empty",
        "17:46 `namespaceSelector`: the name part of a label key must begin",
        "17:66 `namespaceSelector`: a label value must begin",
        "18:63 `podSelector`: the name part of a label key must begin",
    ];
    assert_eq!(got.len(), expected.len(), "{got:#?}");
    for (g, want) in got.iter().zip(expected) {
        assert!(g.starts_with(want), "{g}\n  expected {want}");
    }
}

#[test]
fn both_ends_external_is_invalid() {
    let text = "\
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - from: {ipBlock: {cidr: 10.0.0.0/8}}
    to: {ipBlock: {cidr: 0.0.0.0/0}}
    expect: deny
";
    let mut sources = Sources::default();
    let (_, diags) = load_requirements_text("bad.yaml", text, &mut sources);
    assert_eq!(diags.len(), 1);
    assert_eq!(at(&sources, diags[0].primary.span), "5:9");
    assert!(diags[0].message.contains("both ends"));
}

#[test]
fn schema_is_draft_2020_12_and_covers_the_fields() {
    let s = schema();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["properties"]["apiVersion"]["const"], "netpol-lint/v1");
    assert_eq!(s["properties"]["kind"]["const"], "TrafficRequirements");
    let req = &s["$defs"]["requirement"]["properties"];
    for key in ["name", "description", "from", "to", "ports", "expect"] {
        assert!(req.get(key).is_some(), "{key}");
    }
    let endpoint = &s["$defs"]["endpoint"]["properties"];
    for key in [
        "namespace",
        "namespaceSelector",
        "podSelector",
        "workload",
        "ipBlock",
    ] {
        assert!(endpoint.get(key).is_some(), "{key}");
    }
}

#[test]
fn profiles_render_and_parse_cleanly() {
    for name in PROFILES {
        let mut sources = Sources::default();
        let (reqs, diags) =
            load_profile(name, &ProfileParams::default(), &mut sources).expect("known profile");
        assert!(diags.is_empty(), "{name}: {}", show(&sources, &diags));
        assert!(reqs.len() >= 10, "{name}: {} requirements", reqs.len());
        assert!(reqs.iter().all(|r| r.name.is_some()));
    }
    assert!(profile("nope", &ProfileParams::default()).is_none());
}

#[test]
fn profile_parameters_reach_the_requirements() {
    let params = ProfileParams {
        namespace: "redis".into(),
        cluster: "prod".into(),
        client_label: ("team".into(), "shop".into()),
        api_server_port: 6443,
        database_ports: vec!["12000/TCP".into()],
        ..ProfileParams::default()
    };
    let text = profile("redis-enterprise", &params).expect("known profile");
    assert!(text.contains(r#"podSelector: {matchLabels: {app: redis-enterprise, redis.io/cluster: "prod", redis.io/role: node}}"#));
    assert!(text.contains(r#"namespaceSelector: {matchLabels: {"team": "shop"}}"#));
    assert!(text.contains(r#"ports: ["6443/TCP"]"#));
    assert!(text.contains(r#"ports: ["12000/TCP"]"#));
    let mut sources = Sources::default();
    let (reqs, diags) = load_profile("redis-enterprise", &params, &mut sources).expect("known");
    assert!(diags.is_empty(), "{}", show(&sources, &diags));
    assert!(!reqs.is_empty());

    // A bad parameter is a located finding in the rendered profile.
    let bad = ProfileParams {
        api_server_cidr: "10.0.0.0/40".into(),
        ..ProfileParams::default()
    };
    let mut sources = Sources::default();
    let (_, diags) = load_profile("redis-enterprise", &bad, &mut sources).expect("known");
    assert!(!diags.is_empty());
    assert!(diags.iter().all(|d| d.rule == INVALID));
    assert_eq!(
        sources.get(diags[0].primary.span.file).path,
        "<profile redis-enterprise>"
    );
}

const CORPUS: &str = "../shared/corpus/redis-k8s-templates";

/// The guide's seven policies against the documented Redis Enterprise
/// traffic. Verified by reading the policies:
///
/// - `deny-all` isolates every pod of `redis-enterprise` both ways.
/// - clients: `allow-client-access` opens 12000-12003 only, from namespaces
///   labelled `redis-client=true` and from `default`; the documented
///   database range starts at 10000, so 10000/TCP is denied.
/// - other namespaces: the second rule of `allow-client-access` admits the
///   whole `default` namespace on 12000-12003, so the deny requirement fails
///   with `default` on 12000/TCP (the app-* namespaces are closed).
/// - Prometheus: `allow-prometheus` admits namespace `monitoring` on 8070.
/// - internode: `allow-redis-internode` lists 3333-3345, 3350-3354, 36379
///   and 9443 both ways between `app=redis-enterprise` pods.
/// - shards: 20000-29999 is in neither direction of that policy.
/// - DNS: `allow-dns` opens 53 UDP and TCP to any destination; kube-system
///   has no policy. The operator and the nodes both get it.
/// - operator to REST API: the operator pods carry `app: redis-enterprise`,
///   so the internode policy admits them on 9443.
/// - webhook: nothing admits an external source to the operator's 8443.
/// - Kubernetes API and backups: `allow-k8s-api` and `allow-backup` open
///   443 to any destination.
#[test]
fn redis_guide_against_the_profile() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    if !dir.is_dir() {
        eprintln!("skipping: {} is absent", dir.display());
        return;
    }
    // With the cluster's pods (from the RedisEnterpriseCluster resource)
    // and without them: representative pods must give the same answers.
    guide_against_the_profile(&[Input::Path(dir.clone())]);
    guide_against_the_profile(&[
        Input::Path(dir.join("network-policies")),
        Input::Path(dir.join("deployments/00-namespace.yaml")),
        Input::Path(dir.join("deployments/02-consumer-namespaces.yaml")),
    ]);
}

fn guide_against_the_profile(inputs: &[Input]) {
    let mut loaded = load(inputs);
    let (reqs, diags) = load_profile(
        "redis-enterprise",
        &ProfileParams::default(),
        &mut loaded.sources,
    )
    .expect("known profile");
    assert!(diags.is_empty(), "{}", show(&loaded.sources, &diags));
    let out = evaluate(&Engine::new(&loaded.cluster), &reqs);
    let s = &loaded.sources;
    println!("{}", show(s, &out));

    let by_name = |name: &str| {
        out.iter()
            .find(|d| d.message.starts_with(&format!("`{name}`")))
            .map(|d| (d.rule, d))
    };
    for holds in [
        "prometheus-scrapes-metrics",
        "nodes-reach-each-other",
        "nodes-resolve-dns",
        "operator-resolves-dns",
        "operator-reaches-cluster-api",
        "operator-reaches-kubernetes-api",
        "nodes-reach-kubernetes-api",
        "nodes-reach-backup-storage",
    ] {
        assert!(by_name(holds).is_none(), "{holds} should hold");
    }
    let expect = [
        ("clients-reach-databases", "on 10000/TCP is denied"),
        (
            "other-namespaces-do-not-reach-databases",
            "from default[no labels]",
        ),
        ("nodes-reach-shards", "on 20000/TCP is denied"),
        (
            "api-server-reaches-admission-webhook",
            "on 8443/TCP is denied",
        ),
    ];
    assert_eq!(out.len(), expect.len());
    for (name, fragment) in expect {
        let (rule, d) = by_name(name).unwrap_or_else(|| panic!("{name} should fail"));
        assert_eq!(rule, VIOLATED, "{name}");
        assert!(d.message.contains(fragment), "{name}: {}", d.message);
        assert!(
            !d.secondary.is_empty(),
            "{name}: no deciding policy labelled"
        );
        for l in &d.secondary {
            assert!(
                s.get(l.span.file).path.contains("network-policies/"),
                "{name}"
            );
        }
    }
    let (_, others) = by_name("other-namespaces-do-not-reach-databases").expect("fails");
    assert!(
        others.message.contains("on 12000/TCP is allowed"),
        "{}",
        others.message
    );
    // The deciding rule: the `default` namespace rule of allow-client-access.
    let rule = &others.secondary[0];
    assert!(
        s.get(rule.span.file)
            .path
            .ends_with("05-allow-client-access.yaml")
    );
    assert_eq!(at(s, rule.span), "45:7");
}

/// The YAML blocks of a rule doc's section.
fn doc_blocks(doc: &str, section: &str) -> Vec<String> {
    let start = doc.find(&format!("## {section}\n")).expect("section");
    let rest = &doc[start + section.len() + 4..];
    let body = &rest[..rest.find("\n## ").unwrap_or(rest.len())];
    body.split("```yaml\n")
        .skip(1)
        .map(|b| b[..b.find("```").expect("closed block")].to_string())
        .collect()
}

#[test]
fn rule_doc_examples_behave() {
    use netpol_lint::requirements::{
        REQUIREMENT_UNEVALUABLE, REQUIREMENT_VIOLATED, REQUIREMENTS_INVALID,
    };

    let violated = REQUIREMENT_VIOLATED.doc;
    let example = doc_blocks(violated, "Example");
    let fixed = doc_blocks(violated, "Fixed");
    assert_eq!((example.len(), fixed.len()), (2, 1));
    let (_, out) = check(&example[1], &example[0]);
    assert_eq!(out.iter().map(|d| d.rule).collect::<Vec<_>>(), [VIOLATED]);
    assert!(
        out[0]
            .message
            .contains("from shop[app=web] to shop[app=api] on 8080/TCP")
    );
    let (_, out) = check(&format!("{}---\n{}", example[1], fixed[0]), &example[0]);
    assert!(out.is_empty(), "{out:#?}");

    let unevaluable = REQUIREMENT_UNEVALUABLE.doc;
    let (_, out) = check("", &doc_blocks(unevaluable, "Example")[0]);
    assert_eq!(
        out.iter().map(|d| d.rule).collect::<Vec<_>>(),
        [UNEVALUABLE]
    );
    let (_, out) = check("", &doc_blocks(unevaluable, "Fixed")[0]);
    assert!(out.is_empty(), "{out:#?}");

    let invalid = REQUIREMENTS_INVALID.doc;
    let mut sources = Sources::default();
    let example = &doc_blocks(invalid, "Example")[0];
    let (_, diags) = load_requirements_text("ex.yaml", example, &mut sources);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(diags.iter().all(|d| d.rule == INVALID));
    let fixed = &doc_blocks(invalid, "Fixed")[0];
    let (_, diags) = load_requirements_text("fixed.yaml", fixed, &mut sources);
    assert!(diags.is_empty(), "{diags:#?}");
}
