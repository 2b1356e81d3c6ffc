//! `any-namespace-peer`: an ingress peer with an empty `namespaceSelector`
//! and no `podSelector`, which admits every pod of the cluster.

use crate::model::policy::{Direction, Policy};
use crate::model::selector::Op;
use crate::model::{NAME_LABEL, Selector};
use crate::report::{Diagnostic, Severity};
use crate::rules::walk::{rule_name, typed_rules};
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::Span;

pub static META: RuleMeta = RuleMeta {
    name: "any-namespace-peer",
    default_severity: Severity::Warning,
    summary: "an ingress peer with `namespaceSelector: {}` and no `podSelector` admits any pod",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports an ingress `from` peer whose `namespaceSelector` matches every
namespace (`namespaceSelector: {}`, or only `Exists` on
`kubernetes.io/metadata.name`) and that has no `podSelector`. The finding
points at the `namespaceSelector`.

A peer that also says `podSelector: {}` is not reported: it admits the same
pods, but spells out that every pod of every namespace is meant (a cluster
DNS server, a shared registry).

## Why it matters

`namespaceSelector: {}` reads like "this namespace", but an empty selector
matches every namespace: the peer admits every pod of the cluster, including
workloads of other teams, CI runners and anything an attacker manages to
start anywhere. It is usually written when the author meant the policy's own
namespace (leave `namespaceSelector` out for that) or one namespace (select
it by its `kubernetes.io/metadata.name` label). External addresses are not
included, which is why `ingress-from-anywhere` does not report it.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector: {}
      ports:
        - protocol: TCP
          port: 5432
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: api
      ports:
        - protocol: TCP
          port: 5432
```

## Known problems

Egress peers of the same shape are not reported: egress to every pod of the
cluster is common and far less dangerous. A selector that matches every
namespace of the input without being empty (`NotIn` a namespace nobody
uses) is not reported. For services meant to be reached from every pod, add
`podSelector: {}` to the peer to say so.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-namespace-by-its-name
"#;

pub struct AnyNamespacePeer;

impl Rule for AnyNamespacePeer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let dir = Direction::Ingress;
        for policy in &cx.cluster.policies {
            // Rules of a direction the policy does not affect never apply.
            if !policy.affects(dir) {
                continue;
            }
            for rule in typed_rules(policy, dir) {
                for (j, peer) in rule.peers.iter().copied().flatten().enumerate() {
                    let Some(ns) = &peer.namespace_selector else {
                        continue;
                    };
                    // `podSelector: {}` written out says every pod is meant.
                    if peer.pod_selector.is_some() || peer.ip_block.is_some() {
                        continue;
                    }
                    if !matches_every_namespace(&Selector::from_k8s(ns)) {
                        continue;
                    }
                    let mut path = rule.peer_path(j);
                    path.push("namespaceSelector".into());
                    out.push(finding(policy, rule.index, policy.span(&path)));
                }
            }
        }
    }
}

fn finding(policy: &Policy, rule: usize, span: Span) -> Diagnostic {
    Diagnostic::new(
        META.name,
        META.default_severity,
        span,
        "`namespaceSelector` matches every namespace and no `podSelector` narrows it",
    )
    .label(format!(
        "`{}` admits every pod of the cluster",
        rule_name(Direction::Ingress, rule)
    ))
    .help(
        "to admit pods of this namespace, leave `namespaceSelector` out; to admit another \
         namespace, select it with `kubernetes.io/metadata.name: NAME`; add a `podSelector` \
         in the same item to admit only some of its pods, or `podSelector: {}` if every pod \
         of the cluster is really meant",
    )
    .object(policy.object())
}

/// Empty, or only requiring the name label every namespace carries.
fn matches_every_namespace(sel: &Selector) -> bool {
    sel.requirements
        .iter()
        .all(|r| r.key == NAME_LABEL && r.op == Op::Exists)
}
