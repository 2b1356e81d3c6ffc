//! `one-way-allow`: a rule that allows traffic the other end never lets
//! through: an egress rule towards pods whose ingress admits none of it, or
//! an ingress rule from pods whose egress never sends it.

use std::collections::{BTreeSet, HashSet};

use crate::engine::{Peerish, rule_peers_match, rule_ports};
use crate::model::policy::{Direction, Policy};
use crate::model::{ContainerPort, Peer, PortSet, PortSpec};
use crate::report::{Diagnostic, Severity};
use crate::rules::scope::{PeerClasses, peer_pods_known};
use crate::rules::support::namespaces_with_workloads;
use crate::rules::walk::rule_name;
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "one-way-allow",
    default_severity: Severity::Warning,
    summary: "a rule allows traffic that the other end's policies never let through",
    doc: DOC,
};

const DOC: &str = r#"## What it does

A connection between two pods needs both ends: the source's egress must allow
it and the destination's ingress must admit it. For each rule whose peers are
pods of the input, this check evaluates, with the reachability engine, every
pair of a selected pod and a peer pod:

- for an egress rule, whether the destination's ingress policies admit the
  source on any port the rule allows;
- for an ingress rule, whether the source's egress policies allow sending to
  the destination on any port the rule admits.

When the far end is isolated in every pair and lets none of the rule's
traffic through, the rule is reported: the flow it describes is dead. The
finding points at the rule, with labels on the policies that isolate the far
end.

Rules with no peers or with `ipBlock` peers are not checked (an external
address has no policies), nor are rules whose peers may reach pods the input
does not show: a namespace the input runs no workload in, or a
`namespaceSelector` that may match namespaces outside the input (an empty
one, or one that does not require a label). Pods on the host network are
left out.

## Why it matters

Policies are often written by different people for each side: the client team
opens egress to the database, the database team never admits the client. Each
policy looks right on its own, the connection times out, and the rule that
"allows" it misleads every later review. The fix is on the other side, in
the policy the finding labels, or the rule is dead weight and can go.

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
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: shop
  labels:
    app: db
spec:
  containers:
    - name: db
      image: postgres
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
  name: web-to-db
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: db
      ports:
        - protocol: TCP
          port: 5432
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
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: shop
  labels:
    app: db
spec:
  containers:
    - name: db
      image: postgres
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
  name: web-to-db
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: db
      ports:
        - protocol: TCP
          port: 5432
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db-from-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - protocol: TCP
          port: 5432
