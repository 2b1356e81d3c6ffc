//! `namespace-missing`: a NetworkPolicy without `metadata.namespace`.

use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "namespace-missing",
    default_severity: Severity::Info,
    summary: "a NetworkPolicy has no `metadata.namespace`",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a NetworkPolicy whose `metadata` has no `namespace`. The policy is
analysed as if it were in `default`, which is where `kubectl apply` puts it
when the current context names no namespace.

## Why it matters

A NetworkPolicy only ever selects pods of its own namespace. Without an
explicit namespace, where it lands depends on the `-n` flag or the kubectl
context of whoever applies it: the same file protects one namespace on one
laptop and another namespace (or none that has pods) in CI. The analysis of
such a policy is a guess for the same reason.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```

## Known problems

Kustomize (`namespace:` in `kustomization.yaml`) and Helm (`--namespace`) set
the namespace when rendering; lint their rendered output rather than the
sources to avoid this finding on every policy. Policies are always analysed
in `default`, whatever namespace the tool applying them would choose.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
"#;

pub struct NamespaceMissing;

impl Rule for NamespaceMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in cx.cluster.policies.iter().filter(|p| !p.namespace_explicit) {
            out.push(
                Diagnostic::new(
                    META.name,
                    META.default_severity,
                    policy.origin.node.key_span_at(&["metadata".into()]),
                    format!(
                        "NetworkPolicy `{}` has no `metadata.namespace`; it is analysed in `{}`",
                        policy.name, policy.namespace
                    ),
                )
                .label("no `namespace` here")
                .help(
                    "set `metadata.namespace`: without it the policy lands in whatever \
                     namespace the applying tool's context names",
                )
                .object(policy.object()),
            );
        }
    }
}
