//! A NetworkPolicy compiled for evaluation.
//!
//! The typed `spec` (k8s-openapi) stays for rules that inspect fields; the
//! compiled form answers "which pods, which ports" with no string handling.
//! Indices (`rule`, `peer`, `port`) are positions in the YAML lists, so the
//! engine's explanations map straight back to `spec.ingress[i].from[j]`.

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Origin;
use super::ip::{Cidr, IpSet};
use super::ports::{PortSet, Protocol};
use super::selector::Selector;
use crate::source::Span;
use crate::source::yaml::Seg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The YAML key of this direction's rules.
    pub fn key(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The YAML key of a rule's peers.
    pub fn peers_key(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NamespaceSel {
    /// No `namespaceSelector`: the policy's own namespace.
    Own,
    Select(Selector),
}

/// One from/to item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Pods {
        namespaces: NamespaceSel,
        pods: Selector,
    },
    /// External addresses: the block minus its excepts, per family.
    IpBlock { set: IpSet },
    /// A peer the API server rejects (empty, or ipBlock mixed with selectors,
    /// or a CIDR that does not parse); matches nothing.
    Invalid,
}

/// One `ports` item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortSpec {
    Numbers(PortSet),
    /// Resolved per destination pod against its container ports.
    Named {
        name: String,
        protocol: Protocol,
    },
    /// Rejected by the API server; allows nothing.
    Invalid,
}

/// One ingress or egress rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRule {
    /// `None`: no `from`/`to`, every peer including every external address.
    pub peers: Option<Vec<Peer>>,
    /// `None`: no `ports`, every port of every protocol.
    pub ports: Option<Vec<PortSpec>>,
}

impl PolicyRule {
    /// The numeric ports this rule allows regardless of the destination
    /// (everything when `ports` is absent).
    pub fn numeric_ports(&self) -> PortSet {
        match &self.ports {
            None => PortSet::all(),
            Some(specs) => {
                let mut set = PortSet::empty();
                for s in specs {
                    if let PortSpec::Numbers(p) = s {
                        set.union_with(p);
                    }
                }
                set
            }
        }
    }

    pub fn has_named_ports(&self) -> bool {
        self.ports
            .iter()
            .flatten()
            .any(|p| matches!(p, PortSpec::Named { .. }))
    }
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// `metadata.namespace`, or `default` when absent or empty.
    pub namespace: String,
    /// Whether `metadata.namespace` names a namespace (is present and not
    /// empty).
    pub namespace_explicit: bool,
    pub spec: NetworkPolicySpec,
    pub origin: Origin,
    /// `spec.podSelector` (absent means empty: every pod of the namespace).
    pub selector: Selector,
    pub affects_ingress: bool,
    pub affects_egress: bool,
    pub ingress: Vec<PolicyRule>,
    pub egress: Vec<PolicyRule>,
}

impl Policy {
    pub fn compile(
        name: String,
        namespace: Option<String>,
        spec: NetworkPolicySpec,
        origin: Origin,
    ) -> Self {
        let selector = spec
            .pod_selector
            .as_ref()
            .map(Selector::from_k8s)
            .unwrap_or_default();
        // The API server defaults an empty `policyTypes` exactly like an
        // absent one.
        let (affects_ingress, affects_egress) =
            match spec.policy_types.as_ref().filter(|t| !t.is_empty()) {
                Some(types) => (
                    types.iter().any(|t| t == "Ingress"),
                    types.iter().any(|t| t == "Egress"),
                ),
                // Without policyTypes, Ingress always applies and Egress only when
                // the policy has egress rules.
                None => (true, spec.egress.as_ref().is_some_and(|e| !e.is_empty())),
            };
        let ingress = spec
            .ingress
            .iter()
            .flatten()
            .map(|r| compile_rule(r.from.as_deref(), r.ports.as_deref()))
            .collect();
        let egress = spec
            .egress
            .iter()
            .flatten()
            .map(|r| compile_rule(r.to.as_deref(), r.ports.as_deref()))
            .collect();
        // ObjectMeta: "an empty namespace is equivalent to the default
        // namespace".
        let namespace = namespace.filter(|n| !n.is_empty());
        Policy {
            name,
            namespace_explicit: namespace.is_some(),
            namespace: namespace.unwrap_or_else(|| "default".into()),
            spec,
            origin,
            selector,
            affects_ingress,
            affects_egress,
            ingress,
            egress,
        }
    }

