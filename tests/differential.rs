//! The engine against a naive evaluator written straight from the
//! NetworkPolicy spec text, on many small random clusters.
//!
//! The naive side shares nothing with the engine: it works on the
//! generator's own description of the cluster (not on the loader's model or
//! the compiled policies), matches selectors and peers itself, and decides
//! one (source, destination, protocol, port) at a time by the textbook rule:
//! a pod is isolated for a direction when a policy of its namespace selects
//! it with that policy type; then some rule of one of those policies must
//! match the other end and the port; a connection needs the source's egress
//! side and the destination's ingress side. Port sets are found by probing
//! the ports where anything can change (every number a policy or container
//! mentions, and its successor).
//!
//! The engine side renders the same cluster as YAML, loads it through
//! `load_texts` (so the loader takes part) and runs `connectivity()`; every
//! workload pair and every workload/address-range pair must agree, and so
//! must `Engine::flow`, which `query` uses.
//!
//! On a disagreement the cluster is shrunk greedily (drop a policy, a rule,
//! a peer, a label, ...) while it still disagrees, and the test fails with
//! the smallest YAML found. `NETPOL_DIFF_CASES` and `NETPOL_DIFF_SEED`
//! change how many clusters are tried and from which seed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::panic::{AssertUnwindSafe, catch_unwind};

use netpol_lint::engine::{Engine, Peerish};
use netpol_lint::load::load_texts;
use netpol_lint::model::ip::Family;
use rayon::prelude::*;

const DEFAULT_CASES: u64 = 10_000;

// ---------------------------------------------------------------------------
// A small deterministic PRNG (SplitMix64): the same seed gives the same
// cluster on every machine and every run.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5eed_0fc1_u64.rotate_left(17))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the tiny modulo bias does not matter here.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------
// The generator's cluster: what the naive evaluator reads.

type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Proto {
    Tcp,
    Udp,
    Sctp,
}

const PROTOS: [Proto; 3] = [Proto::Tcp, Proto::Udp, Proto::Sctp];

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
            Proto::Sctp => "SCTP",
        }
    }
}

#[derive(Debug, Clone)]
struct Ns {
    name: String,
    labels: Labels,
    /// Written as a Namespace manifest; otherwise implicit.
    defined: bool,
}

#[derive(Debug, Clone)]
struct ContainerPort {
    name: Option<String>,
    port: u16,
    proto: Proto,
    /// Write `protocol: TCP` even though it is the default.
    explicit_proto: bool,
}

