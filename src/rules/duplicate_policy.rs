//! `duplicate-policy`: two NetworkPolicies with the same namespace and name.

use std::collections::HashMap;

use crate::model::Policy;
use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "duplicate-policy",
    default_severity: Severity::Error,
    summary: "two NetworkPolicies have the same namespace and name",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a NetworkPolicy whose namespace and name are those of a policy met
earlier in the input (files in the order they are read, documents in file
order). A policy without `metadata.namespace`, or with an empty one, counts
as being in `default`.
The finding points at the later definition's `metadata.name`, with a label on
the earlier one.

## Why it matters

Kubernetes keeps one object per namespace and name: applying both files
leaves only the policy applied last, and the other one silently disappears.
This usually comes from a copied file whose name was not changed, and the
policy that vanishes is rarely the one anybody expects. Which one survives
depends on the order of `kubectl apply`, so the cluster may change the next
time a pipeline runs.

## Example

```yaml
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
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
```

## Fixed

```yaml
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
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
```

## Known problems

The other checks and the reachability engine still analyse both
definitions, as if both were in the cluster, except `redundant-rule`, which
reads only the last one. When the same object is deliberately written twice
(a base and an overlay rendered into one stream), render the overlay first.
Policies without `metadata.name` are left to the loader.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
- https://kubernetes.io/docs/reference/kubectl/generated/kubectl_apply/
"#;

pub struct DuplicatePolicy;

impl Rule for DuplicatePolicy {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let mut first: HashMap<(&str, &str), &Policy> = HashMap::new();
        for policy in &cx.cluster.policies {
            if policy.name.is_empty() {
                continue;
            }
            let key = (policy.namespace.as_str(), policy.name.as_str());
            match first.get(&key) {
                Some(earlier) => out.push(diagnostic(policy, earlier)),
                None => {
                    first.insert(key, policy);
                }
            }
        }
    }
}

fn diagnostic(later: &Policy, earlier: &Policy) -> Diagnostic {
    let name = later.qualified_name();
    Diagnostic::new(
        META.name,
        META.default_severity,
        later.origin.name_span(),
        format!("NetworkPolicy `{name}` is defined more than once"),
    )
    .label("this definition replaces the earlier one")
    .with_secondary(earlier.origin.name_span(), "first defined here")
    .help(
        "Kubernetes keeps one policy per namespace and name, the one applied last: \
         rename one of them, or merge their rules into one policy",
    )
    .object(later.object())
}