    pub fn affects(&self, dir: Direction) -> bool {
        match dir {
            Direction::Ingress => self.affects_ingress,
            Direction::Egress => self.affects_egress,
        }
    }

    pub fn rules(&self, dir: Direction) -> &[PolicyRule] {
        match dir {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }

    /// `ns/name`.
    pub fn qualified_name(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// `NetworkPolicy ns/name`, the `object` of its diagnostics.
    pub fn object(&self) -> String {
        format!("NetworkPolicy {}", self.qualified_name())
    }

    /// The span of a field, by path from the document root.
    pub fn span(&self, path: &[Seg<'_>]) -> Span {
        self.origin.node.span_at(path)
    }

    /// Span of rule `i` of a direction.
    pub fn rule_span(&self, dir: Direction, i: usize) -> Span {
        self.span(&["spec".into(), Seg::Key(dir.key()), i.into()])
    }

    /// Span of peer `j` of rule `i`.
    pub fn peer_span(&self, dir: Direction, i: usize, j: usize) -> Span {
        self.span(&[
            "spec".into(),
            Seg::Key(dir.key()),
            i.into(),
            Seg::Key(dir.peers_key()),
            j.into(),
        ])
    }
}

fn compile_rule(
    peers: Option<&[NetworkPolicyPeer]>,
    ports: Option<&[NetworkPolicyPort]>,
) -> PolicyRule {
    PolicyRule {
        // An empty `from: []` is the same as an absent one to the API server:
        // both mean every source.
        peers: peers
            .filter(|p| !p.is_empty())
            .map(|p| p.iter().map(compile_peer).collect()),
        ports: ports
            .filter(|p| !p.is_empty())
            .map(|p| p.iter().map(compile_port).collect()),
    }
}

fn compile_peer(peer: &NetworkPolicyPeer) -> Peer {
    match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
        (Some(block), None, None) => {
            let Ok(cidr) = Cidr::parse(&block.cidr) else {
                return Peer::Invalid;
            };
            let mut excepts = Vec::new();
            for e in block.except.iter().flatten() {
                match Cidr::parse(e) {
                    Ok(c) if c.family == cidr.family => excepts.push(c.network()),
                    _ => return Peer::Invalid,
                }
            }
            Peer::IpBlock {
                set: IpSet::from_block(&cidr.network(), &excepts),
            }
        }
        (None, None, None) | (Some(_), _, _) => Peer::Invalid,
        (None, ns, pods) => Peer::Pods {
            namespaces: match ns {
                None => NamespaceSel::Own,
                Some(s) => NamespaceSel::Select(Selector::from_k8s(s)),
            },
            pods: pods.as_ref().map(Selector::from_k8s).unwrap_or_default(),
        },
    }
}

fn compile_port(port: &NetworkPolicyPort) -> PortSpec {
    let protocol = match port.protocol.as_deref() {
        None => Protocol::Tcp,
        Some(p) => match Protocol::parse(p) {
            Some(p) => p,
            None => return PortSpec::Invalid,
        },
    };
    match (&port.port, port.end_port) {
        (None, None) => PortSpec::Numbers(PortSet::all_of(protocol)),
        // endPort without port is rejected by the API server.
        (None, Some(_)) => PortSpec::Invalid,
        (Some(IntOrString::Int(p)), end) => {
            let end = end.unwrap_or(*p);
            match (u16::try_from(*p), u16::try_from(end)) {
                (Ok(lo @ 1..), Ok(hi)) if hi >= lo => {
                    PortSpec::Numbers(PortSet::range(protocol, lo, hi))
                }
                _ => PortSpec::Invalid,
            }
        }
        (Some(IntOrString::String(name)), None) => PortSpec::Named {
            name: name.clone(),
            protocol,
        },
        (Some(IntOrString::String(_)), Some(_)) => PortSpec::Invalid,
    }
}