#[derive(Debug, Clone)]
struct Workload {
    ns: String,
    name: String,
    kind: &'static str,
    labels: Labels,
    ports: Vec<ContainerPort>,
    /// Leave `metadata.namespace` out (only in `default`).
    omit_ns: bool,
    /// For a Pod: `ownerReferences[0]` as (kind, name, controller).
    owner: Option<(&'static str, String, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug, Clone, Default)]
struct Sel {
    match_labels: Vec<(String, String)>,
    exprs: Vec<(String, Op, Vec<String>)>,
}

#[derive(Debug, Clone, Copy)]
struct Cidr {
    v6: bool,
    /// As written; may have host bits set.
    addr: u128,
    prefix: u32,
}

#[derive(Debug, Clone)]
enum PeerG {
    Pods(Sel),
    Namespaces(Sel),
    Both(Sel, Sel),
    Ip(Cidr, Vec<Cidr>),
}

#[derive(Debug, Clone)]
enum PortVal {
    Num(u16),
    Name(String),
}

#[derive(Debug, Clone)]
struct PortG {
    proto: Option<Proto>,
    port: Option<PortVal>,
    end_port: Option<u16>,
}

#[derive(Debug, Clone)]
struct Rule {
    /// `None`: no `from`/`to` key. `Some([])` is written `from: []`.
    peers: Option<Vec<PeerG>>,
    ports: Option<Vec<PortG>>,
}

#[derive(Debug, Clone)]
struct Pol {
    ns: String,
    name: String,
    omit_ns: bool,
    /// `None`: no `podSelector` key.
    pod_selector: Option<Sel>,
    policy_types: Option<Vec<&'static str>>,
    ingress: Option<Vec<Rule>>,
    egress: Option<Vec<Rule>>,
}

#[derive(Debug, Clone)]
struct Case {
    seed: u64,
    namespaces: Vec<Ns>,
    workloads: Vec<Workload>,
    policies: Vec<Pol>,
    /// Write selectors in flow style (`{matchLabels: {app: web}}`).
    flow_style: bool,
    /// Wrap the policies in a `List`.
    list_wrap: bool,
}

// ---------------------------------------------------------------------------
// Generation.

const NS_NAMES: [&str; 4] = ["default", "alpha", "beta", "gamma"];
const KINDS: [&str; 7] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
];
const POD_KEYS: [(&str, &[&str]); 3] = [
    ("app", &["web", "db", "api"]),
    ("tier", &["web", "db"]),
    ("env", &["prod", "dev", "true", ""]),
];
const NS_KEYS: [(&str, &[&str]); 2] = [("env", &["prod", "dev"]), ("team", &["web", "api"])];
const SEL_KEYS: [&str; 4] = ["app", "tier", "env", "team"];
/// `true` and the empty value must be quoted in YAML; the loader must read
/// them as the strings they are.
const SEL_VALUES: [&str; 7] = ["web", "db", "api", "prod", "dev", "true", ""];
const PORT_NAMES: [&str; 3] = ["http", "dns", "metrics"];
const PORT_NUMBERS: [u16; 7] = [53, 80, 443, 8080, 8081, 9000, 65535];

fn gen_labels(rng: &mut Rng, keys: &[(&str, &[&str])], percent: u64) -> Labels {
    let mut labels = Labels::new();
    for (k, values) in keys {
        if rng.chance(percent) {
            labels.insert((*k).to_owned(), (*rng.pick(values)).to_owned());
        }
    }
    labels
}

fn gen_proto(rng: &mut Rng) -> Proto {
    match rng.below(10) {
        0..=5 => Proto::Tcp,
        6..=8 => Proto::Udp,
        _ => Proto::Sctp,
    }
}

fn gen_workload(rng: &mut Rng, i: usize, namespaces: &[Ns]) -> Workload {
    let ns = rng.pick(namespaces).name.clone();
    let mut ports = Vec::new();
    let mut names: Vec<&str> = PORT_NAMES.to_vec();
    for _ in 0..rng.range(0, 3) {
        // Container port names are unique within a pod.
        let name = if !names.is_empty() && rng.chance(70) {
            Some(names.remove(rng.below(names.len())).to_owned())
        } else {
            None
        };
        ports.push(ContainerPort {
            name,
            port: *rng.pick(&PORT_NUMBERS),
            proto: gen_proto(rng),
            explicit_proto: rng.chance(50),
        });
    }
    let kind = KINDS[rng.below(KINDS.len())];
    let owner = (kind == "Pod" && rng.chance(40)).then(|| {
        let owner_kind = *rng.pick(&["ReplicaSet", "Job", "StatefulSet", "Node"]);
        (owner_kind, format!("o{i}"), rng.chance(80))
    });
    Workload {
        omit_ns: ns == "default" && rng.chance(50),
        ns,
        name: format!("w{i}"),
        kind,
        labels: gen_labels(rng, &POD_KEYS, 60),
        ports,
        owner,
    }
}

fn gen_selector(rng: &mut Rng, ns_names: &[String], for_namespaces: bool) -> Sel {
    let mut sel = Sel::default();
    let key = |rng: &mut Rng| -> String {
        if for_namespaces && rng.chance(25) {
            "kubernetes.io/metadata.name".to_owned()
        } else {
            (*rng.pick(&SEL_KEYS)).to_owned()
        }
    };
    let value = |rng: &mut Rng, k: &str| -> String {
        if k == "kubernetes.io/metadata.name" {
            rng.pick(ns_names).clone()
        } else {
            (*rng.pick(&SEL_VALUES)).to_owned()
        }
    };
    for _ in 0..rng.range(0, 2) {
        let k = key(rng);
        if sel.match_labels.iter().any(|(x, _)| *x == k) {
            continue;
        }
        let v = value(rng, &k);
        sel.match_labels.push((k, v));
    }
    for _ in 0..rng.range(0, 2) {
        let k = key(rng);
        let op = *rng.pick(&[Op::In, Op::NotIn, Op::Exists, Op::DoesNotExist]);
        let values = match op {
            Op::In | Op::NotIn => {
                let mut vs: Vec<String> = (0..rng.range(1, 2)).map(|_| value(rng, &k)).collect();
                vs.dedup();
                vs
            }
            Op::Exists | Op::DoesNotExist => Vec::new(),
        };
        sel.exprs.push((k, op, values));
    }
    sel
}

fn gen_cidr(rng: &mut Rng, v6: bool) -> Cidr {
    const V4: [(u32, u32); 7] = [
        (0x0A00_0000, 8),  // 10.0.0.0/8
        (0x0A01_0000, 16), // 10.1.0.0/16
        (0x0A01_0200, 24), // 10.1.2.0/24
        (0x0A01_0203, 32), // 10.1.2.3/32
        (0xC0A8_0000, 16), // 192.168.0.0/16
        (0xAC10_0000, 12), // 172.16.0.0/12
        (0, 0),            // 0.0.0.0/0
    ];
    if v6 {
        let bases: [(u128, u32); 3] = [(0xfd00u128 << 112, 8), (0x2001_0db8u128 << 96, 32), (0, 0)];
        let (addr, prefix) = *rng.pick(&bases);
        return Cidr { v6, addr, prefix };
    }
    let (addr, prefix) = *rng.pick(&V4);
    // Now and then a CIDR with host bits: it means its network.
    let addr = if prefix < 32 && rng.chance(10) {
        addr | 0x5
    } else {
        addr
    };
    Cidr {
        v6,
        addr: u128::from(addr),
        prefix,
    }
}

/// A random strict subnet of `c` (for `except`).
fn gen_subnet(rng: &mut Rng, c: Cidr) -> Option<Cidr> {
    let bits = if c.v6 { 128 } else { 32 };
    if c.prefix >= bits {
        return None;
    }
    let prefix = (c.prefix + rng.range(1, 8) as u32).min(bits);
    let (lo, _) = cidr_range(c);
    let span = bits - c.prefix;
    let random = u128::from(rng.next()) << 64 | u128::from(rng.next());
    let host = if span >= 128 {
        random
    } else {
        random & ((1u128 << span) - 1)
    };
    let addr = lo | host;
    Some(Cidr {
        v6: c.v6,
        addr: mask(addr, prefix, bits),
        prefix,
    })
}

fn gen_peer(rng: &mut Rng, ns_names: &[String], v6_ok: bool) -> PeerG {
    match rng.below(20) {
        0..=5 => PeerG::Pods(gen_selector(rng, ns_names, false)),
        6..=10 => PeerG::Namespaces(gen_selector(rng, ns_names, true)),
        11..=14 => PeerG::Both(
            gen_selector(rng, ns_names, true),
            gen_selector(rng, ns_names, false),
        ),
        _ => {
            let v6 = v6_ok && rng.chance(15);
            let cidr = gen_cidr(rng, v6);
            let excepts = (0..rng.range(0, 2))
                .filter_map(|_| gen_subnet(rng, cidr))
                .collect();
            PeerG::Ip(cidr, excepts)
        }
    }
}

fn gen_port(rng: &mut Rng) -> PortG {
    let proto = if rng.chance(40) {
        None
    } else {
        Some(gen_proto(rng))
    };
    let (port, end_port) = match rng.below(20) {
        0..=2 => (None, None),
        3..=13 => {
            let p = *rng.pick(&PORT_NUMBERS);
            let end = if rng.chance(30) {
                Some(if rng.chance(30) {
                    65535
                } else {
                    p.saturating_add(rng.range(0, 2) as u16)
                })
            } else {
                None
            };
            (Some(PortVal::Num(p)), end)
        }
        _ => {
            let name = *rng.pick(&["http", "dns", "metrics", "nope"]);
            (Some(PortVal::Name(name.to_owned())), None)
        }
    };
    PortG {
        proto,
        port,
        end_port,
    }
}

fn gen_rules(rng: &mut Rng, ns_names: &[String], v6_ok: bool) -> Option<Vec<Rule>> {
    match rng.below(10) {
        0..=2 => None,
        3 => Some(Vec::new()),
        _ => Some(
            (0..rng.range(1, 3))
                .map(|_| Rule {
                    peers: match rng.below(20) {
                        0..=4 => None,
                        5 => Some(Vec::new()),
                        _ => Some(
                            (0..rng.range(1, 3))
                                .map(|_| gen_peer(rng, ns_names, v6_ok))
                                .collect(),
                        ),
                    },
                    ports: match rng.below(20) {
                        0..=5 => None,
                        6 => Some(Vec::new()),
                        _ => Some((0..rng.range(1, 3)).map(|_| gen_port(rng)).collect()),
                    },
                })
                .collect(),
        ),
    }
}

fn gen_case(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let n_ns = rng.range(2, 4);
    let namespaces: Vec<Ns> = NS_NAMES[..n_ns]
        .iter()
        .map(|name| Ns {
            name: (*name).to_owned(),
            labels: gen_labels(&mut rng, &NS_KEYS, 60),
            defined: rng.chance(70),
        })
        .collect();
    let ns_names: Vec<String> = namespaces.iter().map(|n| n.name.clone()).collect();
    let workloads = (0..rng.range(2, 6))
        .map(|i| gen_workload(&mut rng, i, &namespaces))
        .collect();
    let v6_ok = rng.chance(10);
    let policies = (0..rng.range(0, 4))
        .map(|i| {
            let ns = rng.pick(&ns_names).clone();
            Pol {
                omit_ns: ns == "default" && rng.chance(50),
                ns,
                name: format!("p{i}"),
                pod_selector: match rng.below(20) {
                    0..=2 => None,
                    3..=6 => Some(Sel::default()),
                    _ => Some(gen_selector(&mut rng, &ns_names, false)),
                },
                // `policyTypes: []` is defaulted by the API server like an
                // absent list.
                policy_types: match rng.below(11) {
                    0..=3 => None,
                    4..=5 => Some(vec!["Ingress"]),
                    6..=7 => Some(vec!["Egress"]),
                    8 => Some(vec!["Ingress", "Egress"]),
                    9 => Some(vec![]),
                    _ => Some(vec!["Egress", "Ingress"]),
                },
                ingress: gen_rules(&mut rng, &ns_names, v6_ok),
                egress: gen_rules(&mut rng, &ns_names, v6_ok),
            }
        })
        .collect();
    Case {
        seed,
        namespaces,
        workloads,
        policies,
        flow_style: rng.chance(30),
        list_wrap: rng.chance(15),
    }
}

// ---------------------------------------------------------------------------
// YAML rendering, by hand: the loader must read what a person would write.

enum Y {
    Map(Vec<(String, Y)>),
    Seq(Vec<Y>),
    Str(String),
    Int(u64),
    Bool(bool),
}

fn s(v: &str) -> Y {
    Y::Str(v.to_owned())
}

fn map(entries: Vec<(&str, Y)>) -> Y {
    Y::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// Plain when it cannot be read as anything but a string; quoted otherwise.
fn scalar(v: &str) -> String {
    let plain = !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-./:".contains(&b))
        && v.as_bytes()[0].is_ascii_alphabetic()
        && !matches!(
            v.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        v.to_owned()
    } else {
        format!("\"{v}\"")
    }
}

fn flow(y: &Y, out: &mut String) {
    match y {
        Y::Str(v) => out.push_str(&scalar(v)),
        Y::Int(n) => out.push_str(&n.to_string()),
        Y::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Y::Seq(items) => {
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(it, out);
            }
            out.push(']');
        }
        Y::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&scalar(k));
                out.push_str(": ");
                flow(v, out);
            }
            out.push('}');
        }
    }
}

