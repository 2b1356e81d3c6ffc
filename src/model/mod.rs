//! The cluster model: namespaces, workloads (with the pods they create) and
//! policies, in a form the engine and the rules evaluate without looking at
//! YAML again. Every object keeps its document tree so a finding can point at
//! any field of it. Built by [`crate::load`]; read-only afterwards.

pub mod ip;
pub mod names;
pub mod policy;
pub mod ports;
pub mod selector;

use std::collections::{BTreeMap, HashSet};

use crate::source::Span;
use crate::source::yaml::Node;

pub use policy::{NamespaceSel, Peer, Policy, PolicyRule, PortSpec};
pub use ports::{PortSet, Protocol};
pub use selector::{Labels, Selector};

/// The label every namespace carries since Kubernetes 1.21.
pub const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Where an object came from.
#[derive(Debug, Clone)]
pub struct Origin {
    /// The whole document (or list item) tree.
    pub node: Node,
    /// The `apiVersion` as written.
    pub api_version: String,
    pub kind: String,
}

impl Origin {
    /// Span of the object's `metadata.name` (or of the object itself).
    pub fn name_span(&self) -> Span {
        self.node.span_at(&["metadata".into(), "name".into()])
    }
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub name: String,
    /// Always includes `kubernetes.io/metadata.name`.
    pub labels: Labels,
    /// `None` for a namespace that exists only because something lives in it.
    pub origin: Option<Origin>,
}

/// A named container port of a pod: what a named policy port resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub port: u16,
    pub protocol: Protocol,
}

/// A workload and the (identical) pods it runs.
#[derive(Debug, Clone)]
pub struct Workload {
    /// `Deployment`, `StatefulSet`, ..., or `Pod`; for a pod with a
    /// controlling owner, the owner's kind.
    pub kind: String,
    pub name: String,
    pub namespace: String,
    /// Labels of the pods (from the pod template).
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
    pub host_network: bool,
    pub origin: Origin,
}

impl Workload {
    /// `ns/name[Kind]`, the netpol-analyzer spelling.
    pub fn display_name(&self) -> String {
        format!("{}/{}[{}]", self.namespace, self.name, self.kind)
    }
}

/// Everything the input defines, sorted and deduplicated.
#[derive(Debug, Default)]
pub struct Cluster {
    /// Sorted by name; includes implicit namespaces.
    pub namespaces: Vec<Namespace>,
    pub workloads: Vec<Workload>,
    /// The policies in the cluster, in input order: of several definitions
    /// of one namespace and name, the last.
    pub policies: Vec<Policy>,
    /// Definitions a later one of the same namespace and name replaces, in
    /// input order. Only the checks of objects as written read them.
    pub replaced: Vec<Policy>,
}

impl Cluster {
    pub fn namespace(&self, name: &str) -> Option<&Namespace> {
        self.namespaces
            .binary_search_by(|n| n.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.namespaces[i])
    }

    /// Every NetworkPolicy definition of the input: the policies, then the
    /// replaced definitions.
    pub fn all_policies(&self) -> impl Iterator<Item = &Policy> {
        self.policies.iter().chain(&self.replaced)
    }

    /// Adds implicit namespaces for everything that lives in one the input
    /// does not define, and the name label to every namespace; keeps one
    /// definition of each workload and policy. Call once after loading.
    pub fn finish(&mut self) {
        self.replace_policies();
        let mut by_name: BTreeMap<String, Namespace> = BTreeMap::new();
        for ns in self.namespaces.drain(..) {
            // A later definition of the same namespace replaces the earlier one,
            // as a later `kubectl apply` would.
            by_name.insert(ns.name.clone(), ns);
        }
        let used = self
            .workloads
            .iter()
            .map(|w| w.namespace.clone())
            .chain(self.policies.iter().map(|p| p.namespace.clone()));
        for name in used {
            by_name.entry(name.clone()).or_insert_with(|| Namespace {
                name,
                labels: Labels::new(),
                origin: None,
            });
        }
        for ns in by_name.values_mut() {
            ns.labels.insert(NAME_LABEL.into(), ns.name.clone());
        }
        self.namespaces = by_name.into_values().collect();
        self.workloads.sort_by(|a, b| {
            (&a.namespace, &a.name, &a.kind).cmp(&(&b.namespace, &b.name, &b.kind))
        });
        // The same workload defined twice (two files, a List and a manifest)
        // is one workload; keep the later definition, as `kubectl apply` would.
        let mut deduped: Vec<Workload> = Vec::with_capacity(self.workloads.len());
        for w in self.workloads.drain(..) {
            match deduped.last_mut() {
                Some(last)
                    if last.namespace == w.namespace
                        && last.name == w.name
                        && last.kind == w.kind =>
                {
                    *last = w;
                }
                _ => deduped.push(w),
            }
        }
        self.workloads = deduped;
    }

    /// Kubernetes keeps one object per namespace and name, the one applied
    /// last: moves the earlier definitions to `replaced`. Policies without a
    /// name are the loader's business and all stay.
    fn replace_policies(&mut self) {
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut last = vec![true; self.policies.len()];
        for (i, p) in self.policies.iter().enumerate().rev() {
            last[i] = p.name.is_empty() || seen.insert((&p.namespace, &p.name));
        }
        if last.iter().all(|&l| l) {
            return;
        }
        let mut kept = Vec::with_capacity(self.policies.len());
        for (p, last) in self.policies.drain(..).zip(last) {
            if last {
                kept.push(p);
            } else {
                self.replaced.push(p);
            }
        }
        self.policies = kept;
    }
}

#[cfg(test)]
mod tests {
    use crate::load::load_texts;

    fn policy(name: &str, namespace: Option<&str>, app: &str) -> String {
        let namespace = namespace.map_or(String::new(), |n| format!(", namespace: {n}"));
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: '{name}'{namespace}}}\nspec: {{podSelector: {{matchLabels: {{app: {app}}}}}}}\n---\n"
        )
    }

    #[test]
    fn a_later_definition_of_a_policy_replaces_the_earlier_ones() {
        let a = [
            policy("db", Some("shop"), "one"),
            policy("web", Some("shop"), "two"),
            policy("db", Some("default"), "three"),
            policy("", Some("shop"), "four"),
            policy("db", None, "five"),
        ]
        .concat();
        let b = [
            policy("", Some("shop"), "six"),
            policy("db", Some("shop"), "seven"),
            policy("db", Some("shop"), "eight"),
        ]
        .concat();
        let l = load_texts(&[("a.yaml", &a), ("b.yaml", &b)]);
        let app = |p: &crate::model::Policy| p.selector.to_string();
        let kept: Vec<String> = l.cluster.policies.iter().map(app).collect();
        let replaced: Vec<String> = l.cluster.replaced.iter().map(app).collect();
        assert_eq!(
            kept,
            ["app=two", "app=four", "app=five", "app=six", "app=eight"]
        );
        assert_eq!(replaced, ["app=one", "app=three", "app=seven"]);
        assert_eq!(l.cluster.all_policies().count(), 8);
    }
}
