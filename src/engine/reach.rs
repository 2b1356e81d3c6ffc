//! The whole connectivity map, at workload level, and its renderings.
//!
//! External addresses are shown as ranges: the address space of each family
//! is cut at every `cidr` and `except` of the policies' ipBlocks (sources by
//! ingress blocks, destinations by egress blocks), and each piece gets its
//! own line, as netpol-analyzer does. IPv6 pieces appear only when some
//! policy mentions an IPv6 block.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

use super::{Engine, rule_ports};
use crate::model::Peer;
use crate::model::ip::{Cidr, Family, IpSet, format_range, partition};
use crate::model::policy::Direction;
use crate::model::{PolicyRule, PortSet};

/// A vertex of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Workload(usize),
    External { family: Family, lo: u128, hi: u128 },
}

/// The map: a petgraph graph whose edges carry connection sets.
pub struct Connectivity {
    pub graph: DiGraph<Endpoint, PortSet>,
}

/// One line of output, with names resolved.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Line {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// The same connections, structured (see [`PortSet`]'s JSON form).
    pub ports: PortSet,
}

/// What one rule matches, computed once.
struct RuleTargets<'a> {
    rule: &'a PolicyRule,
    /// Sorted classes, or every class when the rule has no from/to.
    classes: Option<Vec<usize>>,
    ips: Vec<&'a IpSet>,
}

