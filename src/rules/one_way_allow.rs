//! `one-way-allow`: a rule that allows traffic the other end never lets
//! through: an egress rule towards pods whose ingress admits none of it, or
//! an ingress rule from pods whose egress never sends it.

use std::cell::{OnceCell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use crate::engine::{Engine, Peerish, rule_peers_match, rule_ports};
use crate::model::policy::{Direction, Policy, PolicyRule};
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
    /// Built on first use: only rules whose far end is wide need it.
    index: OnceCell<Index>,
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
    /// Classes no policy isolates for ingress, one of each
    /// `Kinds::ports`: an egress rule towards them is alive on any port it
    /// allows them.
    open_for_ingress: Vec<usize>,
    /// Whether some class is not isolated for egress: an ingress rule from
    /// it is alive on any port it allows.
    open_for_egress: bool,
    /// Per direction of the rule (ingress, egress): how many far rules the
    /// representatives' isolating policies have, the work of looking at
    /// every representative for one near class.
    scan_cost: [usize; 2],
    /// For egress rules: each policy isolating some class for ingress, with
    /// the classes it isolates, one of each `Kinds::ports`.
    ingress_isolators: OnceCell<HashMap<usize, Vec<usize>>>,
    /// For ingress rules: the policies isolating some class for egress.
    egress_isolators: OnceCell<HashSet<usize>>,
    /// Per direction of the rule (ingress, egress): the policies isolating
    /// the far classes in the other direction, as a finding shows them.
    blockers: [OnceCell<Vec<usize>>; 2],
}

/// For each pod class and direction, the rules of that direction whose
/// peers match it, among the policies that affect the direction: the far
/// rules that may let a near class through, without scanning every far
/// class. Rules share peers, so classes point at peers and peers at rules.
struct Index {
    /// Per class, the distinct pod peers matching it.
    of_class: Vec<Vec<u32>>,
    /// Per peer and direction (ingress, egress), the (policy, rule) pairs
    /// naming it.
    rules: Vec<[Vec<(usize, usize)>; 2]>,
    /// Per direction, the rules without peers, which match every pod.
    everyone: [Vec<(usize, usize)>; 2],
    /// Per class and direction, how many pairs `entries` yields.
    counts: Vec<[usize; 2]>,
}

impl Index {
    fn new<'a>(cx: &'a Context<'a>, peer_classes: &PeerClasses<'a>) -> Self {
        let engine = cx.engine;
        let mut ids: HashMap<PeerKey<'a>, u32> = HashMap::new();
        let mut index = Index {
            of_class: vec![Vec::new(); engine.classes.len()],
            rules: Vec::new(),
            everyone: [Vec::new(), Vec::new()],
            counts: Vec::new(),
        };
        for (pi, policy) in cx.cluster.policies.iter().enumerate() {
            for dir in [Direction::Ingress, Direction::Egress] {
                // A policy isolates nothing in a direction it does not affect.
                if !policy.affects(dir) {
                    continue;
                }
                let d = dir_index(dir);
                for (ri, rule) in policy.rules(dir).iter().enumerate() {
                    let Some(peers) = &rule.peers else {
                        index.everyone[d].push((pi, ri));
                        continue;
                    };
                    for peer in peers {
                        // Addresses and invalid peers match no pod.
                        let Peer::Pods { namespaces, pods } = peer else {
                            continue;
                        };
                        let scope = match namespaces {
                            NamespaceSel::Own => policy.namespace.as_str(),
                            NamespaceSel::Select(_) => "",
                        };
                        let next = index.rules.len() as u32;
                        let id = *ids.entry((scope, namespaces, pods)).or_insert(next);
                        if id == next {
                            index.rules.push([Vec::new(), Vec::new()]);
                            for &c in peer_classes.of(engine, policy, peer).iter() {
                                index.of_class[c].push(id);
                            }
                        }
                        let list = &mut index.rules[id as usize][d];
                        if list.last() != Some(&(pi, ri)) {
                            list.push((pi, ri));
                        }
                    }
                }
            }
        }
        index.counts = index
            .of_class
            .iter()
            .map(|ids| {
                [0, 1].map(|d| {
                    index.everyone[d].len()
                        + ids
                            .iter()
                            .map(|&id| index.rules[id as usize][d].len())
                            .sum::<usize>()
                })
            })
            .collect();
        index
    }

    /// The rules of direction `dir` whose peers match `class`, some maybe
    /// more than once.
    fn entries(&self, class: usize, dir: Direction) -> impl Iterator<Item = (usize, usize)> + '_ {
        let d = dir_index(dir);
        self.everyone[d].iter().copied().chain(
            self.of_class[class]
                .iter()
                .flat_map(move |&id| self.rules[id as usize][d].iter().copied()),
        )
    }
}