fn is_block(y: &Y) -> bool {
    match y {
        Y::Map(e) => !e.is_empty(),
        Y::Seq(e) => !e.is_empty(),
        _ => false,
    }
}

/// Block style; `flow_keys` are written in flow style (selectors).
fn block(y: &Y, indent: usize, flow_keys: &[&str], out: &mut String) {
    let pad = " ".repeat(indent);
    match y {
        Y::Map(entries) => {
            for (k, v) in entries {
                out.push_str(&pad);
                write_entry(k, v, indent, flow_keys, out);
            }
        }
        Y::Seq(items) => {
            for it in items {
                out.push_str(&pad);
                out.push_str("- ");
                match it {
                    Y::Map(entries) if !entries.is_empty() => {
                        // First entry on the dash line, the rest aligned under it.
                        for (i, (k, v)) in entries.iter().enumerate() {
                            if i > 0 {
                                out.push_str(&" ".repeat(indent + 2));
                            }
                            write_entry(k, v, indent + 2, flow_keys, out);
                        }
                    }
                    other if is_block(other) => {
                        out.push('\n');
                        block(other, indent + 2, flow_keys, out);
                    }
                    other => {
                        flow(other, out);
                        out.push('\n');
                    }
                }
            }
        }
        other => {
            out.push_str(&pad);
            flow(other, out);
            out.push('\n');
        }
    }
}

fn write_entry(k: &str, v: &Y, indent: usize, flow_keys: &[&str], out: &mut String) {
    out.push_str(&scalar(k));
    out.push(':');
    if is_block(v) && !flow_keys.contains(&k) {
        out.push('\n');
        block(v, indent + 2, flow_keys, out);
    } else {
        out.push(' ');
        flow(v, out);
        out.push('\n');
    }
}

fn labels_y(labels: &Labels) -> Y {
    Y::Map(labels.iter().map(|(k, v)| (k.clone(), s(v))).collect())
}

fn metadata(name: &str, ns: &str, omit_ns: bool, labels: Option<&Labels>) -> Y {
    let mut m = vec![("name", s(name))];
    if !omit_ns {
        m.push(("namespace", s(ns)));
    }
    if let Some(l) = labels {
        m.push(("labels", labels_y(l)));
    }
    map(m)
}

fn selector_y(sel: &Sel) -> Y {
    let mut m = Vec::new();
    if !sel.match_labels.is_empty() {
        m.push((
            "matchLabels",
            Y::Map(
                sel.match_labels
                    .iter()
                    .map(|(k, v)| (k.clone(), s(v)))
                    .collect(),
            ),
        ));
    }
    if !sel.exprs.is_empty() {
        let exprs = sel
            .exprs
            .iter()
            .map(|(k, op, values)| {
                let op = match op {
                    Op::In => "In",
                    Op::NotIn => "NotIn",
                    Op::Exists => "Exists",
                    Op::DoesNotExist => "DoesNotExist",
                };
                let mut e = vec![("key", s(k)), ("operator", s(op))];
                if !values.is_empty() {
                    e.push(("values", Y::Seq(values.iter().map(|v| s(v)).collect())));
                }
                map(e)
            })
            .collect();
        m.push(("matchExpressions", Y::Seq(exprs)));
    }
    map(m)
}

fn cidr_text(c: Cidr) -> String {
    if c.v6 {
        format!("{}/{}", Ipv6Addr::from(c.addr), c.prefix)
    } else {
        format!("{}/{}", Ipv4Addr::from(c.addr as u32), c.prefix)
    }
}

