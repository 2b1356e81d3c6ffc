//! `peer-matches-nothing`: a from/to peer whose `namespaceSelector` matches
//! no namespace, or whose `podSelector` matches no pod, of the input.

use super::split_peer_selector::{split_pod_items, typed_peers};
use std::cell::RefCell;
use std::collections::HashMap;

use crate::model::policy::{Direction, Policy};
use crate::model::{NamespaceSel, Peer, Selector};
use crate::report::{Diagnostic, Severity};
use crate::rules::support::{
    named_namespaces, namespaces_with_workloads, pods_hint, requires_a_label, unmodelled_label_note,
};
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::yaml::Seg;

pub static META: RuleMeta = RuleMeta {
    name: "peer-matches-nothing",
    default_severity: Severity::Warning,
    summary: "a from/to peer matches no namespace or no pod of the input",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a from/to peer that can match nothing, where the input is enough to
tell:

- a `namespaceSelector` that matches none of the input's namespaces, when the
  input defines Namespace objects. A selector that picks namespaces by their
  `kubernetes.io/metadata.name` label is not reported when the namespace it
  names is not defined in the input: that namespace lies outside the input.
  Selectors that only exclude labels (`NotIn`, `DoesNotExist`) are not
  reported either, since they match namespaces no input shows, such as
  `kube-system`;
- a `podSelector` that matches no pod in the namespaces the peer covers (the
  policy's own namespace, or those its `namespaceSelector` selects), when the
  input has workloads in every one of them.

## Why it matters

A peer that matches nothing allows nothing: the traffic the rule was meant to
let through is dropped by the default deny, and the policy looks right on
review. Typical causes are a namespace label that was never applied
(`kubectl label namespace ...` forgotten), a namespace selected by a custom
`name` label instead of `kubernetes.io/metadata.name`, and pod labels that
changed in a new version of a chart.

## Example

```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-payments
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              team: payments
```

## Fixed

```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-payments
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: payments
```

## Known problems

Namespaces that workloads or policies live in but that no Namespace object
defines are assumed to carry only their name label. When the input holds only
some of the cluster's namespaces, a label selector meant for a namespace
defined elsewhere is reported; select it by name, or include its Namespace
object. Pods created by operators are modelled only for the custom
resources of the operator tables. A `podSelector` requiring a label that
controllers set on each pod (`statefulset.kubernetes.io/pod-name`, ...) is
reported, with a help saying the cluster's pods may match it. A selector
the API server would reject is left to `invalid-selector`.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name
- https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/#automatic-labelling
"#;

pub struct PeerMatchesNothing;

impl Rule for PeerMatchesNothing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let has_workloads = namespaces_with_workloads(cx);
        let defines_namespaces = cx.cluster.namespaces.iter().any(|n| n.origin.is_some());
        let scope = Scope {
            cx,
            has_workloads: &has_workloads,
            defines_namespaces,
            seen: RefCell::default(),
        };
        for policy in &cx.cluster.policies {
            for dir in [Direction::Ingress, Direction::Egress] {
                for (i, rule) in policy.rules(dir).iter().enumerate() {
                    // `split-peer-selector` already explains these items.
                    let split = split_pod_items(typed_peers(policy, dir, i));
                    for (j, peer) in rule.peers.iter().flatten().enumerate() {
                        if split.contains(&j) {
                            continue;
                        }
                        if let Peer::Pods { namespaces, pods } = peer {
                            let at = PeerAt {
                                policy,
                                dir,
                                rule: i,
                                peer: j,
                            };
                            scope.check_peer(at, namespaces, pods, out);
                        }
                    }
                }
            }
        }
    }
}

/// What the input tells about namespaces and their pods.
struct Scope<'a> {
    cx: &'a Context<'a>,
    has_workloads: &'a [bool],
    /// Whether the input defines any Namespace object; without one it says
    /// nothing about namespace labels.
    defines_namespaces: bool,
    /// Whether a pod peer (its namespace when it has no
    /// `namespaceSelector`, its namespace part, its pod part) matches a pod.
    seen: RefCell<HashMap<(&'a str, &'a NamespaceSel, &'a Selector), bool>>,
}

