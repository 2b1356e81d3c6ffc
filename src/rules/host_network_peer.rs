//! `host-network-peer`: a pod selector (a peer's, or the policy's own) that
//! picks pods running with `hostNetwork: true`, whose traffic pod selectors
//! do not see.

use crate::model::policy::{Direction, Policy};
use crate::model::{Peer, Selector};
use crate::report::{Diagnostic, Severity};
use crate::rules::support::host_classes;
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::Span;
use crate::source::yaml::Seg;

pub static META: RuleMeta = RuleMeta {
    name: "host-network-peer",
    default_severity: Severity::Warning,
    summary: "a selector picks host-network pods, whose traffic pod selectors cannot match",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a pod selector that picks workloads of the input running with
`hostNetwork: true`:

- a from/to peer whose selectors match such pods: the rule is meant to allow
  traffic from or to them;
- a policy whose `spec.podSelector` is not empty and matches such pods: the
  policy is meant to isolate them.

A peer is reported when it has a non-empty `podSelector` that matches a
host-network workload, or when every pod it matches is on the host network
(a namespace that runs only host-network pods). An empty `podSelector` that
happens to include host-network pods among others (a whole namespace, a
namespace's default deny) is not reported. The finding is at the selector,
naming the host-network workloads.

## Why it matters

A pod on the host network uses its node's network namespace and address.
Kubernetes leaves NetworkPolicy for such pods undefined, and most network
plugins cannot tell their traffic from the node's: pod and namespace
selectors do not match it, and policies that select such pods do not apply
to them. Typical cases are control-plane components (API server, etcd,
scheduler), node agents (node-exporter, CNI agents, ingress controllers in
host mode). A rule that admits "the ingress controller pods" by label then
allows nothing; the traffic arrives from the node's address, which only an
`ipBlock` can match.

## Example

```yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  namespace: monitoring
spec:
  selector:
    matchLabels:
      app: node-exporter
  template:
    metadata:
      labels:
        app: node-exporter
    spec:
      hostNetwork: true
      containers:
        - name: node-exporter
          image: prom/node-exporter
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: monitoring
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-node-exporter
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring
          podSelector:
            matchLabels:
              app: node-exporter
```

## Fixed

```yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  namespace: monitoring
spec:
  selector:
    matchLabels:
      app: node-exporter
  template:
    metadata:
      labels:
        app: node-exporter
    spec:
      hostNetwork: true
      containers:
        - name: node-exporter
          image: prom/node-exporter
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: monitoring
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-node-exporter
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
    - from:
        - ipBlock:
            cidr: 192.168.10.0/24
```

## Known problems

Some network plugins (Cilium with host policies, Calico with host endpoints)
do identify host-network pods; there the finding may be wrong. The node
addresses an `ipBlock` needs are not in the manifests, so the fix cannot be
suggested exactly. Host-network workloads are not reported by
`pod-not-isolated`.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-and-hostnetwork-pods
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#what-you-can-t-do-with-network-policies-at-least-not-yet
"#;

pub struct HostNetworkPeer;

impl Rule for HostNetworkPeer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let host = host_classes(cx);
        if !host.iter().any(|&h| h) {
            return;
        }
        for (pi, policy) in cx.cluster.policies.iter().enumerate() {
            // A namespace-wide default (`podSelector: {}`) that also covers
            // host-network pods is good practice, not a mistake.
            if !policy.selector.is_everything() {
                let selected = &cx.engine.selected[pi];
                if let Some(names) = reported(cx, &host, &policy.selector, selected) {
                    out.push(selected_pods(policy, &names));
                }
            }
            for dir in [Direction::Ingress, Direction::Egress] {
                // Rules of a direction the policy does not affect never
                // apply; `policy-types-mismatch` reports them.
                if !policy.affects(dir) {
                    continue;
                }
                for (i, rule) in policy.rules(dir).iter().enumerate() {
                    for (j, peer) in rule.peers.iter().flatten().enumerate() {
                        let Peer::Pods { pods, .. } = peer else {
                            continue;
                        };
                        let classes = cx.engine.peer_classes(policy, peer);
                        if let Some(names) = reported(cx, &host, pods, &classes) {
                            out.push(peer_finding(policy, dir, i, j, &names));
                        }
                    }
                }
            }
        }
    }
}

/// The host-network workloads a selector is reported for, if it is.
fn reported(
    cx: &Context<'_>,
    host: &[bool],
    pods: &Selector,
    classes: &[usize],
) -> Option<Vec<String>> {
    let hits: Vec<usize> = classes.iter().copied().filter(|&c| host[c]).collect();
    if hits.is_empty() {
        return None;
    }
    // An empty selector names a whole namespace; host-network pods among
    // others there are incidental.
    if pods.is_everything() && hits.len() < classes.len() {
        return None;
    }
    let names = hits
        .iter()
        .flat_map(|&c| &cx.engine.classes[c].workloads)
        .map(|&w| &cx.cluster.workloads[w])
        .filter(|w| w.host_network)
        .map(|w| format!("{} `{}/{}`", w.kind, w.namespace, w.name))
        .collect();
    Some(names)
}

fn listed(names: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

fn peer_finding(
    policy: &Policy,
    dir: Direction,
    i: usize,
    j: usize,
    names: &[String],
) -> Diagnostic {
    let mut path: Vec<Seg<'_>> = vec![
        "spec".into(),
        Seg::Key(dir.key()),
        i.into(),
        Seg::Key(dir.peers_key()),
        j.into(),
    ];
    let peer_span = policy.span(&path);
    path.push("podSelector".into());
    let span: Span = if policy.origin.node.at(&path).is_some() {
        policy.span(&path)
    } else {
        peer_span
    };
    let (whose, fix) = match dir {
        Direction::Ingress => (
            "their connections come from the node's address",
            "admit the nodes' addresses with an `ipBlock` instead",
        ),
        Direction::Egress => (
            "they listen on the node's address",
            "allow the nodes' addresses with an `ipBlock` instead",
        ),
    };
    Diagnostic::new(
        META.name,
        META.default_severity,
        span,
        "peer selects pods that run with `hostNetwork: true`",
    )
    .label(format!("matches {}", listed(names)))
    .help(format!(
        "pod selectors do not match the traffic of host-network pods in most network \
         plugins: {whose}; {fix}"
    ))
    .object(policy.object())
}

fn selected_pods(policy: &Policy, names: &[String]) -> Diagnostic {
    Diagnostic::new(
        META.name,
        META.default_severity,
        policy.span(&["spec".into(), "podSelector".into()]),
        "policy selects pods that run with `hostNetwork: true`",
    )
    .label(format!("matches {}", listed(names)))
    .help(
        "most network plugins do not apply NetworkPolicy to host-network pods: these \
         pods are not isolated by it; restrict their traffic on the nodes instead",
    )
    .object(policy.object())
}
