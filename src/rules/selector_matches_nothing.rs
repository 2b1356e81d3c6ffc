//! `selector-matches-nothing`: a policy whose `spec.podSelector` selects no
//! pod of its namespace.

use crate::report::{Diagnostic, Severity};
use crate::rules::support::{namespaces_with_workloads, pods_hint};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "selector-matches-nothing",
    default_severity: Severity::Warning,
    summary: "a policy's `spec.podSelector` matches no pod of the input",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a NetworkPolicy whose `spec.podSelector` matches none of the pods the
input runs in the policy's namespace. Only namespaces where the input has
workloads are checked: for any other namespace the input does not say which
pods exist.

## Why it matters

A policy that selects no pod does nothing. When the selector has a typo
(`app: web-server` for pods labelled `app: webserver`) or the pods were
relabelled, the traffic the policy was written to allow is blocked by the
namespace's default deny, or the traffic it was written to restrict is still
wide open, and nothing points at the policy.

## Example

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  containers:
    - name: web
      image: nginx
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
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
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: website
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
```

## Fixed

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  containers:
    - name: web
      image: nginx
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
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
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
```

## Known problems

The input may show only part of a namespace (one chart of several): a
policy written for pods defined elsewhere is reported. Pods created by
operators from custom resources are not modelled yet, so a policy for them
is reported when the namespace also has ordinary workloads. A selector the
API server would reject is left to `invalid-selector`.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
"#;

pub struct SelectorMatchesNothing;

impl Rule for SelectorMatchesNothing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let has_workloads = namespaces_with_workloads(cx);
        for (pi, policy) in cx.cluster.policies.iter().enumerate() {
            let Some(ns) = cx.engine.namespace_index(&policy.namespace) else {
                continue;
            };
            if !has_workloads[ns]
                || !policy.selector.is_valid()
                || !cx.engine.selected[pi].is_empty()
            {
                continue;
            }
            out.push(
                Diagnostic::new(
                    META.name,
                    META.default_severity,
                    policy.span(&["spec".into(), "podSelector".into()]),
                    format!(
                        "`podSelector` matches no pod in namespace `{}`",
                        policy.namespace
                    ),
                )
                .label(format!("selects `{}`", policy.selector))
                .help(format!(
                    "the policy has no effect; {}",
                    pods_hint(cx, &[ns])
                ))
                .object(policy.object()),
            );
        }
    }
}