/// Where a peer is.
#[derive(Clone, Copy)]
struct PeerAt<'p> {
    policy: &'p Policy,
    dir: Direction,
    rule: usize,
    peer: usize,
}

impl PeerAt<'_> {
    fn selector_span(&self, key: &'static str) -> crate::source::Span {
        self.policy.span(&[
            "spec".into(),
            Seg::Key(self.dir.key()),
            self.rule.into(),
            Seg::Key(self.dir.peers_key()),
            self.peer.into(),
            Seg::Key(key),
        ])
    }
}

impl<'a> Scope<'a> {
    fn check_peer(
        &self,
        at: PeerAt<'a>,
        ns_sel: &'a NamespaceSel,
        pods: &'a Selector,
        out: &mut Vec<Diagnostic>,
    ) {
        let matched = self.cx.engine.peer_namespaces(at.policy, ns_sel);
        if let NamespaceSel::Select(sel) = ns_sel {
            if !sel.is_valid() {
                return;
            }
            if matched.is_empty() {
                if self.namespaces_known(sel, true) {
                    out.push(self.no_namespace(at, sel));
                }
                return;
            }
            if !self.namespaces_known(sel, false) {
                return;
            }
        }
        // A namespace without workloads in the input may run anything.
        if matched.is_empty() || !matched.iter().all(|&n| self.has_workloads[n]) {
            return;
        }
        if !pods.is_valid() || pods.is_everything() {
            return;
        }
        let engine = self.cx.engine;
        // Policies repeat the same peers; a peer without pods may scan every
        // class of hundreds of namespaces.
        let own = match ns_sel {
            NamespaceSel::Own => at.policy.namespace.as_str(),
            NamespaceSel::Select(_) => "",
        };
        let any = *self
            .seen
            .borrow_mut()
            .entry((own, ns_sel, pods))
            .or_insert_with(|| {
                matched.iter().any(|&n| {
                    engine
                        .classes_in(n)
                        .iter()
                        .any(|&c| pods.matches(&engine.classes[c].labels))
                })
            });
        if !any {
            out.push(self.no_pod(at, pods, &matched));
        }
    }

    /// Whether the input holds every namespace a `namespaceSelector` could
    /// match. `labels_needed`: the question is about the namespaces' labels
    /// (which only Namespace objects give), not only about their existence.
    fn namespaces_known(&self, sel: &Selector, labels_needed: bool) -> bool {
        let cluster = self.cx.cluster;
        match named_namespaces(sel) {
            Some(names) => names.iter().all(|n| match cluster.namespace(n) {
                Some(ns) => !labels_needed || ns.origin.is_some(),
                None => false,
            }),
            None => requires_a_label(sel) && self.defines_namespaces,
        }
    }

    fn no_namespace(&self, at: PeerAt<'_>, sel: &Selector) -> Diagnostic {
        Diagnostic::new(
            META.name,
            META.default_severity,
            at.selector_span("namespaceSelector"),
            "`namespaceSelector` matches no namespace of the input",
        )
        .label(format!("no namespace has `{sel}`"))
        .help(
            "label the namespaces this peer is meant for, or select one by its name \
             with `kubernetes.io/metadata.name: NAME`; as written the peer allows nothing",
        )
        .object(at.policy.object())
    }

    fn no_pod(&self, at: PeerAt<'_>, pods: &Selector, namespaces: &[usize]) -> Diagnostic {
        let names: Vec<String> = namespaces
            .iter()
            .map(|&n| format!("`{}`", self.cx.cluster.namespaces[n].name))
            .collect();
        let place = if names.len() == 1 {
            format!("namespace {}", names[0])
        } else {
            format!("namespaces {}", names.join(", "))
        };
        Diagnostic::new(
            META.name,
            META.default_severity,
            at.selector_span("podSelector"),
            format!("`podSelector` matches no pod in {place}"),
        )
        .label(format!("selects `{pods}`"))
        .help(format!(
            "as written the peer allows nothing; {}{}",
            pods_hint(self.cx, namespaces),
            unmodelled_label_note(pods).unwrap_or_default()
        ))
        .object(at.policy.object())
    }
}