fn rules_y(rules: &[Rule], peers_key: &str) -> Y {
    Y::Seq(
        rules
            .iter()
            .map(|r| {
                let mut m = Vec::new();
                if let Some(peers) = &r.peers {
                    let peers = peers
                        .iter()
                        .map(|p| match p {
                            PeerG::Pods(sel) => map(vec![("podSelector", selector_y(sel))]),
                            PeerG::Namespaces(sel) => {
                                map(vec![("namespaceSelector", selector_y(sel))])
                            }
                            PeerG::Both(ns, pods) => map(vec![
                                ("namespaceSelector", selector_y(ns)),
                                ("podSelector", selector_y(pods)),
                            ]),
                            PeerG::Ip(cidr, excepts) => {
                                let mut b = vec![("cidr", s(&cidr_text(*cidr)))];
                                if !excepts.is_empty() {
                                    b.push((
                                        "except",
                                        Y::Seq(excepts.iter().map(|e| s(&cidr_text(*e))).collect()),
                                    ));
                                }
                                map(vec![("ipBlock", map(b))])
                            }
                        })
                        .collect();
                    m.push((peers_key, Y::Seq(peers)));
                }
                if let Some(ports) = &r.ports {
                    let ports = ports
                        .iter()
                        .map(|p| {
                            let mut e = Vec::new();
                            if let Some(proto) = p.proto {
                                e.push(("protocol", s(proto.name())));
                            }
                            match &p.port {
                                Some(PortVal::Num(n)) => e.push(("port", Y::Int(u64::from(*n)))),
                                Some(PortVal::Name(n)) => e.push(("port", s(n))),
                                None => {}
                            }
                            if let Some(end) = p.end_port {
                                e.push(("endPort", Y::Int(u64::from(end))));
                            }
                            map(e)
                        })
                        .collect();
                    m.push(("ports", Y::Seq(ports)));
                }
                map(m)
            })
            .collect(),
    )
}

fn policy_y(p: &Pol) -> Y {
    let mut spec = Vec::new();
    if let Some(sel) = &p.pod_selector {
        spec.push(("podSelector", selector_y(sel)));
    }
    if let Some(types) = &p.policy_types {
        spec.push(("policyTypes", Y::Seq(types.iter().map(|t| s(t)).collect())));
    }
    if let Some(rules) = &p.ingress {
        spec.push(("ingress", rules_y(rules, "from")));
    }
    if let Some(rules) = &p.egress {
        spec.push(("egress", rules_y(rules, "to")));
    }
    map(vec![
        ("apiVersion", s("networking.k8s.io/v1")),
        ("kind", s("NetworkPolicy")),
        ("metadata", metadata(&p.name, &p.ns, p.omit_ns, None)),
        ("spec", map(spec)),
    ])
}

fn workload_y(w: &Workload) -> Y {
    let ports: Vec<Y> = w
        .ports
        .iter()
        .map(|cp| {
            let mut e = vec![("containerPort", Y::Int(u64::from(cp.port)))];
            if let Some(n) = &cp.name {
                e.push(("name", s(n)));
            }
            if cp.proto != Proto::Tcp || cp.explicit_proto {
                e.push(("protocol", s(cp.proto.name())));
            }
            map(e)
        })
        .collect();
    let mut container = vec![("name", s("main"))];
    if !ports.is_empty() {
        container.push(("ports", Y::Seq(ports)));
    }
    let pod_spec = map(vec![("containers", Y::Seq(vec![map(container)]))]);
    let labels = (!w.labels.is_empty()).then_some(&w.labels);
    let (api, spec) = match w.kind {
        "Pod" => {
            let mut meta = metadata(&w.name, &w.ns, w.omit_ns, labels);
            if let (Y::Map(m), Some((kind, name, controller))) = (&mut meta, &w.owner) {
                let api = if *kind == "Node" { "v1" } else { "apps/v1" };
                let mut r = vec![("apiVersion", s(api)), ("kind", s(kind)), ("name", s(name))];
                r.push(("uid", s("u-1")));
                r.push(("controller", Y::Bool(*controller)));
                m.push(("ownerReferences".to_owned(), Y::Seq(vec![map(r)])));
            }
            return map(vec![
                ("apiVersion", s("v1")),
                ("kind", s("Pod")),
                ("metadata", meta),
                ("spec", pod_spec),
            ]);
        }
        kind => {
            let mut tmeta = Vec::new();
            if let Some(l) = labels {
                tmeta.push(("labels", labels_y(l)));
            }
            let template = map(vec![("metadata", map(tmeta)), ("spec", pod_spec)]);
            match kind {
                "CronJob" => (
                    "batch/v1",
                    map(vec![
                        ("schedule", s("*/5 * * * *")),
                        (
                            "jobTemplate",
                            map(vec![("spec", map(vec![("template", template)]))]),
                        ),
                    ]),
                ),
                "Job" => ("batch/v1", map(vec![("template", template)])),
                _ => ("apps/v1", map(vec![("template", template)])),
            }
        }
    };
    map(vec![
        ("apiVersion", s(api)),
        ("kind", s(w.kind)),
        ("metadata", metadata(&w.name, &w.ns, w.omit_ns, None)),
        ("spec", spec),
    ])
}

fn documents(docs: &[Y], flow_keys: &[&str]) -> String {
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n");
        block(d, 0, flow_keys, &mut out);
    }
    out
}

fn render(case: &Case) -> Vec<(String, String)> {
    let flow_keys: &[&str] = if case.flow_style {
        &[
            "podSelector",
            "namespaceSelector",
            "matchLabels",
            "labels",
            "ipBlock",
        ]
    } else {
        &[]
    };
    let namespaces: Vec<Y> = case
        .namespaces
        .iter()
        .filter(|n| n.defined)
        .map(|n| {
            let labels = (!n.labels.is_empty()).then_some(&n.labels);
            map(vec![
                ("apiVersion", s("v1")),
                ("kind", s("Namespace")),
                ("metadata", metadata(&n.name, "", true, labels)),
            ])
        })
        .collect();
    let workloads: Vec<Y> = case.workloads.iter().map(workload_y).collect();
    let policies: Vec<Y> = case.policies.iter().map(policy_y).collect();
    let policies = if case.list_wrap && !policies.is_empty() {
        vec![map(vec![
            ("apiVersion", s("v1")),
            ("kind", s("List")),
            ("items", Y::Seq(policies)),
        ])]
    } else {
        policies
    };
    vec![
        (
            "namespaces.yaml".to_owned(),
            documents(&namespaces, flow_keys),
        ),
        (
            "workloads.yaml".to_owned(),
            documents(&workloads, flow_keys),
        ),
        ("policies.yaml".to_owned(), documents(&policies, flow_keys)),
    ]
}

