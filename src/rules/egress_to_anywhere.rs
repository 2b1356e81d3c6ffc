//! `egress-to-anywhere`: an egress rule open to every destination.

use crate::model::policy::Direction;
use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta, anywhere};

pub static META: RuleMeta = RuleMeta {
    name: "egress-to-anywhere",
    default_severity: Severity::Warning,
    summary: "an egress rule allows every destination (no `to`, or a catch-all `ipBlock`)",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports an egress rule without `to` (or with an empty `to: []`), which
allows its ports to every pod of every namespace and every address outside
the cluster, and an egress rule with an `ipBlock` of `0.0.0.0/0` or `::/0`,
which allows every address of that family. The message says which ports the
rule opens (`on all ports`, or the ports as listed). A rule without `to` is
reported at the rule; a catch-all block at its `cidr`.

Only policies that apply to egress are checked: rules of a direction missing
from `policyTypes` are ignored by Kubernetes.

## Why it matters

Egress rules are what stops a compromised pod from reaching other services,
the cloud metadata endpoint, or the internet. A rule with no destination
keeps the ports open to all of them. Rules like "allow port 53 anywhere" or
"allow 443 anywhere" are often written as a quick fix for DNS or for an
external API and then stay: 443 anywhere is also the way data leaves.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-backup
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Egress]
  egress:
    - ports:
        - protocol: TCP
          port: 443
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-backup
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Egress]
  egress:
    - to:
        - ipBlock:
            cidr: 203.0.113.0/24
      ports:
        - protocol: TCP
          port: 443
```

## Known problems

A catch-all `ipBlock` with `except` entries is still reported: excepting the
private ranges or the metadata address leaves every address on the
internet. When the destination really is the whole internet (a web crawler,
a webhook sender), suppress the finding for that rule. Destinations given by
DNS name cannot be expressed in NetworkPolicy at all; CNI-specific policies
(Cilium `toFQDNs`, Calico domain names) do that and are not read.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicyEgressRule
"#;

pub struct EgressToAnywhere;

impl Rule for EgressToAnywhere {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        anywhere::check(cx, Direction::Egress, &META, out);
    }
}
