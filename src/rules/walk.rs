//! Walking a policy as written: its rules, peers, ports and selectors with
//! the YAML path of each, so that checks of single fields can read the typed
//! value and point at the node that holds it. Nothing here decides whether
//! something is a finding.

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use crate::model::policy::{Direction, Policy};
use crate::source::yaml::Seg;

/// One rule as written: `spec.<dir>[index]`.
pub struct TypedRule<'p> {
    pub dir: Direction,
    pub index: usize,
    /// `from` / `to`; `None` when absent.
    pub peers: Option<&'p [NetworkPolicyPeer]>,
    pub ports: Option<&'p [NetworkPolicyPort]>,
}

impl TypedRule<'_> {
    /// Path of the rule from the document root.
    pub fn path(&self) -> Vec<Seg<'static>> {
        vec!["spec".into(), Seg::Key(self.dir.key()), self.index.into()]
    }

    /// Path of port `k` of the rule, or of one of its fields.
    pub fn port_path(&self, k: usize, field: Option<&'static str>) -> Vec<Seg<'static>> {
        let mut path = self.path();
        path.extend([Seg::Key("ports"), k.into()]);
        path.extend(field.map(Seg::Key));
        path
    }

    /// Path of peer `j` of the rule.
    pub fn peer_path(&self, j: usize) -> Vec<Seg<'static>> {
        let mut path = self.path();
        path.extend([Seg::Key(self.dir.peers_key()), j.into()]);
        path
    }
}

/// The rules of one direction as written, whether or not the policy's
/// `policyTypes` lets them apply.
pub fn typed_rules(policy: &Policy, dir: Direction) -> Vec<TypedRule<'_>> {
    match dir {
        Direction::Ingress => policy
            .spec
            .ingress
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, r)| TypedRule {
                dir,
                index,
                peers: r.from.as_deref(),
                ports: r.ports.as_deref(),
            })
            .collect(),
        Direction::Egress => policy
            .spec
            .egress
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, r)| TypedRule {
                dir,
                index,
                peers: r.to.as_deref(),
                ports: r.ports.as_deref(),
            })
            .collect(),
    }
}

/// Every rule of both directions, ingress first.
pub fn all_typed_rules(policy: &Policy) -> Vec<TypedRule<'_>> {
    let mut rules = typed_rules(policy, Direction::Ingress);
    rules.extend(typed_rules(policy, Direction::Egress));
    rules
}

/// Every label selector of a policy with its path: `spec.podSelector`, then
/// the `podSelector` and `namespaceSelector` of each peer.
pub fn selectors(policy: &Policy) -> Vec<(&LabelSelector, Vec<Seg<'static>>)> {
    let mut out = Vec::new();
    if let Some(sel) = &policy.spec.pod_selector {
        out.push((sel, vec!["spec".into(), "podSelector".into()]));
    }
    for rule in all_typed_rules(policy) {
        for (j, peer) in rule.peers.iter().copied().flatten().enumerate() {
            let fields = [
                ("podSelector", &peer.pod_selector),
                ("namespaceSelector", &peer.namespace_selector),
            ];
            for (key, sel) in fields {
                if let Some(sel) = sel {
                    let mut path = rule.peer_path(j);
                    path.push(Seg::Key(key));
                    out.push((sel, path));
                }
            }
        }
    }
    out
}

/// `spec.ingress[2]` (indices from 0, as Kubernetes error messages write
/// them).
pub fn rule_name(dir: Direction, index: usize) -> String {
    format!("spec.{}[{index}]", dir.key())
}

/// Runs one rule over manifests given as text, for unit tests.
#[cfg(test)]
pub fn run_rule(
    rule: &dyn super::Rule,
    text: &str,
) -> (crate::load::Loaded, Vec<crate::report::Diagnostic>) {
    run_rule_on_files(rule, &[("t.yaml", text)])
}

/// Runs one rule over files given as (path, text), read in that order.
#[cfg(test)]
pub fn run_rule_on_files(
    rule: &dyn super::Rule,
    files: &[(&str, &str)],
) -> (crate::load::Loaded, Vec<crate::report::Diagnostic>) {
    let loaded = crate::load::load_texts(files);
    let engine = crate::engine::Engine::new(&loaded.cluster);
    let dns = super::dns::DnsService::default();
    let cx = super::Context {
        cluster: &loaded.cluster,
        engine: &engine,
        sources: &loaded.sources,
        dns: &dns,
    };
    let mut out = Vec::new();
    rule.check(&cx, &mut out);
    (loaded, out)
}