// ---------------------------------------------------------------------------
// The naive evaluator.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Ingress,
    Egress,
}

/// One end of a connection.
#[derive(Clone, Copy)]
enum End<'a> {
    /// A pod of a workload, with its namespace's labels.
    Pod(&'a Workload, &'a Labels),
    Addr {
        v6: bool,
        addr: u128,
    },
}

fn mask(addr: u128, prefix: u32, bits: u32) -> u128 {
    let host_bits = bits - prefix;
    if host_bits >= 128 {
        0
    } else {
        addr >> host_bits << host_bits
    }
}

/// First and last address of a CIDR, host bits cleared.
fn cidr_range(c: Cidr) -> (u128, u128) {
    let bits = if c.v6 { 128 } else { 32 };
    let lo = mask(c.addr, c.prefix, bits);
    let host_bits = bits - c.prefix;
    let size_minus_one = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (lo, lo | size_minus_one)
}

fn in_cidr(c: Cidr, v6: bool, addr: u128) -> bool {
    let (lo, hi) = cidr_range(c);
    c.v6 == v6 && lo <= addr && addr <= hi
}

/// matchLabels and matchExpressions all hold; `NotIn` and `DoesNotExist`
/// hold for objects without the key; an empty selector selects everything.
fn selects(sel: &Sel, labels: &Labels) -> bool {
    let labels_ok = sel
        .match_labels
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = sel.exprs.iter().all(|(k, op, values)| {
        let v = labels.get(k);
        match op {
            Op::In => v.is_some_and(|v| values.contains(v)),
            Op::NotIn => v.is_none_or(|v| !values.contains(v)),
            Op::Exists => v.is_some(),
            Op::DoesNotExist => v.is_none(),
        }
    });
    labels_ok && exprs_ok
}

/// Labels of a namespace: its own, plus the name label the API server adds;
/// a namespace nobody defined has only the name label.
fn namespace_labels(case: &Case, ns: &str) -> Labels {
    let mut labels = case
        .namespaces
        .iter()
        .find(|n| n.name == ns && n.defined)
        .map(|n| n.labels.clone())
        .unwrap_or_default();
    labels.insert("kubernetes.io/metadata.name".to_owned(), ns.to_owned());
    labels
}

fn peer_matches(pol: &Pol, peer: &PeerG, other: End<'_>) -> bool {
    match (peer, other) {
        // podSelector alone: pods of the policy's own namespace.
        (PeerG::Pods(sel), End::Pod(w, _)) => w.ns == pol.ns && selects(sel, &w.labels),
        // namespaceSelector alone: every pod of the selected namespaces.
        (PeerG::Namespaces(sel), End::Pod(_, ns_labels)) => selects(sel, ns_labels),
        // Both in one peer: the pods must satisfy both.
        (PeerG::Both(ns, pods), End::Pod(w, ns_labels)) => {
            selects(ns, ns_labels) && selects(pods, &w.labels)
        }
        // ipBlock: addresses in the CIDR and in no except; never pods.
        (PeerG::Ip(cidr, excepts), End::Addr { v6, addr }) => {
            in_cidr(*cidr, v6, addr) && !excepts.iter().any(|e| in_cidr(*e, v6, addr))
        }
        _ => false,
    }
}

fn port_matches(p: &PortG, dst: End<'_>, proto: Proto, port: u16) -> bool {
    if p.proto.unwrap_or(Proto::Tcp) != proto {
        return false;
    }
    match &p.port {
        None => true,
        Some(PortVal::Num(n)) => match p.end_port {
            Some(end) => *n <= port && port <= end,
            None => *n == port,
        },
        // A named port is the destination pod's container port with that
        // name and protocol; an address has none.
        Some(PortVal::Name(name)) => match dst {
            End::Pod(w, _) => w
                .ports
                .iter()
                .any(|cp| cp.name.as_deref() == Some(name) && cp.proto == proto && cp.port == port),
            End::Addr { .. } => false,
        },
    }
}

fn affects(pol: &Pol, dir: Dir) -> bool {
    match &pol.policy_types {
        Some(types) if !types.is_empty() => types.contains(&if dir == Dir::Ingress {
            "Ingress"
        } else {
            "Egress"
        }),
        // Absent: Ingress always, Egress when there are egress rules.
        _ => dir == Dir::Ingress || pol.egress.as_ref().is_some_and(|e| !e.is_empty()),
    }
}

/// Does `subject`'s side allow this connection? `other` is the far end,
/// `dst` the destination (for named ports).
fn side_allows(
    case: &Case,
    dir: Dir,
    subject: &Workload,
    other: End<'_>,
    dst: End<'_>,
    proto: Proto,
    port: u16,
) -> bool {
    let mut isolated = false;
    for pol in &case.policies {
        let selects_subject = pol.ns == subject.ns
            && affects(pol, dir)
            && pol
                .pod_selector
                .as_ref()
                .is_none_or(|s| selects(s, &subject.labels));
        if !selects_subject {
            continue;
        }
        isolated = true;
        let rules = if dir == Dir::Ingress {
            &pol.ingress
        } else {
            &pol.egress
        };
        for rule in rules.iter().flatten() {
            // An empty or missing from/to matches every peer; an empty or
            // missing ports list matches every port.
            let peer_ok = match &rule.peers {
                Some(peers) if !peers.is_empty() => {
                    peers.iter().any(|p| peer_matches(pol, p, other))
                }
                _ => true,
            };
            let port_ok = match &rule.ports {
                Some(ports) if !ports.is_empty() => {
                    ports.iter().any(|p| port_matches(p, dst, proto, port))
                }
                _ => true,
            };
            if peer_ok && port_ok {
                return true;
            }
        }
    }
    !isolated
}

fn allowed(case: &Case, src: End<'_>, dst: End<'_>, proto: Proto, port: u16) -> bool {
    let egress = match src {
        End::Pod(w, _) => side_allows(case, Dir::Egress, w, dst, dst, proto, port),
        End::Addr { .. } => true,
    };
    let ingress = match dst {
        End::Pod(w, _) => side_allows(case, Dir::Ingress, w, src, dst, proto, port),
        End::Addr { .. } => true,
    };
    egress && ingress
}

/// Ports where the answer can change: 1, and every mentioned number and
/// the one after it.
fn probe_points(case: &Case) -> Vec<u32> {
    let mut pts = vec![1u32];
    for w in &case.workloads {
        for cp in &w.ports {
            pts.extend([u32::from(cp.port), u32::from(cp.port) + 1]);
        }
    }
    for pol in &case.policies {
        for rule in pol.ingress.iter().chain(&pol.egress).flatten() {
            for p in rule.ports.iter().flatten() {
                if let Some(PortVal::Num(n)) = p.port {
                    pts.extend([u32::from(n), u32::from(n) + 1]);
                }
                if let Some(e) = p.end_port {
                    pts.push(u32::from(e) + 1);
                }
            }
        }
    }
    pts.retain(|&p| p <= 65535);
    pts.sort_unstable();
    pts.dedup();
    pts
}

