//! `selector-matches-nothing`: a policy whose `spec.podSelector` selects no
//! pod of its namespace.

use crate::report::{Diagnostic, Severity};
use crate::rules::support::{namespaces_with_workloads, pods_hint, unmodelled_label_note};
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
operators are modelled only for the custom resources of the operator tables
(the README's "Pods created by operators"); a policy for the pods of other
operators is reported when the namespace also has ordinary workloads.
Labels that controllers set on each pod with values the manifests cannot
show (`statefulset.kubernetes.io/pod-name`, `pod-template-hash`, ...) are
not modelled: a selector requiring one is reported, and the help says that
the cluster's pods may match it. A selector the API server would reject is
left to `invalid-selector`.

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
                    "the policy has no effect; {}{}",
                    pods_hint(cx, &[ns]),
                    unmodelled_label_note(&policy.selector).unwrap_or_default()
                ))
                .object(policy.object()),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule;

    fn help(selector: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: redis, namespace: db}}\nspec:\n  template:\n    metadata: {{labels: {{app: redis}}}}\n    spec: {{containers: [{{name: c}}]}}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: db}}\nspec:\n  podSelector: {selector}\n"
        );
        let (_, out) = run_rule(&super::SelectorMatchesNothing, &text);
        out.into_iter()
            .map(|d| d.help.unwrap_or_default())
            .collect()
    }

    #[test]
    fn labels_controllers_set_per_pod_are_named_in_the_help() {
        let found = help("{matchLabels: {statefulset.kubernetes.io/pod-name: redis-0}}");
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("`statefulset.kubernetes.io/pod-name` is set on each pod by the StatefulSet controller"),
            "{found:?}"
        );
        let found = help("{matchLabels: {app: cache}}");
        assert_eq!(found.len(), 1);
        assert!(!found[0].contains("set on each pod"), "{found:?}");
        // Requiring the label be absent is no mystery: such pods are modelled.
        assert!(
            help("{matchExpressions: [{key: pod-template-hash, operator: DoesNotExist}]}")
                .is_empty()
        );
    }
}
