//! `named-port-unresolved`: a named port in a rule that no container port of
//! the pods it applies to defines, with that name and protocol.

use std::collections::BTreeSet;

use crate::model::policy::{Direction, Policy};
use crate::model::{Peer, PortSpec, Protocol};
use crate::report::{Diagnostic, Severity};
use crate::rules::invalid_port_range::port_name_problem;
use crate::rules::scope::peer_pods_known;
use crate::rules::support::namespaces_with_workloads;
use crate::rules::walk::rule_name;
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::yaml::Seg;

pub static META: RuleMeta = RuleMeta {
    name: "named-port-unresolved",
    default_severity: Severity::Error,
    summary: "a named port matches no container port (name and protocol) of the pods it applies to",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Resolves each named port of a rule (`port: http`) the way Kubernetes does:
against the container ports of the destination pods, by name and protocol
(`protocol` defaults to `TCP` on both sides). The destination of an ingress
rule is the pods the policy selects; the destination of an egress rule is
the pods its `to` peers select. The check reports a named port that no
container port of those pods defines with that name and protocol, at the
`port` value.

It only speaks when the input shows the pods: a policy that selects no pod of
the input, an egress rule without `to` or with only `ipBlock` peers, and
peers that may reach pods the input does not show (a namespace it runs no
workload in, a `namespaceSelector` that may match namespaces outside the
input) are not checked.

## Why it matters

A named port that resolves to nothing allows nothing, silently: the policy is
accepted, reads as intended, and the traffic is dropped. It happens when a
container port is renamed (`http` to `web`), when the name is only on the
Service (`targetPort` names are not container port names), or when the
protocol differs (`dns` served over UDP while the rule says TCP by default).

## Example

```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: example/api:1.0
          ports:
            - name: web
              containerPort: 8080
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
  name: api-from-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
      ports:
        - port: http
```

## Fixed

```yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  selector:
    matchLabels:
      app: api
  template:
    metadata:
      labels:
        app: api
    spec:
      containers:
        - name: api
          image: example/api:1.0
          ports:
            - name: web
              containerPort: 8080
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
  name: api-from-ingress
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: ingress-nginx
      ports:
        - port: web
```

## Known problems

The port is reported only when none of the pods defines it: a rule whose
named port some of its destinations define and others do not is a common and
deliberate pattern (one rule for several workloads), and is not reported.
Init containers' ports are read only for native sidecars (`restartPolicy:
Always`), as Kubernetes resolves them; other init containers have exited
before the pod serves traffic. Pods that operators create from custom
resources are seen only for the operators netpol-lint knows.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
"#;

pub struct NamedPortUnresolved;

impl Rule for NamedPortUnresolved {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let has_workloads = namespaces_with_workloads(cx);
        for (pi, policy) in cx.cluster.policies.iter().enumerate() {
            for dir in [Direction::Ingress, Direction::Egress] {
                // Rules of a direction the policy does not affect never
                // apply; `policy-types-mismatch` reports them.
                if !policy.affects(dir) {
                    continue;
                }
                for (i, rule) in policy.rules(dir).iter().enumerate() {
                    let Some(ports) = &rule.ports else { continue };
                    if !ports.iter().any(|p| matches!(p, PortSpec::Named { .. })) {
                        continue;
                    }
                    let Some(classes) = destinations(cx, pi, dir, i, &has_workloads) else {
                        continue;
                    };
                    for (k, port) in ports.iter().enumerate() {
                        if let PortSpec::Named { name, protocol } = port {
                            let at = At {
                                policy,
                                dir,
                                rule: i,
                                port: k,
                            };
                            if let Some(d) = check_port(cx, at, name, *protocol, &classes) {
                                out.push(d);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The pod classes a rule's named ports resolve against, or `None` when the
/// input does not show them all.
fn destinations(
    cx: &Context<'_>,
    pi: usize,
    dir: Direction,
    i: usize,
    has_workloads: &[bool],
) -> Option<Vec<usize>> {
    let policy = &cx.cluster.policies[pi];
    let mut classes = match dir {
        Direction::Ingress => cx.engine.selected[pi].clone(),
        Direction::Egress => {
            // No `to`: every destination, most of them unknown.
            let peers = policy.egress[i].peers.as_ref()?;
            let mut classes = Vec::new();
            for peer in peers {
                let Peer::Pods { namespaces, .. } = peer else {
                    continue;
                };
                // Pods the input does not show may define the port.
                if !peer_pods_known(cx, policy, namespaces, has_workloads) {
                    return None;
                }
                classes.extend(cx.engine.peer_classes(policy, peer));
            }
            classes
        }
    };
    classes.sort_unstable();
    classes.dedup();
    (!classes.is_empty()).then_some(classes)
}

/// Where a `ports` entry is.
#[derive(Clone, Copy)]
struct At<'p> {
    policy: &'p Policy,
    dir: Direction,
    rule: usize,
    port: usize,
}

fn check_port(
    cx: &Context<'_>,
    at: At<'_>,
    name: &str,
    protocol: Protocol,
    classes: &[usize],
) -> Option<Diagnostic> {
    // A name the API server rejects is `invalid-port-range`'s.
    if port_name_problem(name).is_some() {
        return None;
    }
    let ports = || classes.iter().flat_map(|&c| &cx.engine.classes[c].ports);
    if ports().any(|p| p.name.as_deref() == Some(name) && p.protocol == protocol) {
        return None;
    }
    let other_protocols: BTreeSet<Protocol> = ports()
        .filter(|p| p.name.as_deref() == Some(name))
        .map(|p| p.protocol)
        .collect();
    let defined: BTreeSet<String> = ports()
        .filter_map(|p| p.name.as_ref().map(|n| format!("`{n}` ({})", p.protocol)))
        .collect();
    let whose = match at.dir {
        Direction::Ingress => "the pods the policy selects",
        Direction::Egress => "the destination pods",
    };
    let help = match other_protocols.first() {
        Some(p) => format!(
            "on {whose}, `{name}` is a {p} port: add `protocol: {p}` to this entry, or \
             write the port number"
        ),
        None if defined.is_empty() => format!(
            "{whose} ({}) define no named container port: write the port number, or name \
             the container port `{name}`",
            workloads(cx, classes)
        ),
        None => format!(
            "{whose} ({}) define {}: use one of these names, or write the port number",
            workloads(cx, classes),
            defined.into_iter().collect::<Vec<_>>().join(", ")
        ),
    };
    let span = at.policy.span(&[
        "spec".into(),
        Seg::Key(at.dir.key()),
        at.rule.into(),
        "ports".into(),
        at.port.into(),
        "port".into(),
    ]);
    Some(
        Diagnostic::new(
            META.name,
            META.default_severity,
            span,
            format!("named port `{name}` ({protocol}) matches no container port of {whose}"),
        )
        .label(format!(
            "resolves to no port: this entry of `{}` allows nothing",
            rule_name(at.dir, at.rule)
        ))
        .help(help)
        .object(at.policy.object()),
    )
}

/// `Deployment api, StatefulSet db` for the workloads of some classes.
fn workloads(cx: &Context<'_>, classes: &[usize]) -> String {
    const SHOWN: usize = 3;
    let names: Vec<String> = classes
        .iter()
        .flat_map(|&c| &cx.engine.classes[c].workloads)
        .map(|&w| {
            let w = &cx.cluster.workloads[w];
            format!("{} `{}/{}`", w.kind, w.namespace, w.name)
        })
        .collect();
    let mut text = names[..names.len().min(SHOWN)].join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule;

    fn findings(text: &str) -> Vec<(u32, u32)> {
        let (loaded, out) = run_rule(&super::NamedPortUnresolved, text);
        out.iter()
            .map(|d| {
                let (s, _) = loaded.sources.range(d.primary.span);
                (s.line, s.column)
            })
            .collect()
    }

    const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers:
    - name: web
      image: nginx
      ports: [{name: http, containerPort: 8080}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec:
  containers:
    - name: db
      image: postgres
      ports: [{name: pg, containerPort: 5432}, {name: stats, containerPort: 9187, protocol: UDP}]
---
";

    #[test]
    fn egress_resolves_against_the_destination_pods() {
        // `pg` is a port of the destination (db), not of the source (web).
        let ok = format!(
            "{PODS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web-out, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Egress]
  egress:
    - to: [{{podSelector: {{matchLabels: {{app: db}}}}}}]
      ports: [{{port: pg}}]
"
        );
        assert_eq!(findings(&ok), []);
        // `http` is the source's port: it does not resolve on db.
        let bad = ok.replace("port: pg", "port: http");
        assert_eq!(findings(&bad), [(27, 22)]);
    }

    #[test]
    fn ingress_resolves_against_the_selected_pods_with_protocol() {
        let policy = |port: &str| {
            format!(
                "{PODS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db-in, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: db}}}}
  ingress:
    - ports: [{port}]
"
            )
        };
        assert_eq!(findings(&policy("{port: pg}")), []);
        assert_eq!(findings(&policy("{port: stats, protocol: UDP}")), []);
        // Same name, TCP by default: the container port is UDP.
        assert_eq!(findings(&policy("{port: stats}")), [(25, 22)]);
        assert_eq!(findings(&policy("{port: http}")), [(25, 22)]);
    }

    #[test]
    fn unknown_pods_are_not_judged() {
        let text = format!(
            "{PODS}apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: web-out, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: web}}}}
  policyTypes: [Egress]
  egress:
    - to: [{{namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: other}}}}}}]
      ports: [{{port: nope}}]
    - to: [{{ipBlock: {{cidr: 10.0.0.0/8}}}}]
      ports: [{{port: nope}}]
    - ports: [{{port: nope}}]
"
        );
        assert_eq!(findings(&text), []);
    }
}
