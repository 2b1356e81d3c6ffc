//! Bulk connectivity: the whole map without evaluating every pair.
//!
//! The cost of a naive map is pairs × policies. Here each rule's peers are
//! compiled once into (namespace set, pod selector) tests. The egress side
//! of a source is enumerated from the classes its rules name, and the
//! ingress side is only checked for those candidates, so a cluster where
//! every namespace has a default deny costs about the number of allowed
//! pairs, not the square of the pod count. Only sources whose egress is open
//! need the reverse view: which isolated destinations admit them, computed
//! from the ingress rules that name them. Classes with the same isolating
//! policies share their egress enumeration.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use petgraph::graph::{DiGraph, NodeIndex};

use super::reach::{Connectivity, Endpoint};
use super::{Engine, rule_ports};
use crate::model::ip::{Cidr, Family, IpSet, partition};
use crate::model::policy::Direction;
use crate::model::{NamespaceSel, Peer, PolicyRule, PortSet, Selector};

/// What a source's egress allows, by destination class, sorted by class.
type EgressTargets = Vec<(usize, PortSet)>;

/// Which pod classes may connect to which, and on what: the pod part of the
/// map before it is spread over workloads. Rows are sorted by class and hold
/// only non-empty port sets; a class may appear in its own row.
#[derive(Debug, Default)]
pub struct ClassMap {
    /// `out[a]`: destinations of source class `a`.
    pub out: Vec<Vec<(usize, PortSet)>>,
    /// `into[b]`: sources of destination class `b`.
    pub into: Vec<Vec<(usize, PortSet)>>,
}

/// The namespaces a peer's namespace part admits.
enum NsMatch {
    One(usize),
    Set(Rc<Vec<bool>>),
    Nothing,
}

impl NsMatch {
    fn contains(&self, ns: usize) -> bool {
        match self {
            NsMatch::One(n) => *n == ns,
            NsMatch::Set(set) => set[ns],
            NsMatch::Nothing => false,
        }
    }
}

struct PeerTest<'a> {
    namespaces: NsMatch,
    pods: &'a Selector,
}

/// One rule, compiled for class tests and enumeration.
struct CompiledRule<'a> {
    rule: &'a PolicyRule,
    /// `None`: no from/to, every pod and every address.
    peers: Option<Vec<PeerTest<'a>>>,
    ips: Vec<&'a IpSet>,
    /// The classes the rule names, computed on first use.
    classes: OnceCell<Vec<usize>>,
}

