//! `ingress-from-anywhere`: an ingress rule open to every source.

use crate::model::policy::Direction;
use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta, anywhere};

pub static META: RuleMeta = RuleMeta {
    name: "ingress-from-anywhere",
    default_severity: Severity::Warning,
    summary: "an ingress rule allows every source (no `from`, or a catch-all `ipBlock`)",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports an ingress rule without `from` (or with an empty `from: []`), which
allows its ports from every pod of every namespace and every address outside
the cluster, and an ingress rule with an `ipBlock` of `0.0.0.0/0` or `::/0`.
The message says which ports the rule opens. A rule without `from` is
reported at the rule; a catch-all block at its `cidr`.

Only policies that apply to ingress are checked.

## Why it matters

An ingress rule without sources makes the selected pods reachable from any
pod in the cluster, including pods of other teams and any pod an attacker
manages to start, and from outside when a Service or node port exposes them.
Most services have a short list of legitimate clients; naming them is the
point of the policy.

## Example

```yaml
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
    - ports:
        - protocol: TCP
          port: 8080
```

## Fixed

```yaml
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
              app: frontend
      ports:
        - protocol: TCP
          port: 8080
```

## Known problems

Public entry points (an ingress controller, a load balancer with
`externalTrafficPolicy: Local`) legitimately accept traffic from anywhere;
suppress the finding there. Traffic from the pod's own node (kubelet probes)
is always allowed by Kubernetes and needs no rule. A catch-all `ipBlock`
with `except` entries is still reported.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyIngressRule
"#;

pub struct IngressFromAnywhere;

impl Rule for IngressFromAnywhere {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        anywhere::check(cx, Direction::Ingress, &META, out);
    }
}