/// The connection text of one pair, as netpol-analyzer prints it.
fn conn_text(case: &Case, pts: &[u32], src: End<'_>, dst: End<'_>) -> String {
    let mut groups: Vec<(Proto, Vec<(u32, u32)>)> = Vec::new();
    for proto in PROTOS {
        let mut ranges: Vec<(u32, u32)> = Vec::new();
        for (i, &lo) in pts.iter().enumerate() {
            let hi = pts.get(i + 1).map_or(65535, |next| next - 1);
            if allowed(case, src, dst, proto, lo as u16) {
                match ranges.last_mut() {
                    Some(last) if last.1 + 1 == lo => last.1 = hi,
                    _ => ranges.push((lo, hi)),
                }
            }
        }
        groups.push((proto, ranges));
    }
    if groups.iter().all(|(_, r)| r.as_slice() == [(1, 65535)]) {
        return "All Connections".to_owned();
    }
    groups.sort_by_key(|(p, _)| p.name());
    let parts: Vec<String> = groups
        .iter()
        .filter(|(_, r)| !r.is_empty())
        .map(|(p, r)| {
            let ports: Vec<String> = r
                .iter()
                .map(|&(lo, hi)| {
                    if lo == hi {
                        lo.to_string()
                    } else {
                        format!("{lo}-{hi}")
                    }
                })
                .collect();
            format!("{} {}", p.name(), ports.join(","))
        })
        .collect();
    parts.join(",")
}

