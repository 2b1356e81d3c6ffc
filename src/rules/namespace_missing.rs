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

Reports a NetworkPolicy whose `metadata` has no `namespace`, or an empty
one (`namespace: ""`, which Kubernetes treats as absent). The policy is
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
        for policy in cx.cluster.all_policies().filter(|p| !p.namespace_explicit) {
            // `namespace: ""` is no namespace: point at the empty value.
            let empty = policy
                .origin
                .node
                .at(&["metadata".into(), "namespace".into()]);
            let (span, what, label) = match empty {
                Some(node) => (node.span, "an empty", "empty: the same as no namespace"),
                None => (
                    policy.origin.node.key_span_at(&["metadata".into()]),
                    "no",
                    "no `namespace` here",
                ),
            };
            out.push(
                Diagnostic::new(
                    META.name,
                    META.default_severity,
                    span,
                    format!(
                        "NetworkPolicy `{}` has {what} `metadata.namespace`; it is analysed in `{}`",
                        policy.name, policy.namespace
                    ),
                )
                .label(label)
                .help(
                    "set `metadata.namespace`: without it the policy lands in whatever \
                     namespace the applying tool's context names",
                )
                .object(policy.object()),
            );
        }
    }
}