struct Compiled<'a, 'c> {
    engine: &'a Engine<'c>,
    /// `[direction][policy]` → rules.
    rules: [Vec<Vec<CompiledRule<'c>>>; 2],
}

fn d(dir: Direction) -> usize {
    match dir {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl<'a, 'c> Compiled<'a, 'c> {
    fn new(engine: &'a Engine<'c>) -> Self {
        let cluster = engine.cluster;
        let ns_count = cluster.namespaces.len();
        let mut ns_cache: HashMap<&Selector, Rc<Vec<bool>>> = HashMap::new();
        let mut compile = |policy: &'c crate::model::Policy, rule: &'c PolicyRule| {
            let mut ips = Vec::new();
            let peers = rule.peers.as_ref().map(|peers| {
                let mut tests = Vec::new();
                for peer in peers {
                    match peer {
                        Peer::Pods { namespaces, pods } => {
                            let ns = match namespaces {
                                NamespaceSel::Own => {
                                    match engine.namespace_index(&policy.namespace) {
                                        Some(i) => NsMatch::One(i),
                                        None => NsMatch::Nothing,
                                    }
                                }
                                NamespaceSel::Select(sel) => {
                                    let set = ns_cache.entry(sel).or_insert_with(|| {
                                        Rc::new(
                                            (0..ns_count)
                                                .map(|i| sel.matches(&cluster.namespaces[i].labels))
                                                .collect(),
                                        )
                                    });
                                    NsMatch::Set(Rc::clone(set))
                                }
                            };
                            tests.push(PeerTest {
                                namespaces: ns,
                                pods,
                            });
                        }
                        Peer::IpBlock { set } => ips.push(set),
                        Peer::Invalid => {}
                    }
                }
                tests
            });
            CompiledRule {
                rule,
                peers,
                ips,
                classes: OnceCell::new(),
            }
        };
        let mut rules: [Vec<Vec<CompiledRule<'c>>>; 2] = [Vec::new(), Vec::new()];
        for dir in [Direction::Ingress, Direction::Egress] {
            for p in &cluster.policies {
                let compiled = p.rules(dir).iter().map(|r| compile(p, r)).collect();
                rules[d(dir)].push(compiled);
            }
        }
        Compiled { engine, rules }
    }

    fn matches_class(&self, rule: &CompiledRule<'_>, class: usize) -> bool {
        let c = &self.engine.classes[class];
        match &rule.peers {
            None => true,
            Some(tests) => tests
                .iter()
                .any(|t| t.namespaces.contains(c.namespace) && t.pods.matches(&c.labels)),
        }
    }

    fn classes_of<'r>(&self, rule: &'r CompiledRule<'_>) -> &'r [usize] {
        rule.classes.get_or_init(|| {
            let n = self.engine.classes.len();
            let mut out: Vec<usize> =
                match &rule.peers {
                    None => (0..n).collect(),
                    Some(tests) => {
                        let mut out = Vec::new();
                        for t in tests {
                            let namespaces: Vec<usize> = match &t.namespaces {
                                NsMatch::One(i) => vec![*i],
                                NsMatch::Set(set) => (0..set.len()).filter(|&i| set[i]).collect(),
                                NsMatch::Nothing => Vec::new(),
                            };
                            for ns in namespaces {
                                out.extend(
                                    self.engine.classes_in(ns).iter().copied().filter(|&c| {
                                        t.pods.matches(&self.engine.classes[c].labels)
                                    }),
                                );
                            }
                        }
                        out
                    }
                };
            out.sort_unstable();
            out.dedup();
            out
        })
    }

    /// Ports the destination's ingress side admits from `src`; `None` when
    /// the destination is not isolated for ingress.
    fn ingress_ports(&self, dst: usize, src: usize) -> Option<PortSet> {
        let isolating = self.engine.isolating(dst, Direction::Ingress);
        if isolating.is_empty() {
            return None;
        }
        let mut ports = PortSet::empty();
        for &pi in isolating {
            for r in &self.rules[0][pi] {
                if self.matches_class(r, src) {
                    ports.union_with(&rule_ports(r.rule, &self.engine.classes[dst].ports));
                }
            }
        }
        Some(ports)
    }

    /// What the source's egress rules allow, by destination class, sorted.
    fn egress_targets(&self, isolating: &[usize]) -> Vec<(usize, PortSet)> {
        let mut map: HashMap<usize, PortSet> = HashMap::new();
        for &pi in isolating {
            for r in &self.rules[1][pi] {
                for &b in self.classes_of(r) {
                    // Named ports resolve against the destination pod.
                    let ports = rule_ports(r.rule, &self.engine.classes[b].ports);
                    if !ports.is_empty() {
                        map.entry(b).or_default().union_with(&ports);
                    }
                }
            }
        }
        let mut out: Vec<(usize, PortSet)> = map.into_iter().collect();
        out.sort_unstable_by_key(|(b, _)| *b);
        out
    }

    /// Ports a class may use towards (egress) or accept from (ingress) one
    /// external piece. Named ports never resolve for addresses, but an
    /// ingress rule's named ports resolve against the class itself.
    fn external_ports(&self, class: usize, dir: Direction, piece: &IpSet) -> PortSet {
        let isolating = self.engine.isolating(class, dir);
        if isolating.is_empty() {
            return PortSet::all();
        }
        let mut ports = PortSet::empty();
        for &pi in isolating {
            for r in &self.rules[d(dir)][pi] {
                let hit = r.peers.is_none()
                    || r.ips
                        .iter()
                        .any(|s| s.family() == piece.family() && piece.is_subset(s));
                if hit {
                    let dst_ports = match dir {
                        Direction::Ingress => self.engine.classes[class].ports.as_slice(),
                        Direction::Egress => &[],
                    };
                    ports.union_with(&rule_ports(r.rule, dst_ports));
                }
            }
        }
        ports
    }
}

impl<'c> Engine<'c> {
    /// Cut points for external addresses in one direction: every `cidr` and
    /// `except` of the ipBlocks in that direction's rules.
    pub fn ip_pieces(&self, dir: Direction) -> Vec<(Family, u128, u128)> {
        let mut cidrs: Vec<Cidr> = Vec::new();
        let mut any_v6 = false;
        for p in &self.cluster.policies {
            let ingress = p
                .spec
                .ingress
                .iter()
                .flatten()
                .filter_map(|r| r.from.as_ref());
            let egress = p.spec.egress.iter().flatten().filter_map(|r| r.to.as_ref());
            let (ingress, egress): (Vec<_>, Vec<_>) = (ingress.collect(), egress.collect());
            for (peers_dir, lists) in [(Direction::Ingress, &ingress), (Direction::Egress, &egress)]
            {
                for block in lists
                    .iter()
                    .flat_map(|l| l.iter())
                    .filter_map(|p| p.ip_block.as_ref())
                {
                    let all = std::iter::once(&block.cidr).chain(block.except.iter().flatten());
                    for c in all.filter_map(|c| Cidr::parse(c).ok()) {
                        any_v6 |= c.family == Family::V6;
                        if peers_dir == dir {
                            cidrs.push(c.network());
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        for family in [Family::V4, Family::V6] {
            if family == Family::V6 && !any_v6 {
                continue;
            }
            let of_family: Vec<Cidr> = cidrs
                .iter()
                .filter(|c| c.family == family)
                .copied()
                .collect();
            out.extend(
                partition(family, &of_family)
                    .into_iter()
                    .map(|(lo, hi)| (family, lo, hi)),
            );
        }
        out
    }

    /// Class-level connectivity between pods: for every source class, the
    /// destination classes it may open connections to and on which ports,
    /// both ends' policies applied. Computed once per engine.
    pub fn class_map(&self) -> &ClassMap {
        self.class_map
            .get_or_init(|| self.compute_class_map(&Compiled::new(self)))
    }

    /// Whether [`Engine::class_map`] has been computed. The map is as large
    /// as the number of connected pairs, the square of the pod count where
    /// namespaces have no policies, so `check` must never need it.
    pub fn class_map_computed(&self) -> bool {
        self.class_map.get().is_some()
    }

    /// An upper bound on the number of pairs [`Engine::connectivity`] would
    /// hold, workload pairs and workload-address pairs, computed from the
    /// policies' selections without building the map (whose size, where
    /// namespaces have no policies, is the square of the pod count).
    pub fn connectivity_bound(&self) -> u64 {
        self.bound_with(&Compiled::new(self))
    }

    fn bound_with(&self, cx: &Compiled<'_, 'c>) -> u64 {
        let n = self.classes.len();
        let weight = |c: usize| self.classes[c].workloads.len() as u64;
        let total: u64 = (0..n).map(weight).sum();
        let open_ingress: u64 = (0..n)
            .filter(|&b| self.isolating(b, Direction::Ingress).is_empty())
            .map(weight)
            .sum();
        // Sources with open egress reach the open destinations and the
        // isolated ones whose ingress rules name them (counted once per
        // rule: an overestimate, capped by the number of workloads).
        let mut admitted: HashMap<usize, u64> = HashMap::new();
        let any_open = (0..n).any(|a| self.isolating(a, Direction::Egress).is_empty());
        for (pi, rules) in cx.rules[0].iter().enumerate() {
            if !any_open || !self.cluster.policies[pi].affects_ingress {
                continue;
            }
            let selected: u64 = self.selected[pi].iter().map(|&c| weight(c)).sum();
            for r in rules {
                for &a in cx.classes_of(r) {
                    if self.isolating(a, Direction::Egress).is_empty() {
                        *admitted.entry(a).or_default() += selected;
                    }
                }
            }
        }
        // Sources with isolated egress reach at most the classes their
        // rules name, each counted once: `seen[b]` holds the last set of
        // isolating policies (by number) that counted `b`.
        let mut targets: HashMap<&[usize], u64> = HashMap::new();
        let mut seen: Vec<usize> = vec![usize::MAX; n];
        let mut pods: u64 = 0;
        for a in 0..n {
            let isolating = self.isolating(a, Direction::Egress);
            let reached = if isolating.is_empty() {
                open_ingress + admitted.get(&a).copied().unwrap_or(0)
            } else {
                let stamp = targets.len();
                *targets.entry(isolating).or_insert_with(|| {
                    let mut sum = 0;
                    for &pi in isolating {
                        for r in &cx.rules[1][pi] {
                            for &b in cx.classes_of(r) {
                                if seen[b] != stamp {
                                    seen[b] = stamp;
                                    sum += weight(b);
                                }
                            }
                        }
                    }
                    sum
                })
            };
            pods = pods.saturating_add(weight(a).saturating_mul(reached.min(total)));
        }
        let pieces = (self.ip_pieces(Direction::Egress).len()
            + self.ip_pieces(Direction::Ingress).len()) as u64;
        pods.saturating_add(pieces.saturating_mul(total))
    }

    fn compute_class_map(&self, cx: &Compiled<'_, 'c>) -> ClassMap {
        let n = self.classes.len();
        let egress_open: Vec<bool> = (0..n)
            .map(|a| self.isolating(a, Direction::Egress).is_empty())
            .collect();
        let open_ingress: Vec<usize> = (0..n)
            .filter(|&b| self.isolating(b, Direction::Ingress).is_empty())
            .collect();
        // For sources with open egress: the isolated destinations that admit them.
        let mut admitted_by: HashMap<usize, Vec<usize>> = HashMap::new();
        if egress_open.iter().any(|&o| o) {
            for (pi, rules) in cx.rules[0].iter().enumerate() {
                if !self.cluster.policies[pi].affects_ingress {
                    continue;
                }
                for r in rules {
                    for &a in cx.classes_of(r) {
                        if egress_open[a] {
                            admitted_by.entry(a).or_default().extend(&self.selected[pi]);
                        }
                    }
                }
            }
        }
        let mut out: Vec<Vec<(usize, PortSet)>> = Vec::with_capacity(n);
        let mut shared: HashMap<&[usize], Rc<EgressTargets>> = HashMap::new();
        for a in 0..n {
            let isolating = self.isolating(a, Direction::Egress);
            let mut row = Vec::new();
            if isolating.is_empty() {
                let mut candidates: Vec<usize> = open_ingress.clone();
                candidates.extend(admitted_by.get(&a).into_iter().flatten());
                candidates.sort_unstable();
                candidates.dedup();
                for b in candidates {
                    let conn = cx.ingress_ports(b, a).unwrap_or_else(PortSet::all);
                    if !conn.is_empty() {
                        row.push((b, conn));
                    }
                }
            } else {
                let targets = shared
                    .entry(isolating)
                    .or_insert_with(|| Rc::new(cx.egress_targets(isolating)))
                    .clone();
                for (b, e) in targets.iter() {
                    let conn = match cx.ingress_ports(*b, a) {
                        None => e.clone(),
                        Some(i) => e.intersect(&i),
                    };
                    if !conn.is_empty() {
                        row.push((*b, conn));
                    }
                }
            }
            out.push(row);
        }
        let mut into: Vec<Vec<(usize, PortSet)>> = vec![Vec::new(); n];
        for (a, row) in out.iter().enumerate() {
            for (b, conn) in row {
                into[*b].push((a, conn.clone()));
            }
        }
        ClassMap { out, into }
    }

    /// Computes the whole map.
    pub fn connectivity(&self) -> Connectivity {
        match self.connectivity_within(None) {
            Ok(map) => map,
            Err(_) => unreachable!("no limit was given"),
        }
    }

    /// Computes the whole map unless [`Engine::connectivity_bound`] is over
    /// `limit`; then returns the bound. The rules are compiled once for both.
    pub fn connectivity_within(&self, limit: Option<u64>) -> Result<Connectivity, u64> {
        let cx = Compiled::new(self);
        if let Some(limit) = limit {
            let bound = self.bound_with(&cx);
            if bound > limit {
                return Err(bound);
            }
        }
        let n = self.classes.len();
        let mut graph: DiGraph<Endpoint, PortSet> = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..self.cluster.workloads.len())
            .map(|w| graph.add_node(Endpoint::Workload(w)))
            .collect();
        let map = self.class_map.get_or_init(|| self.compute_class_map(&cx));
        for (a, row) in map.out.iter().enumerate() {
            for (b, conn) in row {
                for &w1 in &self.classes[a].workloads {
                    for &w2 in &self.classes[*b].workloads {
                        // A pod's traffic to itself is not a connection of the map.
                        if w1 != w2 {
                            graph.add_edge(nodes[w1], nodes[w2], conn.clone());
                        }
                    }
                }
            }
        }
        for dir in [Direction::Egress, Direction::Ingress] {
            for (family, lo, hi) in self.ip_pieces(dir) {
                let piece = IpSet::range(family, lo, hi);
                let ext = graph.add_node(Endpoint::External { family, lo, hi });
                for c in 0..n {
                    let conn = cx.external_ports(c, dir, &piece);
                    if conn.is_empty() {
                        continue;
                    }
                    for &w in &self.classes[c].workloads {
                        match dir {
                            Direction::Egress => graph.add_edge(nodes[w], ext, conn.clone()),
                            Direction::Ingress => graph.add_edge(ext, nodes[w], conn.clone()),
                        };
                    }
                }
            }
        }
        Ok(Connectivity { graph })
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::load::load_texts;
    use crate::synth::{self, Params};

    #[test]
    fn the_bound_is_never_below_the_map_and_tight_without_policies() {
        for seed in 0..60 {
            let loaded = synth::load(&Params {
                namespaces: 1 + (seed % 5) as usize,
                workloads: 5 + (seed % 23) as usize,
                policies: (seed % 13) as usize,
                seed,
            });
            let engine = Engine::new(&loaded.cluster);
            let bound = engine.connectivity_bound();
            let edges = engine.connectivity().graph.edge_count() as u64;
            assert!(bound >= edges, "seed {seed}: bound {bound} < {edges} pairs");
        }
        // Without policies every pod reaches every other and all addresses
        // both ways: the bound counts each pod's pair with itself too, and
        // nothing else.
        let pods: String = (0..30)
            .map(|i| {
                format!(
                    "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: n{}, \
                     labels: {{app: a{i}}}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n",
                    i % 3
                )
            })
            .collect();
        let loaded = load_texts(&[("pods.yaml", pods.as_str())]);
        let engine = Engine::new(&loaded.cluster);
        assert_eq!(engine.connectivity().graph.edge_count(), 30 * 29 + 2 * 30);
        assert_eq!(engine.connectivity_bound(), 30 * 30 + 2 * 30);
    }
}
