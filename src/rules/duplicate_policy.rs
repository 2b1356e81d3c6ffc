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

Only the last definition is analysed as being in the cluster: `query`,
`reach` and the checks of what policies allow read it alone. The checks of
objects as written (`invalid-selector`, `invalid-port-range`,
`invalid-ipblock`, `policy-types-mismatch`, `deprecated-api-version` and
`namespace-missing`) read every definition, and a suppression in a replaced
definition that silences nothing is not reported. A later definition the API
server would reject for a bad selector, port or policy type still replaces
the earlier one here, while in the cluster the earlier one stays (one with a
field of the wrong type is not read at all, so the earlier one stays here
too). When the same object is deliberately written twice (a base and an
overlay rendered into one stream), put the one meant to win last. Policies
without `metadata.name` are left to the loader.

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
        // The loader keeps the last definition of each policy and moves the
        // others to `replaced`: without those, there is nothing to report.
        if cx.cluster.replaced.is_empty() {
            return;
        }
        // Every definition in input order: files are numbered in the order
        // they are read, and objects of a file start in document order.
        let mut all: Vec<&Policy> = cx.cluster.all_policies().collect();
        all.sort_by_key(|p| (p.origin.node.span.file, p.origin.node.span.start));
        let mut first: HashMap<(&str, &str), &Policy> = HashMap::new();
        for policy in all {
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

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule_on_files;

    fn policy(name: &str, app: &str) -> String {
        format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\nspec: {{podSelector: {{matchLabels: {{app: {app}}}}}}}\n"
        )
    }

    #[test]
    fn every_later_definition_is_reported_against_the_first() {
        let a = [
            policy("db", "one"),
            policy("web", "two"),
            policy("db", "three"),
        ]
        .join("---\n");
        let b = policy("db", "four");
        let (loaded, out) =
            run_rule_on_files(&super::DuplicatePolicy, &[("a.yaml", &a), ("b.yaml", &b)]);
        // The engine sees the last definition only.
        let apps: Vec<String> = loaded
            .cluster
            .policies
            .iter()
            .map(|p| p.selector.to_string())
            .collect();
        assert_eq!(apps, ["app=two", "app=four"]);
        let at = |span| {
            let (s, _) = loaded.sources.range(span);
            (loaded.sources.get(span.file).path.clone(), s.line)
        };
        let found: Vec<_> = out
            .iter()
            .map(|d| {
                assert_eq!(d.secondary.len(), 1);
                assert_eq!(d.secondary[0].message, "first defined here");
                assert_eq!(
                    d.primary.message,
                    "this definition replaces the earlier one"
                );
                (at(d.primary.span), at(d.secondary[0].span))
            })
            .collect();
        let first = ("a.yaml".to_string(), 3);
        assert_eq!(
            found,
            [
                (("a.yaml".to_string(), 13), first.clone()),
                (("b.yaml".to_string(), 3), first),
            ]
        );
    }
}
