//! `one-way-allow`: a rule that allows traffic the other end never lets
//! through: an egress rule towards pods whose ingress admits none of it, or
//! an ingress rule from pods whose egress never sends it.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use crate::engine::{Engine, Peerish, rule_peers_match, rule_ports};
use crate::model::policy::{Direction, Policy};
use crate::model::{ContainerPort, NamespaceSel, Peer, PortSet, PortSpec, Selector};
use crate::report::{Diagnostic, Severity};
use crate::rules::scope::{PeerClasses, peer_pods_known};
use crate::rules::support::{host_classes, namespaces_with_workloads};
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
        let scope = Scope::new(cx);
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
    peers: PeerClasses<'a>,
    kinds: Kinds,
    far: RefCell<HashMap<Vec<PeerKey<'a>>, Option<Rc<Far>>>>,
    /// Per class and direction (ingress, egress): every port the rules
    /// isolating it allow towards or from anyone, a named port counting as
    /// its whole protocol.
    upper: Vec<[PortSet; 2]>,
}

/// A pod peer: the policy's namespace when the peer has no
/// `namespaceSelector` (empty otherwise), its namespace part, its pod part.
type PeerKey<'a> = (&'a str, &'a NamespaceSel, &'a Selector);

/// The pods at the far end of a rule.
struct Far {
    /// Sorted; host-network classes left out.
    classes: Vec<usize>,
    /// One class of each `Kinds::far_ingress`, for egress rules.
    of_egress_rules: Vec<usize>,
    /// One class of each `Kinds::far_egress`, for ingress rules.
    of_ingress_rules: Vec<usize>,
}

/// Per class, a small number naming what the dead-rule report reads of it,
/// equal for classes that read the same.
struct Kinds {
    /// Ingress-isolating policies and container ports.
    far_ingress: Vec<usize>,
    /// Egress-isolating policies.
    far_egress: Vec<usize>,
    /// Container ports.
    ports: Vec<usize>,
}

impl Kinds {
    fn new(engine: &Engine<'_>) -> Self {
        let mut ids: HashMap<(&[usize], &[ContainerPort], u8), usize> = HashMap::new();
        let mut id = |key| {
            let next = ids.len();
            *ids.entry(key).or_insert(next)
        };
        let n = engine.classes.len();
        let mut kinds = Kinds {
            far_ingress: Vec::with_capacity(n),
            far_egress: Vec::with_capacity(n),
            ports: Vec::with_capacity(n),
        };
        for (c, class) in engine.classes.iter().enumerate() {
            let ports = class.ports.as_slice();
            kinds
                .far_ingress
                .push(id((engine.isolating(c, Direction::Ingress), ports, 0)));
            kinds
                .far_egress
                .push(id((engine.isolating(c, Direction::Egress), &[], 1)));
            kinds.ports.push(id((&[], ports, 2)));
        }
        kinds
    }
}

/// What a dead rule lets through on its side, and who stops it on the other.
#[derive(Default)]
struct Dead {
    ports: PortSet,
    /// Policies isolating the far ends.
    blockers: BTreeSet<usize>,
}

impl<'a> Scope<'a> {
    fn new(cx: &'a Context<'a>) -> Self {
        Scope {
            cx,
            has_workloads: namespaces_with_workloads(cx),
            host: host_classes(cx),
            peers: PeerClasses::default(),
            kinds: Kinds::new(cx.engine),
            far: RefCell::default(),
            upper: (0..cx.engine.classes.len())
                .map(|c| [Direction::Ingress, Direction::Egress].map(|d| upper_ports(cx, c, d)))
                .collect(),
        }
    }

    /// The peer classes of a rule, when they are all the input shows and the
    /// rule names nothing else. Rules repeat the same peers (every default
    /// deny names kube-dns), so the answer is kept per list of peers.
    fn far_classes(&self, policy: &'a Policy, dir: Direction, i: usize) -> Option<Rc<Far>> {
        let peers = policy.rules(dir)[i].peers.as_ref()?;
        let mut key: Vec<PeerKey<'a>> = Vec::with_capacity(peers.len());
        for peer in peers {
            match peer {
                // An address outside the cluster has no policy: always alive.
                Peer::IpBlock { .. } => return None,
                Peer::Invalid => {}
                Peer::Pods { namespaces, pods } => {
                    // Only a peer without `namespaceSelector` depends on the
                    // policy's namespace.
                    let scope = match namespaces {
                        NamespaceSel::Own => policy.namespace.as_str(),
                        NamespaceSel::Select(_) => "",
                    };
                    key.push((scope, namespaces, pods));
                }
            }
        }
        if let Some(found) = self.far.borrow().get(&key) {
            return found.clone();
        }
        let far = self.compute_far(policy, peers).map(Rc::new);
        self.far.borrow_mut().insert(key, far.clone());
        far
    }

