//! `dns-tcp-missing`: a workload may query the cluster DNS over UDP but not
//! over TCP.

use crate::report::{Diagnostic, Severity};
use crate::rules::dns;
use crate::rules::support::workload_object;
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "dns-tcp-missing",
    default_severity: Severity::Warning,
    summary: "a workload may reach the cluster DNS on UDP 53 but not on TCP 53",
    doc: DOC,
};

const DOC: &str = r#"## What it does

For each workload whose egress is isolated and that may send UDP 53 to the
cluster DNS (see `dns-egress-blocked` for how the DNS pods are found),
checks that TCP 53 is allowed too, and reports the workload when it is not,
pointing at the rules that allow UDP.

## Why it matters

DNS answers that do not fit in a UDP datagram (many records, long names,
DNSSEC) come back truncated, and the resolver repeats the query over TCP.
Some resolvers also use TCP from the start. With only UDP allowed, most
lookups work and some fail or time out, depending on the name: the kind of
intermittent failure that takes long to trace back to a policy.

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

The same as `dns-egress-blocked`: only the egress side is evaluated, and
`ipBlock`s count only when they cover a whole address family. A workload
whose every lookup is known to fit in UDP (a single short name) is reported
anyway.

## References

- https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/
- https://www.rfc-editor.org/rfc/rfc7766#section-1
"#;

pub struct DnsTcpMissing;

impl Rule for DnsTcpMissing {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let service = cx.dns;
        for access in dns::access(cx, service)
            .into_iter()
            .filter(|a| a.udp && !a.tcp)
        {
            let w = &cx.cluster.workloads[access.workload];
            let (udp, tcp) = (access.udp_port, access.tcp_port);
            let mut d = Diagnostic::new(
                META.name,
                META.default_severity,
                w.origin.name_span(),
                format!(
                    "`{}` may query the cluster DNS on UDP {udp} but not on TCP {tcp}",
                    w.name
                ),
            )
            .label("large DNS answers will fail")
            .help(format!(
                "allow TCP {tcp} next to UDP {udp} in the rule's `ports`:\n\n\
                 - protocol: UDP\n  port: {udp}\n- protocol: TCP\n  port: {tcp}"
            ))
            .object(workload_object(w));
            for r in &access.udp_rules {
                let policy = &cx.cluster.policies[r.policy];
                d = d.with_secondary(
                    policy.rule_span(r.direction, r.rule),
                    format!("allows UDP {udp} to the cluster DNS, not TCP"),
                );
            }
            out.push(d);
        }
    }
}