/// The direction of the far end's rules against a rule of `dir`.
fn opposite(dir: Direction) -> Direction {
    match dir {
        Direction::Ingress => Direction::Egress,
        Direction::Egress => Direction::Ingress,
    }
}

fn dir_index(dir: Direction) -> usize {
    match dir {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
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

/// How many of the policies stopping a dead rule its finding names.
const SHOWN: usize = 3;

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
            index: OnceCell::new(),
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
        let one_of_each = |kind: &[usize]| -> Vec<usize> {
            let mut seen = HashSet::new();
            classes
                .iter()
                .copied()
                .filter(|&c| seen.insert(kind[c]))
                .collect()
        };
        let of_egress_rules = one_of_each(&self.kinds.far_ingress);
        let of_ingress_rules = one_of_each(&self.kinds.far_egress);
        let engine = self.cx.engine;
        let mut seen = HashSet::new();
        let open_for_ingress = classes
            .iter()
            .copied()
            .filter(|&c| engine.isolating(c, Direction::Ingress).is_empty())
            .filter(|&c| seen.insert(self.kinds.ports[c]))
            .collect();
        let open_for_egress = classes
            .iter()
            .any(|&c| engine.isolating(c, Direction::Egress).is_empty());
        let scan = |reps: &[usize], dir: Direction| -> usize {
            reps.iter()
                .flat_map(|&b| engine.isolating(b, dir))
                .map(|&pi| self.cx.cluster.policies[pi].rules(dir).len())
                .sum()
        };
        let scan_cost = [
            scan(&of_ingress_rules, Direction::Egress),
            scan(&of_egress_rules, Direction::Ingress),
        ];
        Some(Far {
            classes,
            of_egress_rules,
            of_ingress_rules,
            open_for_ingress,
            open_for_egress,
            scan_cost,
            ingress_isolators: OnceCell::new(),
            egress_isolators: OnceCell::new(),
            blockers: [OnceCell::new(), OnceCell::new()],
        })
    }

    /// For an egress rule: each policy isolating some far class for
    /// ingress, with one of each `Kinds::ports` of the classes it isolates.
    fn ingress_isolators<'f>(&self, far: &'f Far) -> &'f HashMap<usize, Vec<usize>> {
        far.ingress_isolators.get_or_init(|| {
            let mut seen = HashSet::new();
            let mut map: HashMap<usize, Vec<usize>> = HashMap::new();
            for &b in &far.classes {
                for &pi in self.cx.engine.isolating(b, Direction::Ingress) {
                    if seen.insert((pi, self.kinds.ports[b])) {
                        map.entry(pi).or_default().push(b);
                    }
                }
            }
            map
        })
    }

    /// For an ingress rule: the policies isolating some far class for
    /// egress.
    fn egress_isolators<'f>(&self, far: &'f Far) -> &'f HashSet<usize> {
        far.egress_isolators.get_or_init(|| {
            far.classes
                .iter()
                .flat_map(|&b| self.cx.engine.isolating(b, Direction::Egress))
                .copied()
                .collect()
        })
    }

    /// The policies isolating the far end against a rule of `dir`, as a
    /// finding shows them. Rules towards the same pods share them, and
    /// a wide far end has many.
    fn blockers<'f>(&self, far: &'f Far, dir: Direction) -> &'f [usize] {
        far.blockers[dir_index(dir)].get_or_init(|| {
            let (reps, other) = match dir {
                Direction::Egress => (&far.of_egress_rules, Direction::Ingress),
                Direction::Ingress => (&far.of_ingress_rules, Direction::Egress),
            };
            let all: BTreeSet<usize> = reps
                .iter()
                .flat_map(|&b| self.cx.engine.isolating(b, other))
                .copied()
                .collect();
            self.shown(&all)
        })
    }

    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::new(self.cx, &self.peers))
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
        if self.alive(rule, dir, &near, &far) {
            return None;
        }
        // Dead towards every far class: what it would let through, and the
        // far end's policies that stop it.
        // Classes with the same isolating policies (and container ports,
        // where those resolve the rule's named ports) add the same ports and
        // blockers: look at one of each kind.
        let ports = match dir {
            // Without named ports the rule allows every far class the same:
            // all of them block it.
            Direction::Egress if !rule.has_named_ports() => rule_ports(rule, &[]),
            Direction::Egress => {
                let mut dead = Dead::default();
                for &b in &far.of_egress_rules {
                    let allowed = rule_ports(rule, &engine.classes[b].ports);
                    if !allowed.is_empty() {
                        dead.ports.union_with(&allowed);
                        dead.blockers
                            .extend(engine.isolating(b, Direction::Ingress).iter().copied());
                    }
                }
                if dead.ports.is_empty() {
                    return None;
                }
                return Some(self.finding(policy, dir, i, &dead));
            }
            Direction::Ingress => {
                let mut ports = PortSet::empty();
                let mut seen = HashSet::new();
                for &a in &near {
                    if seen.insert(self.kinds.ports[a]) {
                        ports.union_with(&rule_ports(rule, &engine.classes[a].ports));
                    }
                }
                ports
            }
        };
        if ports.is_empty() {
            return None;
        }
        Some(self.report(policy, dir, i, &ports, self.blockers(&far, dir)))
    }

    /// Whether some pair of a near class and a far class has a flow the
    /// rule allows and the far end lets through.
    fn alive(&self, rule: &PolicyRule, dir: Direction, near: &[usize], far: &Far) -> bool {
        if self.open_far_end(rule, dir, near, far) {
            return true;
        }
        // Either look at the far end's rules, one far class of each kind at a
        // time, or at the far rules that match the near classes, whichever
        // is less work: a rule towards many namespaces has many kinds of
        // far classes, and a near class matched by rules of many namespaces
        // has many far rules.
        let other = opposite(dir);
        let scan = far.scan_cost[dir_index(dir)].saturating_mul(near.len());
        let counts = &self.index().counts;
        let matched: usize = near.iter().map(|&a| counts[a][dir_index(other)]).sum();
        if scan <= matched {
            self.scan_far_classes(rule, dir, near, far)
        } else {
            self.match_far_rules(rule, dir, near, far)
        }
    }

    /// Whether some far class is not isolated against the rule and is
    /// allowed some port: it lets everything through.
    fn open_far_end(&self, rule: &PolicyRule, dir: Direction, near: &[usize], far: &Far) -> bool {
        let engine = self.cx.engine;
        // The destination's container ports resolve named ports.
        match dir {
            Direction::Egress => far
                .open_for_ingress
                .iter()
                .any(|&b| !rule_ports(rule, &engine.classes[b].ports).is_empty()),
            Direction::Ingress => {
                far.open_for_egress
                    && near
                        .iter()
                        .any(|&a| !rule_ports(rule, &engine.classes[a].ports).is_empty())
            }
        }
    }

    /// `alive` past `open_far_end`, by the far rules whose peers match a
    /// near class: one of them must belong to a policy isolating a far
    /// class and allow some of the rule's ports.
    fn match_far_rules(
        &self,
        rule: &PolicyRule,
        dir: Direction,
        near: &[usize],
        far: &Far,
    ) -> bool {
        let engine = self.cx.engine;
        let other = opposite(dir);
        let index = self.index();
        let policies = &self.cx.cluster.policies;
        match dir {
            Direction::Egress => {
                let isolators = self.ingress_isolators(far);
                near.iter().any(|&a| {
                    index.entries(a, other).any(|(pi, ri)| {
                        let Some(far_classes) = isolators.get(&pi) else {
                            return false;
                        };
                        let far_rule = &policies[pi].rules(other)[ri];
                        far_classes.iter().any(|&b| {
                            let dst_ports = &engine.classes[b].ports;
                            let allowed = rule_ports(rule, dst_ports);
                            !allowed.is_empty()
                                && rule_ports(far_rule, dst_ports).intersects(&allowed)
                        })
                    })
                })
            }
            Direction::Ingress => {
                let isolators = self.egress_isolators(far);
                near.iter().any(|&a| {
                    let dst_ports = &engine.classes[a].ports;
                    let allowed = rule_ports(rule, dst_ports);
                    !allowed.is_empty()
                        && index.entries(a, other).any(|(pi, ri)| {
                            isolators.contains(&pi)
                                && rule_ports(&policies[pi].rules(other)[ri], dst_ports)
                                    .intersects(&allowed)
                        })
                })
            }
        }
    }

    /// `alive`, by each near class and one far class of each kind.
    fn scan_far_classes(
        &self,
        rule: &PolicyRule,
        dir: Direction,
        near: &[usize],
        far: &Far,
    ) -> bool {
        let engine = self.cx.engine;
        let other = opposite(dir);
        // What the far end lets through depends on the far class only by
        // its kind: one representative of each is enough. The cluster-wide
        // class map is not used here: it is quadratic in the pods of
        // namespaces without policies, which this question never needs.
        let reps = match dir {
            Direction::Egress => &far.of_egress_rules,
            Direction::Ingress => &far.of_ingress_rules,
        };
        for &a in near {
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
                    return true;
                }
            }
        }
        false
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
        self.report(policy, dir, i, &dead.ports, &self.shown(&dead.blockers))
    }

    /// The blockers a finding names, in order.
    fn shown(&self, blockers: &BTreeSet<usize>) -> Vec<usize> {
        let policies = &self.cx.cluster.policies;
        // Policies written for these pods first: that is where a rule goes,
        // rather than in the namespace's default deny.
        let mut blockers: Vec<usize> = blockers.iter().copied().collect();
        blockers.sort_by_key(|&p| (policies[p].selector.is_everything(), p));
        blockers.truncate(SHOWN);
        blockers
    }

    /// The finding on a dead rule that lets `ports` through, stopped by
    /// `shown` among others.
    fn report(
        &self,
        policy: &Policy,
        dir: Direction,
        i: usize,
        ports: &PortSet,
        shown: &[usize],
    ) -> Diagnostic {
        let policies = &self.cx.cluster.policies;
        let names: Vec<String> = shown
            .iter()
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
            if ports.is_all() {
                "every port".to_string()
            } else {
                ports.to_conn_string()
            }
        ));
        for &p in shown {
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
    use crate::load::load_texts;
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
        let other = super::opposite(dir);
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

    /// Both ways of judging a rule past an open far end agree, whichever
    /// `alive` picks.
    fn both_ways(scope: &super::Scope<'_>, pi: usize, dir: Direction, i: usize) -> Option<bool> {
        let policy = &scope.cx.cluster.policies[pi];
        let rule = &policy.rules(dir)[i];
        let far = scope.far_classes(policy, dir, i)?;
        let near: Vec<usize> = scope.cx.engine.selected[pi]
            .iter()
            .copied()
            .filter(|&c| !scope.host[c])
            .collect();
        if near.is_empty() || far.classes.is_empty() || scope.open_far_end(rule, dir, &near, &far) {
            return None;
        }
        let by_far_classes = scope.scan_far_classes(rule, dir, &near, &far);
        let by_far_rules = scope.match_far_rules(rule, dir, &near, &far);
        assert_eq!(
            by_far_classes,
            by_far_rules,
            "{} {dir:?}[{i}]",
            policy.object()
        );
        Some(by_far_classes)
    }

    /// Policies admitting and sending some of the generated traffic: by
    /// pod or namespace selectors, numbered or named ports, or all ports.
    fn openings(seed: u64, namespaces: usize) -> String {
        const TIERS: [&str; 5] = ["web", "api", "worker", "db", "cache"];
        const PEERS: [&str; 4] = [
            "[{podSelector: {matchLabels: {tier: TIER}}}]",
            "[{namespaceSelector: {matchLabels: {team: payments}}, podSelector: {matchLabels: {tier: TIER}}}]",
            "[{namespaceSelector: {matchExpressions: [{key: team, operator: Exists}]}}]",
            "[{podSelector: {}}]",
        ];
        const PORTS: [&str; 5] = [
            "ports: [{port: http}]",
            "ports: [{port: 9090}]",
            "ports: [{port: 8000, endPort: 8050}, {port: sql}]",
            "ports: [{port: 5353, protocol: UDP}]",
            "",
        ];
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut below = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut text = String::new();
        for k in 0..3 * namespaces {
            let ns = below(namespaces);
            let tier = TIERS[below(TIERS.len())];
            let peer = PEERS[below(PEERS.len())].replace("TIER", TIERS[below(TIERS.len())]);
            let ports = PORTS[below(PORTS.len())];
            let (dir, key) = if below(2) == 0 {
                ("Ingress", "ingress:\n  - from")
            } else {
                ("Egress", "egress:\n  - to")
            };
            text.push_str(&format!(
                "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
                 metadata: {{name: open-{k}, namespace: ns-{ns:04}}}\nspec:\n  \
                 podSelector: {{matchLabels: {{tier: {tier}}}}}\n  policyTypes: [{dir}]\n  \
                 {key}: {peer}\n    {ports}\n"
            ));
        }
        text
    }

    #[test]
    fn agrees_with_the_pair_by_pair_definition() {
        let (mut dead_rules, mut alive_rules) = (0, 0);
        // Rules judged by the far end's rules, found alive and dead.
        let mut judged = [0, 0];
        for seed in 0..400 {
            let params = Params {
                namespaces: 1 + (seed % 6) as usize,
                workloads: 6 + (seed % 23) as usize,
                policies: 3 + (seed % 19) as usize,
                seed,
            };
            let mut files = synth::generate(&params);
            // Half of the clusters get policies that let some flows through
            // the far end's rules.
            if seed % 2 == 1 {
                let extra = openings(seed, params.namespaces);
                files.push(("extra.yaml".into(), extra));
            }
            let refs: Vec<(&str, &str)> = files
                .iter()
                .map(|(n, t)| (n.as_str(), t.as_str()))
                .collect();
            let loaded = load_texts(&refs);
            assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
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
                        if let Some(alive) = both_ways(&scope, pi, dir, i) {
                            judged[usize::from(alive)] += 1;
                        }
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
            dead_rules > 50 && alive_rules > 50 && judged.iter().all(|&n| n > 50),
            "{dead_rules} dead, {alive_rules} alive, {judged:?} judged by rules"
        );
    }
}