    fn compute_far(&self, policy: &'a Policy, peers: &'a [Peer]) -> Option<Far> {
        let mut classes: Vec<usize> = Vec::new();
        for peer in peers {
            if let Peer::Pods { namespaces, .. } = peer {
                if !peer_pods_known(self.cx, policy, namespaces, &self.has_workloads) {
                    return None;
                }
                classes.extend(self.peers.of(self.cx.engine, policy, peer).iter());
            }
        }
        classes.sort_unstable();
        classes.dedup();
        classes.retain(|&c| !self.host[c]);
        let one_of_each = |kind: &[usize]| {
            let mut seen = HashSet::new();
            classes
                .iter()
                .copied()
                .filter(|&c| seen.insert(kind[c]))
                .collect()
        };
        let of_egress_rules = one_of_each(&self.kinds.far_ingress);
        let of_ingress_rules = one_of_each(&self.kinds.far_egress);
        Some(Far {
            classes,
            of_egress_rules,
            of_ingress_rules,
        })
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
        // With no pair there is no flow to judge.
        if near.is_empty() || far.classes.is_empty() {
            return None;
        }
        let other = match dir {
            Direction::Ingress => Direction::Egress,
            Direction::Egress => Direction::Ingress,
        };
        // What the far end lets through depends on the far class only by
        // its kind: one representative of each is enough. The cluster-wide
        // class map is not used here: it is quadratic in the pods of
        // namespaces without policies, which this question never needs.
        let reps = match dir {
            Direction::Egress => &far.of_egress_rules,
            Direction::Ingress => &far.of_ingress_rules,
        };
        for &a in &near {
            let class = &engine.classes[a];
            for &b in reps {
                // The destination's container ports resolve named ports.
                let dst_ports = match dir {
                    Direction::Egress => &engine.classes[b].ports,
                    Direction::Ingress => &class.ports,
                };
                let allowed = rule_ports(rule, dst_ports);
                if allowed.is_empty() {
                    continue;
                }
                if self.far_side(b, a, other, dst_ports, &allowed) {
                    return None;
                }
            }
        }
        // Dead towards every far class: what it would let through, and the
        // far end's policies that stop it.
        // Classes with the same isolating policies (and container ports,
        // where those resolve the rule's named ports) add the same ports and
        // blockers: look at one of each kind.
        let mut dead = Dead::default();
        match dir {
            Direction::Egress => {
                for &b in &far.of_egress_rules {
                    let allowed = rule_ports(rule, &engine.classes[b].ports);
                    if !allowed.is_empty() {
                        dead.ports.union_with(&allowed);
                        dead.blockers
                            .extend(engine.isolating(b, other).iter().copied());
                    }
                }
            }
            Direction::Ingress => {
                let mut seen = HashSet::new();
                for &a in &near {
                    if seen.insert(self.kinds.ports[a]) {
                        dead.ports
                            .union_with(&rule_ports(rule, &engine.classes[a].ports));
                    }
                }
                if !dead.ports.is_empty() {
                    for &b in &far.of_ingress_rules {
                        dead.blockers
                            .extend(engine.isolating(b, other).iter().copied());
                    }
                }
            }
        }
        if dead.ports.is_empty() {
            return None;
        }
        Some(self.finding(policy, dir, i, &dead))
    }