/// Address pieces for one direction: the space cut at every CIDR and except
/// of that direction's ipBlocks. IPv6 is shown only when some policy
/// mentions an IPv6 block.
fn pieces(case: &Case, dir: Dir) -> Vec<(bool, u128, u128)> {
    let mut blocks: Vec<Cidr> = Vec::new();
    let mut any_v6 = false;
    for pol in &case.policies {
        for (d, rules) in [(Dir::Ingress, &pol.ingress), (Dir::Egress, &pol.egress)] {
            for peer in rules
                .iter()
                .flatten()
                .flat_map(|r| r.peers.iter().flatten())
            {
                if let PeerG::Ip(cidr, excepts) = peer {
                    any_v6 |= cidr.v6;
                    if d == dir {
                        blocks.push(*cidr);
                        blocks.extend(excepts);
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for v6 in [false, true] {
        if v6 && !any_v6 {
            continue;
        }
        let max = if v6 { u128::MAX } else { u128::from(u32::MAX) };
        let mut cuts = vec![0u128];
        for b in blocks.iter().filter(|b| b.v6 == v6) {
            let (lo, hi) = cidr_range(*b);
            cuts.push(lo);
            if hi < max {
                cuts.push(hi + 1);
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        for (i, &lo) in cuts.iter().enumerate() {
            let hi = cuts.get(i + 1).map_or(max, |n| n - 1);
            out.push((v6, lo, hi));
        }
    }
    out
}

fn addr_text(v6: bool, a: u128) -> String {
    if v6 {
        Ipv6Addr::from(a).to_string()
    } else {
        Ipv4Addr::from(a as u32).to_string()
    }
}

fn piece_name(v6: bool, lo: u128, hi: u128) -> String {
    format!("{}-{}[External]", addr_text(v6, lo), addr_text(v6, hi))
}

type Triple = (String, String, String);

/// `ns/name[Kind]`; a pod made by a controller (other than a Node) is shown
/// as that controller.
fn display(w: &Workload) -> String {
    match &w.owner {
        Some((kind, name, true)) if *kind != "Node" => format!("{}/{name}[{kind}]", w.ns),
        _ => format!("{}/{}[{}]", w.ns, w.name, w.kind),
    }
}

/// The naive connection text of every ordered pair: workload pairs (a
/// workload with itself too) and workload/address-piece pairs. Empty text:
/// nothing allowed.
fn naive_all(case: &Case) -> BTreeMap<(String, String), String> {
    let pts = probe_points(case);
    let ns_labels: Vec<Labels> = case
        .workloads
        .iter()
        .map(|w| namespace_labels(case, &w.ns))
        .collect();
    let pod = |i: usize| End::Pod(&case.workloads[i], &ns_labels[i]);
    let mut out = BTreeMap::new();
    for (i, a) in case.workloads.iter().enumerate() {
        for (j, b) in case.workloads.iter().enumerate() {
            let conn = conn_text(case, &pts, pod(i), pod(j));
            out.insert((display(a), display(b)), conn);
        }
    }
    for (v6, lo, hi) in pieces(case, Dir::Egress) {
        for (i, w) in case.workloads.iter().enumerate() {
            let conn = conn_text(case, &pts, pod(i), End::Addr { v6, addr: lo });
            out.insert((display(w), piece_name(v6, lo, hi)), conn);
        }
    }
    for (v6, lo, hi) in pieces(case, Dir::Ingress) {
        for (i, w) in case.workloads.iter().enumerate() {
            let conn = conn_text(case, &pts, End::Addr { v6, addr: lo }, pod(i));
            out.insert((piece_name(v6, lo, hi), display(w)), conn);
        }
    }
    out
}

/// Every line `reach` should print, sorted: no workload to itself, nothing
/// for pairs with no connection.
fn naive_lines(all: &BTreeMap<(String, String), String>) -> Vec<Triple> {
    all.iter()
        .filter(|((src, dst), conn)| src != dst && !conn.is_empty())
        .map(|((src, dst), conn)| (src.clone(), dst.clone(), conn.clone()))
        .collect()
}

// ---------------------------------------------------------------------------
// Comparison.

/// What went wrong with one cluster, or `None` when both sides agree.
fn disagreement(case: &Case) -> Option<String> {
    let files = render(case);
    let result = catch_unwind(AssertUnwindSafe(|| engine_view(case, &files)));
    let (ours, flows) = match result {
        Ok(v) => v,
        Err(_) => return Some("the engine panicked".to_owned()),
    };
    let all = naive_all(case);
    let naive = naive_lines(&all);
    let mut report = String::new();
    if ours != naive {
        for l in naive.iter().filter(|l| !ours.contains(l)) {
            let _ = writeln!(report, "  naive only:  {} => {} : {}", l.0, l.1, l.2);
        }
        for l in ours.iter().filter(|l| !naive.contains(l)) {
            let _ = writeln!(report, "  engine only: {} => {} : {}", l.0, l.1, l.2);
        }
    }
    // `Engine::flow` (what `query` uses) must agree with the naive side too.
    for (src, dst, conn) in flows {
        let expected = match all.get(&(src.clone(), dst.clone())) {
            Some(c) if c.is_empty() => "No Connections",
            Some(c) => c.as_str(),
            None => "<no such pair>",
        };
        if conn != expected {
            let _ = writeln!(
                report,
                "  flow {src} => {dst}: engine {conn}, naive {expected}"
            );
        }
    }
    (!report.is_empty()).then_some(report)
}

/// The engine's lines, and `Engine::flow` for every pod pair and every
/// pod/first-piece pair (as connection strings).
fn engine_view(case: &Case, files: &[(String, String)]) -> (Vec<Triple>, Vec<Triple>) {
    let texts: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let loaded = load_texts(&texts);
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| d.severity != netpol_lint::report::Severity::Error),
        "loader errors: {:?}",
        loaded
            .diagnostics
            .iter()
            .map(|d| &d.message)
            .collect::<Vec<_>>()
    );
    let engine = Engine::new(&loaded.cluster);
    let lines = engine.connectivity().lines(&engine);
    let ours = lines.into_iter().map(|l| (l.src, l.dst, l.conn)).collect();
    let mut flows = Vec::new();
    let workloads = &loaded.cluster.workloads;
    for (i, a) in workloads.iter().enumerate() {
        let va = Peerish::Pod(engine.class_view(engine.workload_class[i]));
        for (j, b) in workloads.iter().enumerate() {
            let vb = Peerish::Pod(engine.class_view(engine.workload_class[j]));
            let conn = engine.flow(va, vb).allowed.to_conn_string();
            flows.push((a.display_name(), b.display_name(), conn));
        }
        // One address piece each way is enough here: connectivity() already
        // covers every piece.
        for (v6, lo, hi) in pieces(case, Dir::Egress).into_iter().take(2) {
            let family = if v6 { Family::V6 } else { Family::V4 };
            let ip = Peerish::Ip { family, lo, hi };
            let conn = engine.flow(va, ip).allowed.to_conn_string();
            flows.push((a.display_name(), piece_name(v6, lo, hi), conn));
        }
        for (v6, lo, hi) in pieces(case, Dir::Ingress).into_iter().take(2) {
            let family = if v6 { Family::V6 } else { Family::V4 };
            let ip = Peerish::Ip { family, lo, hi };
            let conn = engine.flow(ip, va).allowed.to_conn_string();
            flows.push((piece_name(v6, lo, hi), a.display_name(), conn));
        }
    }
    (ours, flows)
}

// ---------------------------------------------------------------------------
// Shrinking: every way to make a cluster a little smaller.

fn shrink_sel(sel: &Sel) -> Vec<Sel> {
    let mut out = Vec::new();
    for i in 0..sel.match_labels.len() {
        let mut s = sel.clone();
        s.match_labels.remove(i);
        out.push(s);
    }
    for i in 0..sel.exprs.len() {
        let mut s = sel.clone();
        s.exprs.remove(i);
        out.push(s);
    }
    for (i, (_, _, values)) in sel.exprs.iter().enumerate() {
        for j in 0..values.len().saturating_sub(1) {
            let mut s = sel.clone();
            s.exprs[i].2.remove(j + 1);
            out.push(s);
        }
    }
    out
}

fn shrink_rules(rules: &[Rule]) -> Vec<Vec<Rule>> {
    let mut out = Vec::new();
    for i in 0..rules.len() {
        let mut r = rules.to_vec();
        r.remove(i);
        out.push(r);
    }
    for (i, rule) in rules.iter().enumerate() {
        let mut with = |f: &dyn Fn(&mut Rule)| {
            let mut r = rules.to_vec();
            f(&mut r[i]);
            out.push(r);
        };
        if rule.peers.is_some() {
            with(&|r| r.peers = None);
        }
        if rule.ports.is_some() {
            with(&|r| r.ports = None);
        }
        for j in 0..rule.peers.as_ref().map_or(0, Vec::len) {
            with(&|r| {
                if let Some(p) = r.peers.as_mut() {
                    p.remove(j);
                }
            });
            let peer = rule.peers.as_ref().map(|p| p[j].clone());
            let smaller: Vec<PeerG> = match peer {
                Some(PeerG::Pods(s)) => shrink_sel(&s).into_iter().map(PeerG::Pods).collect(),
                Some(PeerG::Namespaces(s)) => {
                    shrink_sel(&s).into_iter().map(PeerG::Namespaces).collect()
                }
                Some(PeerG::Both(n, p)) => {
                    let mut v = vec![PeerG::Pods(p.clone()), PeerG::Namespaces(n.clone())];
                    v.extend(
                        shrink_sel(&n)
                            .into_iter()
                            .map(|n2| PeerG::Both(n2, p.clone())),
                    );
                    v.extend(
                        shrink_sel(&p)
                            .into_iter()
                            .map(|p2| PeerG::Both(n.clone(), p2)),
                    );
                    v
                }
                Some(PeerG::Ip(c, ex)) => (0..ex.len())
                    .map(|k| {
                        let mut e = ex.clone();
                        e.remove(k);
                        PeerG::Ip(c, e)
                    })
                    .collect(),
                None => Vec::new(),
            };
            for sp in smaller {
                with(&|r| {
                    if let Some(p) = r.peers.as_mut() {
                        p[j] = sp.clone();
                    }
                });
            }
        }
        for j in 0..rule.ports.as_ref().map_or(0, Vec::len) {
            with(&|r| {
                if let Some(p) = r.ports.as_mut() {
                    p.remove(j);
                }
            });
        }
    }
    out
}

fn shrink(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    let mut with = |f: &dyn Fn(&mut Case)| {
        let mut c = case.clone();
        f(&mut c);
        out.push(c);
    };
    for i in 0..case.policies.len() {
        with(&|c| {
            c.policies.remove(i);
        });
    }
    for i in 0..case.workloads.len() {
        with(&|c| {
            c.workloads.remove(i);
        });
    }
    if case.flow_style || case.list_wrap {
        with(&|c| {
            c.flow_style = false;
            c.list_wrap = false;
        });
    }
    for (i, w) in case.workloads.iter().enumerate() {
        for k in w.labels.keys() {
            with(&|c| {
                c.workloads[i].labels.remove(k);
            });
        }
        if w.owner.is_some() {
            with(&|c| c.workloads[i].owner = None);
        }
        for j in 0..w.ports.len() {
            with(&|c| {
                c.workloads[i].ports.remove(j);
            });
        }
    }
    for (i, n) in case.namespaces.iter().enumerate() {
        if n.defined {
            with(&|c| c.namespaces[i].defined = false);
        }
        for k in n.labels.keys() {
            with(&|c| {
                c.namespaces[i].labels.remove(k);
            });
        }
    }
    for (i, p) in case.policies.iter().enumerate() {
        if p.policy_types.is_some() {
            with(&|c| c.policies[i].policy_types = None);
        }
        if let Some(sel) = &p.pod_selector {
            for s in shrink_sel(sel) {
                with(&|c| c.policies[i].pod_selector = Some(s.clone()));
            }
        }
        for (dir, rules) in [(Dir::Ingress, &p.ingress), (Dir::Egress, &p.egress)] {
            let Some(rules) = rules else { continue };
            let set = |c: &mut Case, r: Option<Vec<Rule>>| match dir {
                Dir::Ingress => c.policies[i].ingress = r,
                Dir::Egress => c.policies[i].egress = r,
            };
            with(&|c| set(c, None));
            for smaller in shrink_rules(rules) {
                with(&|c| set(c, Some(smaller.clone())));
            }
        }
    }
    out
}

fn shrink_to_smallest(mut case: Case) -> (Case, String) {
    let mut why = disagreement(&case).unwrap_or_default();
    'outer: loop {
        for smaller in shrink(&case) {
            if let Some(w) = disagreement(&smaller) {
                case = smaller;
                why = w;
                continue 'outer;
            }
        }
        return (case, why);
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn engine_agrees_with_naive_evaluator() {
    let cases = env_u64("NETPOL_DIFF_CASES", DEFAULT_CASES);
    let first_seed = env_u64("NETPOL_DIFF_SEED", 0);
    let start = std::time::Instant::now();
    let failing = (first_seed..first_seed + cases)
        .into_par_iter()
        .find_first(|&seed| disagreement(&gen_case(seed)).is_some());
    eprintln!("differential: {cases} clusters in {:.1?}", start.elapsed());
    if let Some(seed) = failing {
        let (case, why) = shrink_to_smallest(gen_case(seed));
        let mut yaml = String::new();
        for (path, text) in render(&case) {
            let _ = writeln!(yaml, "# {path}\n{text}");
        }
        panic!(
            "engine and naive evaluator disagree on seed {seed} \
             (NETPOL_DIFF_SEED={seed} NETPOL_DIFF_CASES=1 reproduces it); smallest cluster:\n\
             {yaml}\ndifferences:\n{why}",
            seed = case.seed
        );
    }
}

/// The generator covers what it should: without this, a generator bug could
/// make the comparison vacuous.
#[test]
fn generator_covers_the_spec() {
    let mut seen = BTreeMap::<&str, usize>::new();
    for seed in 0..2_000 {
        let case = gen_case(seed);
        let all = naive_all(&case);
        let lines = naive_lines(&all);
        let mut see =
            |what: &'static str, yes: bool| *seen.entry(what).or_default() += usize::from(yes);
        see(
            "some denied pair",
            all.iter().any(|((a, b), c)| a != b && c.is_empty()),
        );
        see(
            "partial ports",
            lines.iter().any(|l| l.2 != "All Connections"),
        );
        see(
            "split address space",
            lines
                .iter()
                .any(|l| !l.0.starts_with("0.0.0.0-255") && l.0.ends_with("[External]")),
        );
        see(
            "ipv6 piece",
            lines
                .iter()
                .any(|l| l.1.contains("::") || l.0.contains("::")),
        );
        let resolves = |name: &str, proto: Option<Proto>| {
            case.workloads.iter().flat_map(|w| &w.ports).any(|cp| {
                cp.name.as_deref() == Some(name) && cp.proto == proto.unwrap_or(Proto::Tcp)
            })
        };
        see(
            "pod shown as its owner",
            case.workloads.iter().any(|w| display(w).contains("/o")),
        );
        see(
            "label that needs quotes",
            case.workloads.iter().any(|w| {
                w.labels
                    .get("env")
                    .is_some_and(|v| v.is_empty() || v == "true")
            }),
        );
        for p in &case.policies {
            for r in p.ingress.iter().chain(&p.egress).flatten() {
                for peer in r.peers.iter().flatten() {
                    see("both selectors", matches!(peer, PeerG::Both(..)));
                    for sel in match peer {
                        PeerG::Pods(s) | PeerG::Namespaces(s) => vec![s],
                        PeerG::Both(a, b) => vec![a, b],
                        PeerG::Ip(..) => vec![],
                    } {
                        see("NotIn", sel.exprs.iter().any(|e| e.1 == Op::NotIn));
                        see(
                            "DoesNotExist",
                            sel.exprs.iter().any(|e| e.1 == Op::DoesNotExist),
                        );
                    }
                }
                for port in r.ports.iter().flatten() {
                    see("endPort", port.end_port.is_some());
                    see("named port", matches!(port.port, Some(PortVal::Name(_))));
                    let named = match &port.port {
                        Some(PortVal::Name(n)) => resolves(n, port.proto),
                        _ => false,
                    };
                    see("named port resolves", named);
                }
            }
        }
    }
    eprintln!("generator coverage in 2000 clusters: {seen:?}");
    for (what, n) in &seen {
        assert!(
            *n > 10,
            "the generator rarely produces {what}: {n} times in 2000 clusters"
        );
    }
    assert_eq!(seen.len(), 12, "{seen:?}");
}

/// Where the time of one cluster goes (generate, load, engine, naive):
/// `cargo test --test differential profile_phases -- --ignored --nocapture`.
#[test]
#[ignore = "a timing aid, not a check"]
fn profile_phases() {
    use std::time::{Duration, Instant};
    let mut t = [Duration::ZERO; 4];
    for seed in 0..500 {
        let a = Instant::now();
        let case = gen_case(seed);
        let files = render(&case);
        let b = Instant::now();
        let texts: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let loaded = load_texts(&texts);
        let c = Instant::now();
        let engine = Engine::new(&loaded.cluster);
        let _ = engine.connectivity().lines(&engine);
        let d = Instant::now();
        let _ = naive_lines(&naive_all(&case));
        let e = Instant::now();
        t[0] += b - a;
        t[1] += c - b;
        t[2] += d - c;
        t[3] += e - d;
    }
    eprintln!(
        "gen {:?} load {:?} engine {:?} naive {:?}",
        t[0], t[1], t[2], t[3]
    );
}
