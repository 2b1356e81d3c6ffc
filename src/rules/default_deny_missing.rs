//! `default-deny-missing`: a namespace whose pods are not all isolated in a
//! direction by some policy.

use std::collections::HashMap;

use crate::model::policy::Direction;
use crate::model::{Namespace, Workload};
use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::Span;

pub static META: RuleMeta = RuleMeta {
    name: "default-deny-missing",
    default_severity: Severity::Warning,
    summary: "a namespace has no policy selecting all its pods for ingress (or egress)",
    doc: DOC,
};

const DOC: &str = r#"## What it does

For each namespace that the input defines (a Namespace object) or runs
workloads in, and for each direction, checks that some NetworkPolicy of the
namespace has an empty `podSelector` (it selects every pod, including pods
added later) and applies to that direction (`policyTypes` lists it, or, for
ingress, `policyTypes` is absent). One finding per namespace and direction.

The check is about isolation, not about the rules: a policy with
`podSelector: {}` that isolates egress and allows DNS counts as the
namespace's default for egress, because every pod is then denied whatever no
rule allows. The classic default deny, with no rules at all, counts too.

## Why it matters

A pod that no policy selects for a direction accepts (or sends) all traffic
in that direction. Allow-list policies written for today's workloads leave any
new workload, any pod whose labels drift, and any debug pod wide open. A
default deny makes "nothing unless allowed" the rule for every pod of the
namespace, so that the allow policies are the complete list of what is
permitted.

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
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
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
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
```

## Known problems

A policy whose `podSelector` is not empty but happens to match every pod of
the input (`matchExpressions` with `DoesNotExist`) does not count: it would
not select a new pod with other labels. A namespace-wide policy that isolates
a direction and then allows everything (`egress: [{}]`) counts as a default;
`egress-to-anywhere` reports its rule. Cluster-wide defaults from outside the
NetworkPolicy API (AdminNetworkPolicy, Calico or Cilium cluster policies) are
not seen, so namespaces they cover are reported too. Namespaces such as
`kube-system` are checked like any other when the input has workloads there.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
"#;

pub struct DefaultDenyMissing;

impl Rule for DefaultDenyMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        // One pass over policies and workloads, not one per namespace.
        let mut covered: HashMap<&str, [bool; 2]> = HashMap::new();
        for p in &cx.cluster.policies {
            // An empty selector is the only one that also selects pods the
            // input does not show yet.
            if p.selector.is_everything() {
                let entry = covered.entry(p.namespace.as_str()).or_default();
                entry[0] |= p.affects(Direction::Ingress);
                entry[1] |= p.affects(Direction::Egress);
            }
        }
        let mut first_workload: HashMap<&str, &Workload> = HashMap::new();
        for w in &cx.cluster.workloads {
            first_workload.entry(w.namespace.as_str()).or_insert(w);
        }
        for ns in &cx.cluster.namespaces {
            let Some(anchor) = anchor(ns, first_workload.get(ns.name.as_str()).copied()) else {
                continue;
            };
            let covered = covered.get(ns.name.as_str()).copied().unwrap_or_default();
            for (dir, covered) in [Direction::Ingress, Direction::Egress]
                .into_iter()
                .zip(covered)
            {
                if !covered {
                    out.push(diagnostic(ns, dir, anchor));
                }
            }
        }
    }
}

/// Where to report a namespace: its Namespace object's name, or the first
/// workload placed in it. `None` when the input neither defines the
/// namespace nor runs anything there (a namespace only policies live in).
fn anchor(ns: &Namespace, first_workload: Option<&Workload>) -> Option<Span> {
    if let Some(origin) = &ns.origin {
        return Some(origin.name_span());
    }
    let w = first_workload?;
    let namespace_field = w.origin.node.at(&["metadata".into(), "namespace".into()]);
    Some(namespace_field.map_or_else(|| w.origin.name_span(), |n| n.span))
}

fn diagnostic(ns: &Namespace, dir: Direction, anchor: Span) -> Diagnostic {
    let key = dir.key();
    let example = format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  \
         name: default-deny-{key}\n  namespace: {}\nspec:\n  podSelector: {{}}\n  \
         policyTypes: [{}]",
        ns.name,
        dir.policy_type()
    );
    Diagnostic::new(
        META.name,
        META.default_severity,
        anchor,
        format!(
            "no policy in namespace `{}` selects every pod for {key}",
            ns.name
        ),
    )
    .label(match dir {
        Direction::Ingress => "pods of this namespace that no policy selects accept any traffic",
        Direction::Egress => "pods of this namespace that no policy selects may send anywhere",
    })
    .help(format!(
        "add a default deny for {key}, then allow what each workload needs:\n\n{example}"
    ))
    .object(format!("Namespace {}", ns.name))
}