    /// Whether the far end `b` lets some of `allowed` through between it and
    /// `a` in direction `dir`: it is not isolated for `dir`, or a rule of a
    /// policy isolating it matches `a` on one of those ports.
    fn far_side(
        &self,
        b: usize,
        a: usize,
        dir: Direction,
        dst_ports: &[ContainerPort],
        allowed: &PortSet,
    ) -> bool {
        let engine = self.cx.engine;
        let isolating = engine.isolating(b, dir);
        if isolating.is_empty() {
            return true;
        }
        // Most dead pairs are dead on ports alone: skip matching peers then.
        let upper = match dir {
            Direction::Ingress => &self.upper[b][0],
            Direction::Egress => &self.upper[b][1],
        };
        if !upper.intersects(allowed) {
            return false;
        }
        let near = Peerish::Pod(engine.class_view(a));
        isolating.iter().any(|&pi| {
            let policy = &self.cx.cluster.policies[pi];
            policy.rules(dir).iter().any(|rule| {
                rule_peers_match(policy, rule, near)
                    && rule_ports(rule, dst_ports).intersects(allowed)
            })
        })
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

/// Every port the rules of the policies isolating `class` in `dir` allow,
/// towards anyone; a named port counts as every port of its protocol.
fn upper_ports(cx: &Context<'_>, class: usize, dir: Direction) -> PortSet {
    let mut ports = PortSet::empty();
    for &pi in cx.engine.isolating(class, dir) {
        for rule in cx.cluster.policies[pi].rules(dir) {
            let Some(specs) = &rule.ports else {
                return PortSet::all();
            };
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
    ports
}

#[cfg(test)]
mod tests {
    use super::Dead;
    use crate::engine::{Engine, Peerish, rule_ports};
    use crate::model::policy::Direction;
    use crate::rules::Context;
    use crate::rules::dns::DnsService;
    use crate::rules::walk::run_rule;
    use crate::synth::{self, Params};

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

    /// The rule's verdict, pair by pair, with `Engine::side` deciding what
    /// the far end lets through: the definition the per-kind shortcut must
    /// agree with.
    fn pairwise(scope: &super::Scope<'_>, pi: usize, dir: Direction, i: usize) -> Option<Dead> {
        let engine = scope.cx.engine;
        let policy = &scope.cx.cluster.policies[pi];
        let rule = &policy.rules(dir)[i];
        let far = scope.far_classes(policy, dir, i)?;
        let other = match dir {
            Direction::Ingress => Direction::Egress,
            Direction::Egress => Direction::Ingress,
        };
        let mut dead = Dead::default();
        for &a in engine.selected[pi].iter().filter(|&&c| !scope.host[c]) {
            for &b in &far.classes {
                let dst = if dir == Direction::Egress { b } else { a };
                let dst_ports = &engine.classes[dst].ports;
                let allowed = rule_ports(rule, dst_ports);
                if allowed.is_empty() {
                    continue;
                }
                let verdict = engine.side(
                    other,
                    engine.class_view(b),
                    Peerish::Pod(engine.class_view(a)),
                    dst_ports,
                );
                if !verdict.isolated() || verdict.ports.intersects(&allowed) {
                    return None;
                }
                dead.ports.union_with(&allowed);
                dead.blockers
                    .extend(engine.isolating(b, other).iter().copied());
            }
        }
        (!dead.ports.is_empty()).then_some(dead)
    }

    #[test]
    fn agrees_with_the_pair_by_pair_definition() {
        let (mut dead_rules, mut alive_rules) = (0, 0);
        for seed in 0..150 {
            let loaded = synth::load(&Params {
                namespaces: 1 + (seed % 4) as usize,
                workloads: 6 + (seed % 17) as usize,
                policies: 3 + (seed % 11) as usize,
                seed,
            });
            let engine = Engine::new(&loaded.cluster);
            let dns = DnsService::default();
            let cx = Context {
                cluster: &loaded.cluster,
                engine: &engine,
                sources: &loaded.sources,
                dns: &dns,
            };
            let scope = super::Scope::new(&cx);
            for (pi, policy) in loaded.cluster.policies.iter().enumerate() {
                for dir in [Direction::Ingress, Direction::Egress] {
                    for i in 0..policy.rules(dir).len() {
                        let want = pairwise(&scope, pi, dir, i)
                            .map(|dead| scope.finding(policy, dir, i, &dead));
                        let got = scope.check_rule(pi, dir, i);
                        assert_eq!(got, want, "seed {seed}, {} {dir:?}[{i}]", policy.object());
                        match got {
                            Some(_) => dead_rules += 1,
                            None => alive_rules += 1,
                        }
                    }
                }
            }
        }
        // The generator must exercise both verdicts for this to mean anything.
        assert!(
            dead_rules > 50 && alive_rules > 50,
            "{dead_rules} dead, {alive_rules} alive"
        );
    }
}
