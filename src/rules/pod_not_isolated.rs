//! `pod-not-isolated`: a workload whose pods no policy selects for ingress
//! (or egress), so that all traffic in that direction is allowed.

use crate::model::Workload;
use crate::model::policy::Direction;
use crate::report::{Diagnostic, Severity};
use crate::rules::support::workload_object;
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "pod-not-isolated",
    default_severity: Severity::Warning,
    summary: "no policy selects a workload's pods for ingress (or egress): all traffic is allowed",
    doc: DOC,
};

const DOC: &str = r#"## What it does

For each workload of the input (Deployment, StatefulSet, DaemonSet, Job,
CronJob, Pod, ...) and each direction, checks that some NetworkPolicy of its
namespace selects its pods with that policy type. One finding per workload
and direction, at the workload's `metadata.name`.

`default-deny-missing` asks the question per namespace (is there a policy
with `podSelector: {}`?); this check asks it per workload, with the pods the
input really runs. In a namespace without a default deny both report, each
from its side: the namespace lacks a default, and these pods are open.

## Why it matters

Pods that no policy selects for a direction are not isolated: they accept
connections from every pod of the cluster and every address that can route
to them, or may connect anywhere. Allow-list policies protect only the pods
they select; a workload whose labels do not match (renamed by a chart
upgrade, added later, copied from another team) is silently left open.

## Example

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: cache
  namespace: shop
  labels:
    app: cache
spec:
  containers:
    - name: redis
      image: redis:7
```

Also fires: `default-deny-missing`. A pod that no policy selects lives in a
namespace without a default deny, so the namespace check reports it as well.

## Fixed

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: cache
  namespace: shop
  labels:
    app: cache
spec:
  containers:
    - name: redis
      image: redis:7
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
```

## Known problems

Workloads whose pods run with `hostNetwork: true` are not reported: most
network plugins do not apply NetworkPolicy to them at all, so no policy
would change anything (see `host-network-peer`). Pods that operators create
from custom resources are seen only for the operators netpol-lint knows.
Cluster-wide policies outside the NetworkPolicy API (AdminNetworkPolicy,
Calico or Cilium cluster policies) are not read, so pods they isolate are
reported too.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies
"#;

pub struct PodNotIsolated;

impl Rule for PodNotIsolated {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for (wi, w) in cx.cluster.workloads.iter().enumerate() {
            if w.host_network {
                continue;
            }
            let class = cx.engine.workload_class[wi];
            for dir in [Direction::Ingress, Direction::Egress] {
                if cx.engine.isolating(class, dir).is_empty() {
                    out.push(diagnostic(w, dir));
                }
            }
        }
    }
}

fn diagnostic(w: &Workload, dir: Direction) -> Diagnostic {
    let key = dir.key();
    let (message, label) = match dir {
        Direction::Ingress => (
            format!(
                "no policy selects the pods of {} `{}` for ingress",
                w.kind, w.name
            ),
            "these pods accept connections from anywhere",
        ),
        Direction::Egress => (
            format!(
                "no policy selects the pods of {} `{}` for egress",
                w.kind, w.name
            ),
            "these pods may connect anywhere",
        ),
    };
    Diagnostic::new(
        META.name,
        META.default_severity,
        w.origin.name_span(),
        message,
    )
    .label(label)
    .help(format!(
        "add a policy in namespace `{}` whose `podSelector` matches these pods and whose \
             `policyTypes` lists `{}` (a default deny with `podSelector: {{}}` covers every \
             pod), then allow the {key} traffic they need",
        w.namespace,
        dir.policy_type()
    ))
    .object(workload_object(w))
}
