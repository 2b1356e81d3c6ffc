//! `dns-egress-blocked`: a workload whose isolated egress cannot reach the
//! cluster DNS on UDP.

use crate::engine::rule_ports;
use crate::model::{Peer, Protocol};
use crate::report::{Diagnostic, Severity};
use crate::rules::dns::{self, DnsService};
use crate::rules::support::workload_object;
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "dns-egress-blocked",
    default_severity: Severity::Error,
    summary: "a workload's egress is isolated and no rule lets it reach the cluster DNS",
    doc: DOC,
};

const DOC: &str = r#"## What it does

For each workload whose egress is isolated (some policy selects its pods with
`Egress` in its `policyTypes`), evaluates its egress rules towards the cluster
DNS: the pods labelled `k8s-app=kube-dns` in `kube-system` (kube-dns and
CoreDNS both carry that label), on port 53 over UDP. When the input defines
such pods their labels and ports are used; otherwise an imagined pod with the
usual labels and container ports (`dns` 53/UDP, `dns-tcp` 53/TCP, `metrics`
9153/TCP) in a `kube-system` namespace with the labels the input gives it.
When the input defines DNS pods, their container ports count: the port named
`dns` (UDP) and `dns-tcp` (TCP), since a policy sees the port after the
Service has mapped 53 to it. Reports each workload that cannot send UDP to
the DNS port, with the policies that isolate it; with several DNS pods, each
must be reachable, as the Service spreads queries over all of them. The
`dns` section of the configuration file says where a cluster runs its DNS
when that is not kube-dns (OpenShift: `openshift-dns` on 5353).

## Why it matters

Almost every program looks names up before it connects anywhere, including
to Services in its own namespace. Once egress is isolated, DNS is blocked
unless a rule allows it, and the symptom is not "connection refused" but
timeouts and `could not resolve host` errors that look like a DNS outage.
It is the most common breakage after a first default deny.

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
```

## Known problems

Only the egress side is evaluated: a policy in `kube-system` that blocks
ingress to the DNS pods is not taken into account. An `ipBlock` counts only
when it covers a whole address family (`0.0.0.0/0` or `::/0` without
`except`): the input does not say which addresses pods and Services have, so
a block holding the pod network, the DNS Service address or a node-local DNS
cache address (NodeLocal DNSCache, 169.254.20.10) is not recognised and the
workload is reported although its DNS works. Clusters whose DNS runs
elsewhere (OpenShift's `openshift-dns` on port 5353) are reported wrongly
unless the `dns` section of the configuration file says where it runs; when
the workload's policies allow UDP 5353, the finding suggests it. Workloads with
`hostNetwork: true` are skipped, since NetworkPolicy does not govern their
traffic in most implementations.

## References

- https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic
- https://kubernetes.io/docs/tasks/administer-cluster/nodelocaldns/
"#;

pub struct DnsEgressBlocked;

impl Rule for DnsEgressBlocked {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let service = cx.dns;
        for access in dns::access(cx, service).into_iter().filter(|a| !a.udp) {
            let w = &cx.cluster.workloads[access.workload];
            let mut d = Diagnostic::new(
                META.name,
                META.default_severity,
                w.origin.name_span(),
                format!(
                    "`{}` cannot resolve names: its egress is isolated and no rule allows \
                     UDP {} to the cluster DNS ({})",
                    w.name,
                    access.udp_port,
                    service.describe()
                ),
            )
            .label("egress isolated, DNS not allowed")
            .help(format!(
                "allow DNS in an egress policy that selects these pods:\n\n{}{}",
                fix(service, access.udp_port, access.tcp_port),
                if service.port != OPENSHIFT_DNS_PORT && allows_openshift_dns(cx, &access.isolating)
                {
                    "\n\nits policies allow UDP 5353, the port OpenShift's DNS pods serve on: \
                     on OpenShift, set `dns` in `.netpol-lint.yaml` (namespace `openshift-dns`, \
                     pod selector `dns.operator.openshift.io/daemonset-dns: default`, port 5353)"
                } else {
                    ""
                }
            ))
            .object(workload_object(w));
            for &pi in &access.isolating {
                let policy = &cx.cluster.policies[pi];
                d = d.with_secondary(
                    policy.origin.name_span(),
                    format!("`{}` isolates the egress of `{}`", policy.name, w.name),
                );
            }
            out.push(d);
        }
    }
}

/// The port of OpenShift's DNS pods (its DNS Service maps 53 to it).
const OPENSHIFT_DNS_PORT: u16 = 5353;

/// Whether an egress rule of these policies allows UDP 5353 to pods.
fn allows_openshift_dns(cx: &Context<'_>, policies: &[usize]) -> bool {
    policies.iter().any(|&pi| {
        cx.cluster.policies[pi].egress.iter().any(|rule| {
            let to_pods = rule
                .peers
                .as_ref()
                .is_none_or(|peers| peers.iter().any(|p| matches!(p, Peer::Pods { .. })));
            to_pods && rule_ports(rule, &[]).contains(Protocol::Udp, OPENSHIFT_DNS_PORT)
        })
    })
}

/// An egress rule that allows DNS, in YAML.
fn fix(service: &DnsService, udp: u16, tcp: u16) -> String {
    let mut text = String::from(
        "egress:\n  - to:\n      - namespaceSelector:\n          matchLabels:\n            \
         kubernetes.io/metadata.name: ",
    );
    text.push_str(&service.namespace);
    text.push_str("\n        podSelector:\n          matchLabels:");
    for (k, v) in &service.pod_labels {
        text.push_str(&format!("\n            {k}: {v}"));
    }
    text.push_str(&format!(
        "\n    ports:\n      - protocol: UDP\n        port: {udp}\n      - protocol: TCP\n        \
         port: {tcp}"
    ));
    text
}

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule;

    fn help_for(egress_port: &str) -> String {
        let text = format!(
            "apiVersion: v1
kind: Pod
metadata: {{name: web, namespace: shop, labels: {{app: web}}}}
spec: {{containers: [{{name: c, image: i}}]}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: out, namespace: shop}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
    - to: [{{namespaceSelector: {{}}}}]
      ports: [{egress_port}]
"
        );
        let (_, out) = run_rule(&super::DnsEgressBlocked, &text);
        assert_eq!(out.len(), 1, "{out:?}");
        out[0].help.clone().unwrap_or_default()
    }

    #[test]
    fn udp_5353_suggests_configuring_openshift_dns() {
        assert!(help_for("{protocol: UDP, port: 5353}").contains("openshift-dns"));
        // Another port, or 5353 over TCP only, says nothing of OpenShift.
        assert!(!help_for("{protocol: UDP, port: 5354}").contains("openshift-dns"));
        assert!(!help_for("{protocol: TCP, port: 5353}").contains("openshift-dns"));
    }
}