```

## Known problems

Only the pods of the input are evaluated: pods added later that the rule's
peers would match, with other policies, are not. A rule that is dead towards
some of its peers and alive towards others is not reported. Pods on the host
network are left out, since most network plugins do not apply policies to
them (see `host-network-peer`).

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#the-two-sorts-of-pod-isolation
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
"#;

pub struct OneWayAllow;

impl Rule for OneWayAllow {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        let scope = Scope {
            cx,
            has_workloads: namespaces_with_workloads(cx),
            host: cx
                .engine
                .classes
                .iter()
                .map(|c| {
                    c.workloads
                        .iter()
                        .any(|&w| cx.cluster.workloads[w].host_network)
                })
                .collect(),
            upper: (0..cx.engine.classes.len())
                .map(|c| [Direction::Ingress, Direction::Egress].map(|d| upper_ports(cx, c, d)))
                .collect(),
            peers: PeerClasses::default(),
        };
        for (pi, policy) in cx.cluster.policies.iter().enumerate() {
            for dir in [Direction::Ingress, Direction::Egress] {
                // Rules of a direction the policy does not affect never apply.
                if !policy.affects(dir) {
                    continue;
                }
                for i in 0..policy.rules(dir).len() {
                    if let Some(d) = scope.check_rule(pi, dir, i) {
                        out.push(d);
                    }
                }
            }
        }
    }
}

struct Scope<'a> {
    cx: &'a Context<'a>,
    has_workloads: Vec<bool>,
    /// Classes with a host-network workload.
    host: Vec<bool>,
    /// Per class and direction (ingress, egress): every port the class's
    /// rules allow towards or from anyone, named ports widened to their
    /// protocol. A pair whose rule ports miss it is dead without looking
    /// at peers.
    upper: Vec<[PortSet; 2]>,
    peers: PeerClasses<'a>,
}

/// What a dead rule lets through on its side, and who stops it on the other.
#[derive(Default)]
struct Dead {
    ports: PortSet,
    /// Policies isolating the far ends.
    blockers: BTreeSet<usize>,
}

impl<'a> Scope<'a> {
    /// The peer classes of a rule, when they are all the input shows and the
    /// rule names nothing else.
    fn far_classes(&self, policy: &'a Policy, dir: Direction, i: usize) -> Option<Vec<usize>> {
        let peers = policy.rules(dir)[i].peers.as_ref()?;
        let mut classes: Vec<usize> = Vec::new();
        for peer in peers {
            match peer {
                // An address outside the cluster has no policy: always alive.
                Peer::IpBlock { .. } => return None,
                Peer::Invalid => {}
                Peer::Pods { namespaces, .. } => {
                    if !peer_pods_known(self.cx, policy, namespaces, &self.has_workloads) {
                        return None;
                    }
                    classes.extend(self.peers.of(self.cx.engine, policy, peer).iter());
                }
            }
        }
        classes.sort_unstable();
        classes.dedup();
        classes.retain(|&c| !self.host[c]);
        Some(classes)
    }

    fn check_rule(&self, pi: usize, dir: Direction, i: usize) -> Option<Diagnostic> {
        let engine = self.cx.engine;
        let policy = &self.cx.cluster.policies[pi];
        let rule = &policy.rules(dir)[i];
        let far = self.far_classes(policy, dir, i)?;
        let near: Vec<usize> = engine.selected[pi]
            .iter()
            .copied()
            .filter(|&c| !self.host[c])
            .collect();
        let other = match dir {
            Direction::Ingress => Direction::Egress,
            Direction::Egress => Direction::Ingress,
        };
        // The far side's verdict depends only on the policies isolating it
        // and, for an egress rule, on its container ports: one class of each
        // kind stands for the others.
        let mut seen: HashSet<(&[usize], &[ContainerPort])> = HashSet::new();
        let far: Vec<usize> = far
            .into_iter()
            .filter(|&b| {
                let ports: &[ContainerPort] = match dir {
                    Direction::Egress => &engine.classes[b].ports,
                    Direction::Ingress => &[],
                };
                seen.insert((engine.isolating(b, other), ports))
            })
            .collect();
        let mut dead = Dead::default();
        for &b in &far {
            let isolating = engine.isolating(b, other);
            for &a in &near {
                // The destination's container ports resolve named ports.
                let dst = match dir {
                    Direction::Egress => b,
                    Direction::Ingress => a,
                };
                let dst_ports = &engine.classes[dst].ports;
                let allowed = rule_ports(rule, dst_ports);
                if allowed.is_empty() {
                    continue;
                }
                if isolating.is_empty() {
                    return None;
                }
                let possible = self.upper[b][dir_index(other)].intersects(&allowed);
                if possible && self.far_side(b, a, other, dst_ports).intersects(&allowed) {
                    return None;
                }
                dead.ports.union_with(&allowed);
                dead.blockers.extend(isolating.iter().copied());
            }
        }
        if dead.ports.is_empty() {
            return None;
        }
        Some(self.finding(policy, dir, i, &dead))
    }

    /// What the far end `b`'s policies for direction `dir` allow between it
    /// and `a`, as `Engine::side` would say, looking only at the policies
    /// that isolate `b`.
    fn far_side(&self, b: usize, a: usize, dir: Direction, dst_ports: &[ContainerPort]) -> PortSet {
        let engine = self.cx.engine;
        let near = Peerish::Pod(engine.class_view(a));
        let mut ports = PortSet::empty();
        for &pi in engine.isolating(b, dir) {
            let policy = &self.cx.cluster.policies[pi];
            for rule in policy.rules(dir) {
                if rule_peers_match(policy, rule, near) {
                    ports.union_with(&rule_ports(rule, dst_ports));
                }
            }
        }
        ports
    }

    fn finding(&self, policy: &Policy, dir: Direction, i: usize, dead: &Dead) -> Diagnostic {
        const SHOWN: usize = 3;
        let policies = &self.cx.cluster.policies;
        // Policies written for these pods first: that is where a rule goes,
        // rather than in the namespace's default deny.
        let mut blockers: Vec<usize> = dead.blockers.iter().copied().collect();
        blockers.sort_by_key(|&p| (policies[p].selector.is_everything(), p));
        let names: Vec<String> = blockers
            .iter()
            .take(SHOWN)
            .map(|&p| format!("`{}`", policies[p].qualified_name()))
            .collect();
        let (message, far, side, fix) = match dir {
            Direction::Egress => (
                "egress rule allows traffic that the destination pods never admit",
                "isolates the destination pods for ingress and admits none of it",
                "ingress",
                "add an ingress rule admitting these pods to a policy of the destination",
            ),
            Direction::Ingress => (
                "ingress rule admits traffic that the source pods never send",
                "isolates the source pods for egress and allows none of it",
                "egress",
                "add an egress rule towards these pods to a policy of the source",
            ),
        };
        let mut d = Diagnostic::new(
            META.name,
            META.default_severity,
            policy.rule_span(dir, i),
            message,
        )
        .label(format!(
            "`{}` allows {}, which the other side's {side} policies block",
            rule_name(dir, i),
            if dead.ports.is_all() {
                "every port".to_string()
            } else {
                dead.ports.to_conn_string()
            }
        ));
        for &p in blockers.iter().take(SHOWN) {
            d = d.with_secondary(policies[p].origin.name_span(), far);
        }
        d.help(format!(
            "a connection needs the source's egress and the destination's ingress: {fix} \
             (such as {}), or remove this rule",
            names.join(", ")
        ))
        .object(policy.object())
    }
}

fn dir_index(dir: Direction) -> usize {
    match dir {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

/// Every port the rules of the policies isolating `class` in `dir` allow,
/// towards anyone; a named port counts as every port of its protocol.
fn upper_ports(cx: &Context<'_>, class: usize, dir: Direction) -> PortSet {
    let mut ports = PortSet::empty();
    for &pi in cx.engine.isolating(class, dir) {
        for rule in cx.cluster.policies[pi].rules(dir) {
            match &rule.ports {
                None => return PortSet::all(),
                Some(specs) => {
                    for spec in specs {
                        match spec {
                            PortSpec::Numbers(p) => ports.union_with(p),
                            PortSpec::Named { protocol, .. } => {
                                ports.union_with(&PortSet::all_of(*protocol));
                            }
                            PortSpec::Invalid => {}
                        }
                    }
                }
            }
        }
    }
    ports
}

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule;

    const PODS: &str = "\
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: i, ports: [{name: pg, containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: db}}}]
      ports: [{port: 5432}]
";

    fn lines(db_policy: &str) -> Vec<u32> {
        let (loaded, out) = run_rule(&super::OneWayAllow, &format!("{PODS}{db_policy}"));
        out.iter()
            .map(|d| loaded.sources.range(d.primary.span).0.line)
            .collect()
    }

    fn db_ingress(from: &str, ports: &str) -> String {
        format!(
            "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db-in, namespace: shop}}
spec:
  podSelector: {{matchLabels: {{app: db}}}}
  policyTypes: [Ingress]
  ingress:
    - from: [{from}]
      ports: [{ports}]
"
        )
    }

    #[test]
    fn an_open_far_end_keeps_the_flow_alive() {
        assert_eq!(lines(""), Vec::<u32>::new());
    }

    #[test]
    fn the_far_end_must_admit_some_of_the_ports() {
        let web = "{podSelector: {matchLabels: {app: web}}}";
        // By the named port, which is 5432 on db.
        assert_eq!(lines(&db_ingress(web, "{port: pg}")), Vec::<u32>::new());
        // Another port only: web's egress rule is dead, and so is db's
        // ingress rule (web never sends on 8080).
        assert_eq!(lines(&db_ingress(web, "{port: 8080}")), [22, 32]);
        // Another source only.
        let api = "{podSelector: {matchLabels: {app: api}}}";
        assert_eq!(lines(&db_ingress(api, "{port: 5432}")), [22]);
    }

    #[test]
    fn peers_that_may_reach_unseen_pods_are_not_judged() {
        // An empty `namespaceSelector` also matches namespaces the input
        // does not show, whose pods may admit the flow.
        let text = format!(
            "{}{}",
            PODS.replace(
                "{podSelector: {matchLabels: {app: db}}}",
                "{namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}"
            ),
            db_ingress("{podSelector: {matchLabels: {app: api}}}", "{port: 5432}")
        );
        let (_, out) = run_rule(&super::OneWayAllow, &text);
        assert!(out.is_empty(), "{out:?}");
    }
}
