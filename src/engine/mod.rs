//! The reachability engine: who may talk to whom, on which ports, and why.
//!
//! Kubernetes semantics, in short. A pod is isolated for a direction when a
//! policy of its namespace selects it with that policy type; then only the
//! union of those policies' rules is allowed in that direction. A connection
//! needs both ends: the source's egress side and the destination's ingress
//! side must each allow it (or not be isolated). Named ports resolve against
//! the destination pod's container ports, name and protocol.
//!
//! Pods with the same namespace, labels and container ports behave the same,
//! so the engine works on such classes. Each policy's selected classes and
//! each peer's matched classes are computed once; bulk connectivity then
//! walks only the classes a rule names, never every pair against every policy.
//!
//! Two entry points share the rule-level helpers: [`Engine::side`] evaluates
//! one side of one flow for any pod, real or hypothetical, and says which
//! rules decided; [`reach::Connectivity`] computes the whole map.

mod bulk;
pub mod reach;

pub use bulk::ClassMap;

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::ip::{Family, IpSet};
use crate::model::policy::Direction;
use crate::model::{
    Cluster, ContainerPort, Labels, NamespaceSel, Peer, Policy, PolicyRule, PortSet, PortSpec,
    Protocol, Selector,
};

/// A reference to one rule: `policies[policy].{ingress,egress}[rule]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    pub policy: usize,
    pub direction: Direction,
    pub rule: usize,
}

/// A pod, real or imagined, as the rules see it.
#[derive(Debug, Clone, Copy)]
pub struct PodView<'a> {
    pub namespace: &'a str,
    pub namespace_labels: &'a Labels,
    pub labels: &'a Labels,
    pub ports: &'a [ContainerPort],
}

/// The other end of a flow from one side's point of view.
#[derive(Debug, Clone, Copy)]
pub enum Peerish<'a> {
    Pod(PodView<'a>),
    /// An external address range (one partition piece), one family.
    Ip {
        family: Family,
        lo: u128,
        hi: u128,
    },
}

/// What one side of a flow says.
#[derive(Debug, Clone, Default)]
pub struct SideVerdict {
    /// Policies that select the pod for this direction.
    pub selecting: Vec<usize>,
    /// Rules whose peers match the other end and whose ports allow something
    /// of what was asked.
    pub allowing: Vec<RuleRef>,
    /// Every rule whose peers match the other end, with the ports it allows
    /// towards the destination (empty when its ports resolve to nothing,
    /// e.g. a named port the destination does not define).
    pub matching: Vec<(RuleRef, PortSet)>,
    /// The ports allowed on this side (everything when not isolated).
    pub ports: PortSet,
}

impl SideVerdict {
    pub fn isolated(&self) -> bool {
        !self.selecting.is_empty()
    }

    /// The rules that allow one port of one protocol.
    pub fn allowing_port(&self, protocol: Protocol, port: u16) -> Vec<RuleRef> {
        self.matching
            .iter()
            .filter(|(_, p)| p.contains(protocol, port))
            .map(|(r, _)| *r)
            .collect()
    }
}

/// Pods that behave identically.
#[derive(Debug, Clone)]
pub struct PodClass {
    pub namespace: usize,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    /// Indices into `cluster.workloads`.
    pub workloads: Vec<usize>,
}

/// Precomputed selections over a cluster.
pub struct Engine<'c> {
    pub cluster: &'c Cluster,
    pub classes: Vec<PodClass>,
    /// Class of each workload.
    pub workload_class: Vec<usize>,
    /// Classes of each namespace, by namespace index.
    ns_classes: Vec<Vec<usize>>,
    ns_index: HashMap<&'c str, usize>,
    /// Policies by the namespace they are in, each list in policy order. A
    /// policy only ever selects pods of its own namespace, so [`Engine::side`]
    /// looks at these instead of scanning every policy of the cluster.
    ns_policies: HashMap<&'c str, Vec<usize>>,
    /// For each policy, the classes its `podSelector` selects.
    pub selected: Vec<Vec<usize>>,
    /// For each class and direction, the policies that isolate it.
    isolating: [Vec<Vec<usize>>; 2],
    /// The namespaces each `namespaceSelector` of the policies matches:
    /// rules ask for them per peer, and scanning every namespace each time
    /// grows with policies × namespaces.
    ns_selected: HashMap<&'c Selector, Vec<usize>>,
    /// Pod-to-pod connectivity by class, computed on first use.
    class_map: OnceLock<ClassMap>,
}

