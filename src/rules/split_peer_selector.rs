//! `split-peer-selector`: a `namespaceSelector` and a `podSelector` in two
//! separate from/to items, where one item with both was almost surely meant.

use k8s_openapi::api::networking::v1::NetworkPolicyPeer;

use crate::model::Selector;
use crate::model::policy::{Direction, Policy};
use crate::report::{Diagnostic, Severity};
use crate::rules::support::value_yaml;
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::yaml::Seg;

pub static META: RuleMeta = RuleMeta {
    name: "split-peer-selector",
    default_severity: Severity::Warning,
    summary: "a from/to list has a `namespaceSelector`-only item next to a `podSelector`-only item",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a `from` or `to` list that holds an item with only a
`namespaceSelector` and another item with only a `podSelector`. The finding
points at the `namespaceSelector` item, with the `podSelector` item as the
related location, and the help shows the two merged into one item.

## Why it matters

Items of a `from`/`to` list are alternatives (OR); the selectors inside one
item must all match (AND). One dash too many turns "pods labelled
`k8s-app=kube-dns` in `kube-system`" into "every pod in `kube-system`, or
pods labelled `k8s-app=kube-dns` in this policy's own namespace". The first
alternative opens far more than intended; the second usually matches nothing.
The two spellings differ by a single `-` and look alike on review.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
        - podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-dns
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
    - to:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
          podSelector:
            matchLabels:
              k8s-app: kube-dns
      ports:
        - protocol: UDP
          port: 53
        - protocol: TCP
          port: 53
```

## Known problems

Sometimes the OR is intended: "all of namespace `monitoring`, and the
`frontend` pods of this namespace". An item with an empty `podSelector: {}`
(every pod of the policy's namespace) is taken as intended and not reported;
other intended cases need a suppression, or two rules instead of one list.
When a list has several items of each kind, each `namespaceSelector` item is
paired with the nearest `podSelector` item.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyPeer
"#;

pub struct SplitPeerSelector;

impl Rule for SplitPeerSelector {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in &cx.cluster.policies {
            for dir in [Direction::Ingress, Direction::Egress] {
                for (i, peers) in typed_peer_lists(policy, dir).into_iter().enumerate() {
                    check_list(cx, policy, dir, i, peers, out);
                }
            }
        }
    }
}

/// The typed from/to list of every rule of a direction.
fn typed_peer_lists(policy: &Policy, dir: Direction) -> Vec<&[NetworkPolicyPeer]> {
    match dir {
        Direction::Ingress => policy
            .spec
            .ingress
            .iter()
            .flatten()
            .map(|r| r.from.as_deref().unwrap_or_default())
            .collect(),
        Direction::Egress => policy
            .spec
            .egress
            .iter()
            .flatten()
            .map(|r| r.to.as_deref().unwrap_or_default())
            .collect(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    NamespaceOnly,
    PodOnly,
    Other,
}

fn shape(peer: &NetworkPolicyPeer) -> Shape {
    match (&peer.ip_block, &peer.namespace_selector, &peer.pod_selector) {
        (None, Some(_), None) => Shape::NamespaceOnly,
        // `podSelector: {}` alone is "every pod of this namespace", which is
        // a deliberate alternative to other namespaces, not half of a pair.
        (None, None, Some(p)) if !Selector::from_k8s(p).is_everything() => Shape::PodOnly,
        _ => Shape::Other,
    }
}

/// Peers of one from/to list that this rule reports as the podSelector half
/// of a split; other rules leave them alone rather than report the same
/// mistake twice.
pub(crate) fn split_pod_items(peers: &[NetworkPolicyPeer]) -> Vec<usize> {
    let shapes: Vec<Shape> = peers.iter().map(shape).collect();
    if !shapes.contains(&Shape::NamespaceOnly) {
        return Vec::new();
    }
    (0..shapes.len())
        .filter(|&j| shapes[j] == Shape::PodOnly)
        .collect()
}

/// The typed from/to list of rule `i` of a direction.
pub(crate) fn typed_peers(policy: &Policy, dir: Direction, i: usize) -> &[NetworkPolicyPeer] {
    typed_peer_lists(policy, dir)
        .get(i)
        .copied()
        .unwrap_or_default()
}

fn check_list(
    cx: &Context<'_>,
    policy: &Policy,
    dir: Direction,
    rule: usize,
    peers: &[NetworkPolicyPeer],
    out: &mut Vec<Diagnostic>,
) {
    let shapes: Vec<Shape> = peers.iter().map(shape).collect();
    let pod_items: Vec<usize> = (0..shapes.len())
        .filter(|&j| shapes[j] == Shape::PodOnly)
        .collect();
    if pod_items.is_empty() {
        return;
    }
    for j in (0..shapes.len()).filter(|&j| shapes[j] == Shape::NamespaceOnly) {
        // The nearest podSelector item: the first after this one, else the
        // last before it.
        let k = pod_items
            .iter()
            .copied()
            .find(|&k| k > j)
            .or(pod_items.last().copied());
        let Some(k) = k else { continue };
        out.push(diagnostic(cx, policy, dir, rule, j, k));
    }
}

fn diagnostic(
    cx: &Context<'_>,
    policy: &Policy,
    dir: Direction,
    rule: usize,
    ns_item: usize,
    pod_item: usize,
) -> Diagnostic {
    let path = |j: usize, key: Option<&'static str>| {
        let mut p = vec![
            "spec".into(),
            Seg::Key(dir.key()),
            rule.into(),
            Seg::Key(dir.peers_key()),
            j.into(),
        ];
        p.extend(key.map(Seg::Key));
        p
    };
    let node = &policy.origin.node;
    let merged = match (
        node.at(&path(ns_item, Some("namespaceSelector"))),
        node.at(&path(pod_item, Some("podSelector"))),
    ) {
        (Some(ns), Some(pod)) => format!(
            "- namespaceSelector:{}\n  podSelector:{}",
            value_yaml(cx.sources, ns, 4),
            value_yaml(cx.sources, pod, 4)
        ),
        _ => "- namespaceSelector: ...\n  podSelector: ...".into(),
    };
    Diagnostic::new(
        META.name,
        META.default_severity,
        policy.span(&path(ns_item, None)),
        format!(
            "`namespaceSelector` and `podSelector` are separate `{}` items, so either one \
             matches on its own",
            dir.peers_key()
        ),
    )
    .label("only `namespaceSelector`: every pod of these namespaces")
    .with_secondary(
        policy.span(&path(pod_item, None)),
        format!(
            "only `podSelector`: these pods, in `{}` only",
            policy.namespace
        ),
    )
    .help(format!(
        "if the peer is these pods in these namespaces, write one item with both \
         selectors:\n\n{merged}"
    ))
    .object(policy.object())
}