impl<'c> Engine<'c> {
    fn rule_targets(&self) -> [Vec<Vec<RuleTargets<'c>>>; 2] {
        let mut out: [Vec<Vec<RuleTargets<'c>>>; 2] = [Vec::new(), Vec::new()];
        for (d, dir) in [Direction::Ingress, Direction::Egress]
            .into_iter()
            .enumerate()
        {
            for p in &self.cluster.policies {
                let rules = p
                    .rules(dir)
                    .iter()
                    .map(|rule| match &rule.peers {
                        None => RuleTargets {
                            rule,
                            classes: None,
                            ips: Vec::new(),
                        },
                        Some(peers) => {
                            let mut classes = Vec::new();
                            let mut ips = Vec::new();
                            for peer in peers {
                                match peer {
                                    Peer::IpBlock { set } => ips.push(set),
                                    _ => classes.extend(self.peer_classes(p, peer)),
                                }
                            }
                            classes.sort_unstable();
                            classes.dedup();
                            RuleTargets {
                                rule,
                                classes: Some(classes),
                                ips,
                            }
                        }
                    })
                    .collect();
                out[d].push(rules);
            }
        }
        out
    }

    /// For each class, what its isolating policies allow in `dir`, keyed by
    /// the class at the far end. `None`: not isolated, everything allowed.
    fn side_maps(
        &self,
        dir: Direction,
        targets: &[Vec<RuleTargets<'_>>],
    ) -> Vec<Option<HashMap<usize, PortSet>>> {
        let n = self.classes.len();
        (0..n)
            .map(|c| {
                let isolating = self.isolating(c, dir);
                if isolating.is_empty() {
                    return None;
                }
                let mut map: HashMap<usize, PortSet> = HashMap::new();
                for &pi in isolating {
                    for t in &targets[pi] {
                        let mut add = |far: usize| {
                            // Named ports resolve against the destination.
                            let dst = if dir == Direction::Egress { far } else { c };
                            let ports = rule_ports(t.rule, &self.classes[dst].ports);
                            if !ports.is_empty() {
                                map.entry(far).or_default().union_with(&ports);
                            }
                        };
                        match &t.classes {
                            None => (0..n).for_each(&mut add),
                            Some(cs) => cs.iter().copied().for_each(&mut add),
                        }
                    }
                }
                Some(map)
            })
            .collect()
    }

    /// Cut points for external addresses in one direction.
    fn ip_pieces(&self, dir: Direction) -> Vec<(Family, u128, u128)> {
        let mut cidrs: Vec<Cidr> = Vec::new();
        for p in &self.cluster.policies {
            let rules = match dir {
                Direction::Ingress => p
                    .spec
                    .ingress
                    .iter()
                    .flatten()
                    .filter_map(|r| r.from.as_ref())
                    .collect::<Vec<_>>(),
                Direction::Egress => p
                    .spec
                    .egress
                    .iter()
                    .flatten()
                    .filter_map(|r| r.to.as_ref())
                    .collect(),
            };
            for peers in rules {
                for block in peers.iter().filter_map(|peer| peer.ip_block.as_ref()) {
                    let parsed = std::iter::once(&block.cidr).chain(block.except.iter().flatten());
                    cidrs.extend(
                        parsed
                            .filter_map(|c| Cidr::parse(c).ok())
                            .map(|c| c.network()),
                    );
                }
            }
        }
        let any_v6 = self.cluster.policies.iter().any(mentions_v6);
        let mut out = Vec::new();
        for family in [Family::V4, Family::V6] {
            if family == Family::V6 && !any_v6 {
                continue;
            }
            let of_family: Vec<Cidr> = cidrs
                .iter()
                .filter(|c| c.family == family)
                .cloned()
                .collect();
            out.extend(
                partition(family, &of_family)
                    .into_iter()
                    .map(|(lo, hi)| (family, lo, hi)),
            );
        }
        out
    }

    /// Ports a class may use towards (egress) or accept from (ingress) one
    /// external piece. Named ports never resolve for addresses.
    fn external_ports(
        &self,
        class: usize,
        dir: Direction,
        targets: &[Vec<RuleTargets<'_>>],
        piece: (Family, u128, u128),
    ) -> PortSet {
        let isolating = self.isolating(class, dir);
        if isolating.is_empty() {
            return PortSet::all();
        }
        let (family, lo, hi) = piece;
        let range = IpSet::range(family, lo, hi);
        let mut ports = PortSet::empty();
        for &pi in isolating {
            for t in &targets[pi] {
                let hit = t.classes.is_none()
                    || t.ips
                        .iter()
                        .any(|s| s.family() == family && range.is_subset(s));
                if hit {
                    let dst_ports = if dir == Direction::Ingress {
                        self.classes[class].ports.as_slice()
                    } else {
                        &[]
                    };
                    ports.union_with(&rule_ports(t.rule, dst_ports));
                }
            }
        }
        ports
    }

    /// Computes the whole map.
    pub fn connectivity(&self) -> Connectivity {
        let targets = self.rule_targets();
        let [in_targets, eg_targets] = &targets;
        let egress = self.side_maps(Direction::Egress, eg_targets);
        let ingress = self.side_maps(Direction::Ingress, in_targets);
        let n = self.classes.len();
        // Classes whose ingress is open, and for isolated ones, who they let in.
        let open_ingress: Vec<usize> = (0..n).filter(|&b| ingress[b].is_none()).collect();
        let mut admitted_by: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (b, m) in ingress.iter().enumerate() {
            if let Some(m) = m {
                for &a in m.keys() {
                    admitted_by[a].push(b);
                }
            }
        }
        let all = PortSet::all();
        let empty = PortSet::empty();
        let mut graph: DiGraph<Endpoint, PortSet> = DiGraph::new();
        let nodes: Vec<NodeIndex> = (0..self.cluster.workloads.len())
            .map(|w| graph.add_node(Endpoint::Workload(w)))
            .collect();
        for a in 0..n {
            let mut candidates: Vec<usize> = match &egress[a] {
                Some(m) => m.keys().copied().collect(),
                None => open_ingress
                    .iter()
                    .chain(&admitted_by[a])
                    .copied()
                    .collect(),
            };
            candidates.sort_unstable();
            candidates.dedup();
            for b in candidates {
                let e = match &egress[a] {
                    Some(m) => m.get(&b).unwrap_or(&empty),
                    None => &all,
                };
                let conn = match &ingress[b] {
                    None => e.clone(),
                    Some(m) => match m.get(&a) {
                        Some(i) => e.intersect(i),
                        None => continue,
                    },
                };
                if conn.is_empty() {
                    continue;
                }
                for &w1 in &self.classes[a].workloads {
                    for &w2 in &self.classes[b].workloads {
                        if w1 != w2 {
                            graph.add_edge(nodes[w1], nodes[w2], conn.clone());
                        }
                    }
                }
            }
        }
        for (dir, tg) in [
            (Direction::Egress, eg_targets),
            (Direction::Ingress, in_targets),
        ] {
            for piece in self.ip_pieces(dir) {
                let (family, lo, hi) = piece;
                let ext = graph.add_node(Endpoint::External { family, lo, hi });
                for c in 0..n {
                    let conn = self.external_ports(c, dir, tg, piece);
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
        Connectivity { graph }
    }
}

fn mentions_v6(p: &crate::model::Policy) -> bool {
    let ingress = p
        .spec
        .ingress
        .iter()
        .flatten()
        .filter_map(|r| r.from.as_ref());
    let egress = p.spec.egress.iter().flatten().filter_map(|r| r.to.as_ref());
    ingress
        .chain(egress)
        .flatten()
        .filter_map(|peer| peer.ip_block.as_ref())
        .any(|b| Cidr::parse(&b.cidr).is_ok_and(|c| c.family == Family::V6))
}

impl Connectivity {
    /// Name of an endpoint in netpol-analyzer's spelling.
    pub fn name(&self, engine: &Engine<'_>, e: Endpoint) -> String {
        match e {
            Endpoint::Workload(w) => engine.cluster.workloads[w].display_name(),
            Endpoint::External { family, lo, hi } => {
                format!("{}[External]", format_range(family, lo, hi))
            }
        }
    }

    /// Every edge as a line, sorted byte-wise by source, then destination.
    pub fn lines(&self, engine: &Engine<'_>) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (s, d) = self.graph.edge_endpoints(e)?;
                let ports = self.graph[e].clone();
                Some(Line {
                    src: self.name(engine, self.graph[s]),
                    dst: self.name(engine, self.graph[d]),
                    conn: ports.to_conn_string(),
                    ports,
                })
            })
            .collect();
        lines.sort_by(|a, b| (&a.src, &a.dst).cmp(&(&b.src, &b.dst)));
        // Two workloads can share a display name (a bare pod and a controller
        // of the same name); keep one line per pair, their connections merged.
        lines.dedup_by(|b, a| {
            if a.src == b.src && a.dst == b.dst {
                a.ports.union_with(&b.ports);
                a.conn = a.ports.to_conn_string();
                true
            } else {
                false
            }
        });
        lines
    }
}