fn dir_index(d: Direction) -> usize {
    match d {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl<'c> Engine<'c> {
    pub fn new(cluster: &'c Cluster) -> Self {
        let ns_index: HashMap<&str, usize> = cluster
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut class_of: HashMap<(usize, &Labels, &[ContainerPort]), usize> = HashMap::new();
        let mut classes: Vec<PodClass> = Vec::new();
        let mut workload_class = Vec::with_capacity(cluster.workloads.len());
        for (wi, w) in cluster.workloads.iter().enumerate() {
            let ns = ns_index[w.namespace.as_str()];
            let key = (ns, &w.labels, w.ports.as_slice());
            let ci = *class_of.entry(key).or_insert_with(|| {
                classes.push(PodClass {
                    namespace: ns,
                    labels: w.labels.clone(),
                    ports: w.ports.clone(),
                    workloads: Vec::new(),
                });
                classes.len() - 1
            });
            classes[ci].workloads.push(wi);
            workload_class.push(ci);
        }
        let mut ns_classes = vec![Vec::new(); cluster.namespaces.len()];
        for (ci, c) in classes.iter().enumerate() {
            ns_classes[c.namespace].push(ci);
        }
        let mut ns_policies: HashMap<&str, Vec<usize>> = HashMap::new();
        for (pi, p) in cluster.policies.iter().enumerate() {
            ns_policies
                .entry(p.namespace.as_str())
                .or_default()
                .push(pi);
        }
        let mut engine = Engine {
            cluster,
            classes,
            workload_class,
            ns_classes,
            ns_index,
            ns_policies,
            selected: Vec::new(),
            isolating: [Vec::new(), Vec::new()],
            ns_selected: HashMap::new(),
            class_map: OnceLock::new(),
        };
        let mut ns_selected: HashMap<&Selector, Vec<usize>> = HashMap::new();
        for p in &cluster.policies {
            let rules = p.ingress.iter().chain(&p.egress);
            for peer in rules.flat_map(|r| r.peers.iter().flatten()) {
                if let Peer::Pods {
                    namespaces: NamespaceSel::Select(sel),
                    ..
                } = peer
                {
                    ns_selected
                        .entry(sel)
                        .or_insert_with(|| engine.namespaces_matching(sel));
                }
            }
        }
        engine.ns_selected = ns_selected;
        engine.selected = cluster
            .policies
            .iter()
            .map(|p| engine.classes_matching(engine.ns_of(&p.namespace), &p.selector))
            .collect();
        let mut isolating = [
            vec![Vec::new(); engine.classes.len()],
            vec![Vec::new(); engine.classes.len()],
        ];
        for (pi, p) in cluster.policies.iter().enumerate() {
            for dir in [Direction::Ingress, Direction::Egress] {
                if p.affects(dir) {
                    for &c in &engine.selected[pi] {
                        isolating[dir_index(dir)][c].push(pi);
                    }
                }
            }
        }
        engine.isolating = isolating;
        engine
    }

    fn ns_of(&self, name: &str) -> Option<usize> {
        self.ns_index.get(name).copied()
    }

    /// Index of a namespace by name.
    pub fn namespace_index(&self, name: &str) -> Option<usize> {
        self.ns_of(name)
    }

    /// Classes of one namespace.
    pub fn classes_in(&self, ns: usize) -> &[usize] {
        &self.ns_classes[ns]
    }

    fn classes_matching(&self, ns: Option<usize>, sel: &Selector) -> Vec<usize> {
        let Some(ns) = ns else { return Vec::new() };
        self.ns_classes[ns]
            .iter()
            .copied()
            .filter(|&c| sel.matches(&self.classes[c].labels))
            .collect()
    }

    /// Namespaces (indices) a peer's namespace part selects.
    pub fn peer_namespaces(&self, policy: &Policy, ns: &NamespaceSel) -> Vec<usize> {
        match ns {
            NamespaceSel::Own => self.ns_of(&policy.namespace).into_iter().collect(),
            NamespaceSel::Select(sel) => match self.ns_selected.get(sel) {
                Some(found) => found.clone(),
                None => self.namespaces_matching(sel),
            },
        }
    }

    fn namespaces_matching(&self, sel: &Selector) -> Vec<usize> {
        (0..self.cluster.namespaces.len())
            .filter(|&i| sel.matches(&self.cluster.namespaces[i].labels))
            .collect()
    }

    /// Classes a peer matches (empty for ipBlock peers).
    pub fn peer_classes(&self, policy: &Policy, peer: &Peer) -> Vec<usize> {
        match peer {
            Peer::Pods { namespaces, pods } => {
                let mut out = Vec::new();
                for ns in self.peer_namespaces(policy, namespaces) {
                    out.extend(self.classes_matching(Some(ns), pods));
                }
                out
            }
            Peer::IpBlock { .. } | Peer::Invalid => Vec::new(),
        }
    }

    /// Policies that isolate a class in a direction.
    pub fn isolating(&self, class: usize, dir: Direction) -> &[usize] {
        &self.isolating[dir_index(dir)][class]
    }

    /// A view of a class's pods.
    pub fn class_view(&self, class: usize) -> PodView<'_> {
        let c = &self.classes[class];
        let ns = &self.cluster.namespaces[c.namespace];
        PodView {
            namespace: &ns.name,
            namespace_labels: &ns.labels,
            labels: &c.labels,
            ports: &c.ports,
        }
    }

    /// Evaluates one side of a flow for any pod. `subject` is the pod whose
    /// policies decide (the source for egress, the destination for ingress);
    /// `other` is the far end; `dst_ports` are the destination pod's
    /// container ports (for named ports; empty when the destination is an
    /// external address).
    pub fn side(
        &self,
        dir: Direction,
        subject: PodView<'_>,
        other: Peerish<'_>,
        dst_ports: &[ContainerPort],
    ) -> SideVerdict {
        let mut verdict = SideVerdict::default();
        let in_namespace = self
            .ns_policies
            .get(subject.namespace)
            .map_or(&[][..], Vec::as_slice);
        for &pi in in_namespace {
            let p = &self.cluster.policies[pi];
            if !p.affects(dir) || !p.selector.matches(subject.labels) {
                continue;
            }
            verdict.selecting.push(pi);
            for (ri, rule) in p.rules(dir).iter().enumerate() {
                if !rule_peers_match(p, rule, other) {
                    continue;
                }
                let r = RuleRef {
                    policy: pi,
                    direction: dir,
                    rule: ri,
                };
                let ports = rule_ports(rule, dst_ports);
                if !ports.is_empty() {
                    verdict.ports.union_with(&ports);
                    verdict.allowing.push(r);
                }
                verdict.matching.push((r, ports));
            }
        }
        if verdict.selecting.is_empty() {
            verdict.ports = PortSet::all();
        }
        verdict
    }

    /// Both sides of a flow between two pods (or a pod and an address).
    pub fn flow(&self, src: Peerish<'_>, dst: Peerish<'_>) -> Flow {
        let dst_ports: &[ContainerPort] = match dst {
            Peerish::Pod(p) => p.ports,
            Peerish::Ip { .. } => &[],
        };
        let egress = match src {
            Peerish::Pod(s) => Some(self.side(Direction::Egress, s, dst, dst_ports)),
            Peerish::Ip { .. } => None,
        };
        let ingress = match dst {
            Peerish::Pod(d) => Some(self.side(Direction::Ingress, d, src, dst_ports)),
            Peerish::Ip { .. } => None,
        };
        let all = PortSet::all();
        let e = egress.as_ref().map_or(&all, |v| &v.ports);
        let i = ingress.as_ref().map_or(&all, |v| &v.ports);
        Flow {
            allowed: e.intersect(i),
            egress,
            ingress,
        }
    }
}

/// The verdict on one flow.
#[derive(Debug, Clone)]
pub struct Flow {
    pub allowed: PortSet,
    /// `None` when the source is an external address (no egress side).
    pub egress: Option<SideVerdict>,
    /// `None` when the destination is an external address.
    pub ingress: Option<SideVerdict>,
}

/// Does a rule's from/to list match the far end?
pub fn rule_peers_match(policy: &Policy, rule: &PolicyRule, other: Peerish<'_>) -> bool {
    match &rule.peers {
        // No from/to: every pod and every address.
        None => true,
        Some(peers) => peers.iter().any(|peer| peer_matches(policy, peer, other)),
    }
}

/// Does one peer match the far end?
pub fn peer_matches(policy: &Policy, peer: &Peer, other: Peerish<'_>) -> bool {
    match (peer, other) {
        (Peer::Pods { namespaces, pods }, Peerish::Pod(pod)) => {
            let ns_ok = match namespaces {
                NamespaceSel::Own => pod.namespace == policy.namespace,
                NamespaceSel::Select(sel) => sel.matches(pod.namespace_labels),
            };
            ns_ok && pods.matches(pod.labels)
        }
        // Partition pieces are elementary: a block holds all of one or none.
        (Peer::IpBlock { set }, Peerish::Ip { family, lo, hi }) => {
            set.family() == family && IpSet::range(family, lo, hi).is_subset(set)
        }
        _ => false,
    }
}

/// Ports a rule allows towards a destination with these container ports.
pub fn rule_ports(rule: &PolicyRule, dst_ports: &[ContainerPort]) -> PortSet {
    let Some(specs) = &rule.ports else {
        return PortSet::all();
    };
    let mut set = PortSet::empty();
    for spec in specs {
        match spec {
            PortSpec::Numbers(p) => set.union_with(p),
            PortSpec::Named { name, protocol } => {
                for cp in dst_ports {
                    if cp.name.as_deref() == Some(name.as_str()) && cp.protocol == *protocol {
                        set.union_with(&PortSet::single(*protocol, cp.port));
                    }
                }
            }
            PortSpec::Invalid => {}
        }
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_texts;

    const TWO_RULES: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector:
    matchLabels: {app: db}
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 5432}]
    - from: [{namespaceSelector: {}}]
      ports: [{port: metrics}]
";

    #[test]
    fn side_lists_matching_rules_with_their_ports() {
        let loaded = load_texts(&[("p.yaml", TWO_RULES)]);
        let engine = Engine::new(&loaded.cluster);
        let ns = Labels::from([("kubernetes.io/metadata.name".into(), "shop".into())]);
        let web = Labels::from([("app".into(), "web".into())]);
        let db = Labels::from([("app".into(), "db".into())]);
        let metrics = [ContainerPort {
            name: Some("metrics".into()),
            port: 9100,
            protocol: Protocol::Tcp,
        }];
        let src = PodView {
            namespace: "shop",
            namespace_labels: &ns,
            labels: &web,
            ports: &[],
        };
        let dst = PodView {
            namespace: "shop",
            namespace_labels: &ns,
            labels: &db,
            ports: &metrics,
        };
        let side = engine.side(Direction::Ingress, dst, Peerish::Pod(src), &metrics);
        assert_eq!(side.selecting, vec![0]);
        assert_eq!(side.matching.len(), 2);
        let rule = |i| RuleRef {
            policy: 0,
            direction: Direction::Ingress,
            rule: i,
        };
        assert_eq!(side.allowing_port(Protocol::Tcp, 5432), vec![rule(0)]);
        assert_eq!(side.allowing_port(Protocol::Tcp, 9100), vec![rule(1)]);
        assert!(side.allowing_port(Protocol::Udp, 5432).is_empty());
        // Without the container port the named port resolves to nothing:
        // the rule still matches the peer but allows no port.
        let bare = PodView { ports: &[], ..dst };
        let side = engine.side(Direction::Ingress, bare, Peerish::Pod(src), &[]);
        assert_eq!(side.allowing, vec![rule(0)]);
        assert!(side.matching[1].1.is_empty());
        // Egress of the source is not isolated: the flow is the ingress side.
        let flow = engine.flow(Peerish::Pod(src), Peerish::Pod(dst));
        assert!(flow.egress.as_ref().is_some_and(|e| !e.isolated()));
        assert_eq!(flow.allowed.to_conn_string(), "TCP 5432,9100");
    }
}
