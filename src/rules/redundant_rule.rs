//! `redundant-rule`: a rule, or a whole policy, that allows nothing other
//! rules do not already allow.
//!
//! A rule of policy P contributes, for each pod P selects and each far end
//! its peers match, the ports it allows between them. It is redundant when,
//! for every such pair, the other rules of the policies selecting that pod
//! in that direction allow those ports too. The comparison is over every
//! pod a selector can match, not only the pods the input runs: selector
//! implication decides (a peer `app=web` is covered by a peer
//! `app in (web,api)`, whatever pods exist), and named ports stay names,
//! since a pod added later may number them differently. External addresses
//! are compared exactly, piece by piece of the address space the ipBlocks
//! cut out. Coverage of every possible pod implies coverage of the input's
//! pods, so the input's pods need no separate pass; they matter only through
//! the labels of the Namespace objects it defines.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::engine::{Peerish, RuleRef, rule_peers_match};
use crate::model::ip::{Family, IpSet};
use crate::model::policy::{Direction, Policy};
use crate::model::selector::{Op, Requirement};
use crate::model::{
    NAME_LABEL, Namespace, NamespaceSel, Peer, PolicyRule, PortSet, PortSpec, Protocol, Selector,
};
use crate::report::{Diagnostic, Severity};
use crate::rules::implies::{implies, satisfiable};
use crate::rules::support::named_namespaces;
use crate::rules::walk::rule_name;
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::yaml::Node;

pub static META: RuleMeta = RuleMeta {
    name: "redundant-rule",
    default_severity: Severity::Info,
    summary: "a rule or a whole policy allows nothing that other rules do not already allow",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports an ingress or egress rule that allows nothing the other rules do not
already allow, and names the rule that covers it (or the rules whose union
does). For each pod the rule's policy selects and each source or
destination its peers match, the rule's ports must be allowed by the other
rules of the policies that select that pod in that direction. Pods are
compared by what the selectors can match, now or later, not only by the pods
the input runs:

- a peer `app: web` is covered by a peer `app in (web, api)` or by a rule
  with no peers, but not by a peer `tier: front`, even when every `app: web`
  pod of the input has that label;
- a policy's pods are covered by another policy's rules only when that
  policy selects all of them (`podSelector: {}` selects every pod of the
  namespace);
- a named port is covered by the same name or by every port of its
  protocol, not by the number it has on today's pods;
- external addresses are compared exactly, range by range.

Namespaces the input defines with a Namespace object are judged by their
labels: a peer for namespace `billing` is covered by a peer selecting
`team: payments` when `billing` has that label.

A whole policy is reported instead of its rules when all its rules are
covered by other policies and every pod it selects, now or later, is also
selected for the same directions by another policy, so that deleting it
changes nothing. Of two identical rules or policies, the later one is
reported.

## Why it matters

Redundant rules make policies longer and reviews slower, and they hide
intent: when the broad rule is narrowed later, the narrow one silently takes
over, or the other way round. A rule covered by a broader one often means
the broad one is broader than intended (`ports` forgotten, a
`namespaceSelector: {}` that was meant to be one namespace).

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
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
              app: api
      ports:
        - protocol: TCP
          port: 5432
    - from:
        - podSelector:
            matchLabels:
              app: api
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: db
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
              app: api
      ports:
        - protocol: TCP
          port: 5432
```

## Known problems

Coverage is recognised peer by peer: a peer `app in (web, api)` covered by
two rules, one for `app: web` and one for `app: api`, is not reported; nor
is a rule covered only because of the pods the input happens to run.
Policies the API server would reject (bad selectors, ports or policy types,
unknown fields) are left out, both as reported and as covering. Of several
definitions of the same policy only the last one is read. Rules of a
direction the policy's `policyTypes` does not list are
`policy-types-mismatch`'s. Deleting a rule this check reports is safe on its
own; the findings are chosen so that deleting all of them at once is too.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors
"#;

pub struct RedundantRule;

impl Rule for RedundantRule {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        Analysis::new(cx).run(out);
    }
}

/// Fields the API server knows, by kind of node; anything else makes it
/// reject the policy (`kubectl apply` validates strictly), and the loader
/// reports it as `invalid-field`.
const SPEC_FIELDS: &[&str] = &["podSelector", "policyTypes", "ingress", "egress"];
const RULE_FIELDS: &[&str] = &["from", "to", "ports"];
const PEER_FIELDS: &[&str] = &["podSelector", "namespaceSelector", "ipBlock"];
const PORT_FIELDS: &[&str] = &["port", "endPort", "protocol"];
const SELECTOR_FIELDS: &[&str] = &["matchLabels", "matchExpressions"];
const EXPRESSION_FIELDS: &[&str] = &["key", "operator", "values"];
const BLOCK_FIELDS: &[&str] = &["cidr", "except"];

/// Whether a mapping has a key outside `known`.
fn has_unknown(node: Option<&Node>, known: &[&str]) -> bool {
    node.and_then(Node::as_map).is_some_and(|entries| {
        entries
            .iter()
            .any(|(k, _)| !k.as_str().is_some_and(|k| known.contains(&k)))
    })
}

fn selector_has_unknown(node: Option<&Node>) -> bool {
    has_unknown(node, SELECTOR_FIELDS)
        || items(node.and_then(|n| n.get("matchExpressions")))
            .any(|e| has_unknown(Some(e), EXPRESSION_FIELDS))
}

fn items(node: Option<&Node>) -> impl Iterator<Item = &Node> {
    node.and_then(Node::as_seq).unwrap_or_default().iter()
}

/// Whether the spec as written has a field the API server does not know.
fn spec_has_unknown(policy: &Policy) -> bool {
    let spec = policy.origin.node.get("spec");
    if has_unknown(spec, SPEC_FIELDS)
        || selector_has_unknown(spec.and_then(|s| s.get("podSelector")))
    {
        return true;
    }
    let rules = ["ingress", "egress"]
        .into_iter()
        .flat_map(|key| items(spec.and_then(|s| s.get(key))));
    rules.into_iter().any(|rule| {
        let peers = ["from", "to"]
            .into_iter()
            .flat_map(|key| items(rule.get(key)));
        has_unknown(Some(rule), RULE_FIELDS)
            || items(rule.get("ports")).any(|p| has_unknown(Some(p), PORT_FIELDS))
            || peers.into_iter().any(|peer| {
                has_unknown(Some(peer), PEER_FIELDS)
                    || selector_has_unknown(peer.get("podSelector"))
                    || selector_has_unknown(peer.get("namespaceSelector"))
                    || has_unknown(peer.get("ipBlock"), BLOCK_FIELDS)
            })
    })
}

/// Whether the API server accepts a policy as far as the model can tell.
fn is_valid(policy: &Policy) -> bool {
    if spec_has_unknown(policy) {
        return false;
    }
    let types_ok = policy
        .spec
        .policy_types
        .iter()
        .flatten()
        .all(|t| t == "Ingress" || t == "Egress");
    let peer_ok = |p: &Peer| match p {
        Peer::Invalid => false,
        Peer::IpBlock { .. } => true,
        Peer::Pods { namespaces, pods } => {
            pods.is_valid()
                && match namespaces {
                    NamespaceSel::Own => true,
                    NamespaceSel::Select(s) => s.is_valid(),
                }
        }
    };
    let rule_ok = |r: &PolicyRule| {
        r.peers.iter().flatten().all(peer_ok)
            && r.ports
                .iter()
                .flatten()
                .all(|p| !matches!(p, PortSpec::Invalid))
    };
    types_ok
        && policy.selector.is_valid()
        && policy.ingress.iter().all(rule_ok)
        && policy.egress.iter().all(rule_ok)
}

/// The namespaces a peer covers, as a selector over namespace labels: the
/// policy's own namespace is the one whose name label is its name.
fn namespace_selector(policy: &Policy, ns: &NamespaceSel) -> Selector {
    match ns {
        NamespaceSel::Select(s) => s.clone(),
        NamespaceSel::Own => Selector {
            requirements: vec![Requirement {
                key: NAME_LABEL.to_string(),
                op: Op::In(vec![policy.namespace.clone()]),
            }],
        },
    }
}

/// The other end of a rule's traffic.
#[derive(Debug, Clone)]
enum Far {
    /// Every pod a peer can match: pods in the namespaces `namespaces`
    /// matches (by namespace labels) with labels `pods` matches.
    Pods {
        namespaces: Selector,
        pods: Selector,
    },
    /// One piece of the address space.
    Piece { family: Family, lo: u128, hi: u128 },
}

/// Whose container ports named ports resolve against.
#[derive(Clone, Copy)]
enum Dst {
    /// A pod: its named ports may be any number.
    Pod,
    /// An external address: named ports resolve to nothing.
    Address,
}

/// Ports allowed towards one destination; named ports stay names when the
/// destination's container ports are unknown.
#[derive(Debug, Default, Clone)]
struct Allow {
    numbers: PortSet,
    names: BTreeSet<(String, Protocol)>,
}

impl Allow {
    fn of(rule: &PolicyRule, dst: Dst) -> Allow {
        match dst {
            Dst::Address => Allow {
                numbers: rule.numeric_ports(),
                names: BTreeSet::new(),
            },
            Dst::Pod => Allow {
                numbers: rule.numeric_ports(),
                names: rule
                    .ports
                    .iter()
                    .flatten()
                    .filter_map(|p| match p {
                        PortSpec::Named { name, protocol } => Some((name.clone(), *protocol)),
                        _ => None,
                    })
                    .collect(),
            },
        }
    }

    fn is_empty(&self) -> bool {
        self.numbers.is_empty() && self.names.is_empty()
    }

    fn add(&mut self, other: &Allow) {
        self.numbers.union_with(&other.numbers);
        self.names.extend(other.names.iter().cloned());
    }

    /// Whether everything `self` allows, `other` allows too, whatever port
    /// numbers the names stand for.
    fn within(&self, other: &Allow) -> bool {
        self.numbers.is_subset(&other.numbers)
            && self.names.iter().all(|(name, proto)| {
                other.names.contains(&(name.clone(), *proto))
                    || PortSet::all_of(*proto).is_subset(&other.numbers)
            })
    }

    /// Whether `other` allows part of what `self` allows.
    fn overlaps(&self, other: &Allow) -> bool {
        self.numbers.intersects(&other.numbers)
            || self.names.iter().any(|(name, proto)| {
                other.names.contains(&(name.clone(), *proto))
                    || PortSet::all_of(*proto).intersects(&other.numbers)
            })
    }
}

struct Analysis<'a> {
    cx: &'a Context<'a>,
    /// Policies taken as existing: valid, not replaced by a later definition
    /// of the same name, not reported as redundant.
    alive: Vec<bool>,
    /// Rules reported as redundant: they cover nothing any more.
    removed: HashSet<RuleRef>,
    /// The policies of each namespace, by the selectors that may contain
    /// theirs.
    namespaces: Vec<SelectorIndex<'a>>,
    /// The entry of `namespaces` of each policy.
    namespace_of: Vec<usize>,
}

/// A rule that may cover another one.
type Other<'a> = (RuleRef, &'a PolicyRule);

impl<'a> Analysis<'a> {
    fn new(cx: &'a Context<'a>) -> Self {
        // The loader has moved the definitions later ones replace out of
        // `policies` already.
        let policies = &cx.cluster.policies;
        let alive: Vec<bool> = policies.iter().map(is_valid).collect();
        // A policy selects pods of its own namespace only, so only policies
        // of one namespace can select all of another's pods. Policies that
        // are not alive now never come back, so they are left out.
        let mut ids: HashMap<&str, usize> = HashMap::new();
        let mut members: Vec<Vec<(usize, &'a Selector)>> = Vec::new();
        let mut namespace_of = Vec::with_capacity(policies.len());
        for (pi, p) in policies.iter().enumerate() {
            let id = *ids.entry(&p.namespace).or_insert_with(|| {
                members.push(Vec::new());
                members.len() - 1
            });
            namespace_of.push(id);
            if alive[pi] {
                members[id].push((pi, &p.selector));
            }
        }
        Analysis {
            cx,
            alive,
            removed: HashSet::new(),
            namespaces: members.into_iter().map(SelectorIndex::new).collect(),
            namespace_of,
        }
    }

    fn policy(&self, pi: usize) -> &'a Policy {
        &self.cx.cluster.policies[pi]
    }

    fn run(&mut self, out: &mut Vec<Diagnostic>) {
        let n = self.cx.cluster.policies.len();
        // Later definitions first: of two equal policies or rules, the later
        // is reported and the earlier one stays as what covers it.
        for pi in (0..n).rev() {
            if self.alive[pi]
                && let Some(by) = self.policy_cover(pi)
            {
                self.alive[pi] = false;
                out.push(self.policy_finding(pi, &by));
            }
        }
        for pi in (0..n).rev() {
            if !self.alive[pi] {
                continue;
            }
            for dir in [Direction::Ingress, Direction::Egress] {
                if !self.policy(pi).affects(dir) {
                    continue;
                }
                for i in (0..self.policy(pi).rules(dir).len()).rev() {
                    let r = RuleRef {
                        policy: pi,
                        direction: dir,
                        rule: i,
                    };
                    let removed = &self.removed;
                    if let Some(used) = self.cover(r, &|o| !removed.contains(&o)) {
                        let single = self.single_cover(r, &used);
                        out.push(self.rule_finding(r, &used, single));
                        self.removed.insert(r);
                    }
                }
            }
        }
    }

    /// The live policies that select, for `dir`, every pod policy `pi`
    /// selects (`pi` included), in input order.
    fn selecting(&self, pi: usize, dir: Direction) -> Vec<usize> {
        let p = self.policy(pi);
        self.namespaces[self.namespace_of[pi]]
            .candidates(&p.selector)
            .into_iter()
            .filter(|&q| {
                let other = self.policy(q);
                self.alive[q] && other.affects(dir) && implies(&p.selector, &other.selector)
            })
            .collect()
    }

    /// The rules of the policies selecting every pod `r`'s policy selects
    /// for `r`'s direction, other than `r`, that `usable` accepts: only
    /// these can cover `r`.
    fn others(&self, r: RuleRef, usable: &dyn Fn(RuleRef) -> bool) -> Vec<Other<'a>> {
        let dir = r.direction;
        let mut out = Vec::new();
        for qi in self.selecting(r.policy, dir) {
            for (k, rule) in self.policy(qi).rules(dir).iter().enumerate() {
                let o = RuleRef {
                    policy: qi,
                    direction: dir,
                    rule: k,
                };
                if o != r && usable(o) {
                    out.push((o, rule));
                }
            }
        }
        out
    }

    /// What a rule's peers match: pods first, then addresses, in pieces on
    /// which each of `others` matches all addresses or none.
    fn far_ends(&self, pi: usize, rule: &PolicyRule, others: &[Other<'_>]) -> Vec<Far> {
        let policy = self.policy(pi);
        let mut out = Vec::new();
        match &rule.peers {
            None => out.push(Far::Pods {
                namespaces: Selector::everything(),
                pods: Selector::everything(),
            }),
            Some(peers) => {
                for peer in peers {
                    if let Peer::Pods { namespaces, pods } = peer {
                        let namespaces = namespace_selector(policy, namespaces);
                        if self.namespaces_possible(&namespaces) && satisfiable(pods) {
                            out.push(Far::Pods {
                                namespaces,
                                pods: pods.clone(),
                            });
                        }
                    }
                }
            }
        }
        out.extend(
            address_pieces(rule, others)
                .into_iter()
                .map(|(family, lo, hi)| Far::Piece { family, lo, hi }),
        );
        out
    }

    /// Egress to an address resolves no named port; every other pair has a
    /// pod at the destination.
    fn dst(dir: Direction, far: &Far) -> Dst {
        match (dir, far) {
            (Direction::Egress, Far::Piece { .. }) => Dst::Address,
            _ => Dst::Pod,
        }
    }

    /// Whether rule `rule` of policy `qi` matches a far end.
    fn matches(&self, qi: usize, rule: &PolicyRule, far: &Far) -> bool {
        let policy = self.policy(qi);
        match far {
            Far::Piece { family, lo, hi } => rule_peers_match(
                policy,
                rule,
                Peerish::Ip {
                    family: *family,
                    lo: *lo,
                    hi: *hi,
                },
            ),
            Far::Pods { namespaces, pods } => match &rule.peers {
                None => true,
                Some(peers) => peers.iter().any(|q| match q {
                    Peer::Pods {
                        namespaces: q_ns,
                        pods: q_pods,
                    } => {
                        implies(pods, q_pods)
                            && self.namespaces_within(namespaces, &namespace_selector(policy, q_ns))
                    }
                    _ => false,
                }),
            },
        }
    }

    /// The namespaces a selector pins by name, when the input defines each
    /// of them with a Namespace object: only then are their labels known.
    fn pinned_namespaces(&self, sel: &Selector) -> Option<Vec<&'a Namespace>> {
        let cluster = self.cx.cluster;
        named_namespaces(sel)?
            .iter()
            .map(|n| cluster.namespace(n).filter(|ns| ns.origin.is_some()))
            .collect()
    }

    /// Whether a namespace selector may match some namespace.
    fn namespaces_possible(&self, sel: &Selector) -> bool {
        match self.pinned_namespaces(sel) {
            Some(pinned) => pinned.iter().any(|ns| sel.matches(&ns.labels)),
            None => satisfiable(sel),
        }
    }

    /// Whether every namespace `sub` matches, `sup` matches. Namespaces the
    /// input defines are judged by their labels; others by implication.
    fn namespaces_within(&self, sub: &Selector, sup: &Selector) -> bool {
        match self.pinned_namespaces(sub) {
            Some(pinned) => pinned
                .iter()
                .all(|ns| !sub.matches(&ns.labels) || sup.matches(&ns.labels)),
            None => implies(sub, sup),
        }
    }

    /// The rules that together cover rule `r`, using only rules `usable`
    /// accepts; `None` when `r` allows something they do not, or allows
    /// nothing at all.
    fn cover(&self, r: RuleRef, usable: &dyn Fn(RuleRef) -> bool) -> Option<BTreeSet<RuleRef>> {
        self.cover_by(r, &self.others(r, usable))
    }

    /// The rules of `others` that together cover rule `r`, as `cover`.
    fn cover_by(&self, r: RuleRef, others: &[Other<'_>]) -> Option<BTreeSet<RuleRef>> {
        let dir = r.direction;
        let rule = &self.policy(r.policy).rules(dir)[r.rule];
        // A policy that selects nothing has nothing to cover.
        if !satisfiable(&self.policy(r.policy).selector) {
            return None;
        }
        let fars = self.far_ends(r.policy, rule, others);
        let mut used = BTreeSet::new();
        let mut allows_something = false;
        for far in &fars {
            let dst = Self::dst(dir, far);
            let want = Allow::of(rule, dst);
            if want.is_empty() {
                continue;
            }
            allows_something = true;
            let mut have = Allow::default();
            for &(o, other) in others {
                if !self.matches(o.policy, other, far) {
                    continue;
                }
                let got = Allow::of(other, dst);
                if want.overlaps(&got) {
                    used.insert(o);
                }
                have.add(&got);
            }
            if !want.within(&have) {
                return None;
            }
        }
        allows_something.then_some(used)
    }

    /// One rule that covers `r` alone, preferring the rule's own policy.
    fn single_cover(&self, r: RuleRef, used: &BTreeSet<RuleRef>) -> Option<RuleRef> {
        let mut candidates = self.others(r, &|o| used.contains(&o));
        candidates.sort_by_key(|(c, _)| (c.policy != r.policy, *c));
        candidates
            .into_iter()
            .find(|&c| self.cover_by(r, &[c]).is_some())
            .map(|(c, _)| c)
    }

    /// The policies that make policy `pi` redundant, if it is: all its rules
    /// are covered by other policies, and every pod it selects is selected
    /// by another policy for each direction it affects.
    fn policy_cover(&self, pi: usize) -> Option<BTreeSet<usize>> {
        let policy = self.policy(pi);
        if !satisfiable(&policy.selector) {
            return None;
        }
        let mut by = BTreeSet::new();
        let mut affects_any = false;
        for dir in [Direction::Ingress, Direction::Egress] {
            if !policy.affects(dir) {
                continue;
            }
            affects_any = true;
            let others: Vec<usize> = self
                .selecting(pi, dir)
                .into_iter()
                .filter(|&q| q != pi)
                .collect();
            if others.is_empty() {
                return None;
            }
            let mut rules_by = BTreeSet::new();
            for i in 0..policy.rules(dir).len() {
                let r = RuleRef {
                    policy: pi,
                    direction: dir,
                    rule: i,
                };
                let used = self.cover(r, &|o| o.policy != pi)?;
                rules_by.extend(used.iter().map(|o| o.policy));
            }
            // Name one policy for the isolation, unless a covering one
            // isolates these pods already: the namespace's default first.
            if !others.iter().any(|q| rules_by.contains(q)) {
                let isolating = others
                    .iter()
                    .copied()
                    .find(|&q| self.policy(q).selector.is_everything())
                    .unwrap_or(others[0]);
                by.insert(isolating);
            }
            by.extend(rules_by);
        }
        affects_any.then_some(by)
    }

    /// `spec.ingress[1]`, with the policy when it is not `pi`.
    fn describe(&self, r: RuleRef, pi: usize) -> String {
        let name = rule_name(r.direction, r.rule);
        if r.policy == pi {
            format!("`{name}`")
        } else {
            format!("`{name}` of `{}`", self.policy(r.policy).qualified_name())
        }
    }

    fn rule_finding(
        &self,
        r: RuleRef,
        used: &BTreeSet<RuleRef>,
        single: Option<RuleRef>,
    ) -> Diagnostic {
        const SHOWN: usize = 4;
        let policy = self.policy(r.policy);
        let this = rule_name(r.direction, r.rule);
        let message = match single {
            Some(c) => format!(
                "`{this}` allows nothing that {} does not already allow",
                self.describe(c, r.policy)
            ),
            None => {
                let names: Vec<String> = used.iter().map(|&o| self.describe(o, r.policy)).collect();
                format!(
                    "`{this}` allows nothing beyond the union of {}",
                    join_and(&names)
                )
            }
        };
        let mut d = Diagnostic::new(
            META.name,
            META.default_severity,
            policy.rule_span(r.direction, r.rule),
            message,
        )
        .label("redundant rule");
        let shown: Vec<RuleRef> = match single {
            Some(c) => vec![c],
            None => used.iter().copied().take(SHOWN).collect(),
        };
        for o in shown {
            let text = if single.is_some() {
                "covers it"
            } else {
                "covers part of it"
            };
            d = d.with_secondary(self.policy(o.policy).rule_span(o.direction, o.rule), text);
        }
        d.help(
            "remove the rule; if the covering rule allows more than intended, narrow that \
             one instead",
        )
        .object(policy.object())
    }

    fn policy_finding(&self, pi: usize, by: &BTreeSet<usize>) -> Diagnostic {
        const SHOWN: usize = 4;
        let policy = self.policy(pi);
        let names: Vec<String> = by
            .iter()
            .map(|&q| format!("`{}`", self.policy(q).qualified_name()))
            .collect();
        let mut d = Diagnostic::new(
            META.name,
            META.default_severity,
            policy.origin.name_span(),
            format!(
                "NetworkPolicy `{}` allows and isolates nothing beyond what {} already {}",
                policy.qualified_name(),
                join_and(&names),
                if names.len() == 1 { "does" } else { "do" }
            ),
        )
        .label("redundant policy");
        for &q in by.iter().take(SHOWN) {
            d = d.with_secondary(self.policy(q).origin.name_span(), "covers it");
        }
        d.help(
            "other policies select every pod this one selects, for the same directions, and \
             allow everything its rules allow: remove it",
        )
        .object(policy.object())
    }
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => "other rules".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The ipBlock of a peer.
fn block(peer: &Peer) -> Option<&IpSet> {
    match peer {
        Peer::IpBlock { set } => Some(set),
        _ => None,
    }
}

/// The addresses a rule's peers match (every address when it has no peers),
/// as pieces cut at the bounds of its own ipBlocks and of those of `others`:
/// each block is a union of whole pieces, so every rule involved matches all
/// of a piece or none of it. Blocks of unrelated rules are not cut at: they
/// would only split a piece into parts with the same verdict.
fn address_pieces(rule: &PolicyRule, others: &[Other<'_>]) -> Vec<(Family, u128, u128)> {
    let own: Option<Vec<&IpSet>> = rule
        .peers
        .as_ref()
        .map(|peers| peers.iter().filter_map(block).collect());
    if own.as_ref().is_some_and(Vec::is_empty) {
        return Vec::new();
    }
    let cuts = cuts(own.as_deref(), others);
    let piece = |i: usize| {
        let (family, lo) = cuts[i];
        let hi = match cuts.get(i + 1) {
            Some(&(f, next)) if f == family => next - 1,
            _ => family.max_value(),
        };
        (family, lo, hi)
    };
    let Some(own) = own else {
        return (0..cuts.len()).map(piece).collect();
    };
    // The rule's ranges start at a cut and end just before one (or at the
    // family's last address), so the pieces inside a range are those that
    // start in it.
    let mut out = Vec::new();
    for set in own {
        let family = set.family();
        for &(lo, hi) in set.ranges() {
            let first = cuts.partition_point(|&c| c < (family, lo));
            let inside = cuts[first..]
                .iter()
                .take_while(|&&(f, c)| f == family && c <= hi)
                .count();
            out.extend((first..first + inside).map(piece));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Where `address_pieces` cuts, ascending: each family's first address and
/// the bounds of the blocks, `own` (every address when `None`) and those of
/// `others`' peers.
fn cuts(own: Option<&[&IpSet]>, others: &[Other<'_>]) -> Vec<(Family, u128)> {
    // Cuts outside the rule's own addresses only split pieces it does not
    // match (its own ranges end at a cut), so other rules' cuts are kept
    // only inside them.
    let covered = own.map(|sets| {
        Family::ALL.map(|f| sets.iter().fold(IpSet::empty(f), |all, set| all.union(set)))
    });
    let wanted = |family: Family, at: u128| {
        covered.as_ref().is_none_or(|sets| {
            sets.iter()
                .any(|s| s.family() == family && s.contains_addr(at))
        })
    };
    let mut cuts: Vec<(Family, u128)> = Family::ALL.iter().map(|&f| (f, 0)).collect();
    let mut cut = |set: &IpSet, only_wanted: bool| {
        let family = set.family();
        for &(lo, hi) in set.ranges() {
            let bounds = [Some(lo), (hi < family.max_value()).then(|| hi + 1)];
            for at in bounds.into_iter().flatten() {
                if !only_wanted || wanted(family, at) {
                    cuts.push((family, at));
                }
            }
        }
    };
    for &set in own.into_iter().flatten() {
        cut(set, false);
    }
    for (_, r) in others {
        for set in r.peers.iter().flatten().filter_map(block) {
            cut(set, true);
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// Where a selector is filed in a `SelectorIndex`, and what a selector
/// looks up there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Bucket<'s> {
    /// A value an `In` requirement (or `matchLabels`) lists for a key.
    Value(&'s str, &'s str),
    /// A key some requirement needs present: `In` or `Exists`.
    Present(&'s str),
    /// A key some requirement constrains.
    Mentioned(&'s str),
}

/// The buckets a selector looks up: for each of its requirements, the key,
/// whether it needs the key present, and the values it lists.
fn lookups<'s>(sel: &'s Selector) -> impl Iterator<Item = Bucket<'s>> {
    sel.requirements.iter().flat_map(|r| {
        let key = r.key.as_str();
        let present = matches!(r.op, Op::In(_) | Op::Exists).then_some(key);
        let values = match &r.op {
            Op::In(values) => values.as_slice(),
            _ => &[],
        };
        std::iter::once(Bucket::Mentioned(key))
            .chain(present.map(Bucket::Present))
            .chain(values.iter().map(move |v| Bucket::Value(key, v)))
    })
}

/// Where one requirement of a selector `sup` may be filed: a bucket that
/// every satisfiable selector implying `sup` looks up (see `lookups`), or
/// `None` when every selector meets the requirement.
///
/// `implies(sub, sup)` needs each requirement of `sup` to allow, for its
/// key, everything `sub` allows there, and `sub` allows every label set on a
/// key it does not constrain. So, for a `sub` that matches something:
/// - `In` (and `matchLabels`) allows the key only present, with a listed
///   value. Of `sub`'s requirements only an `In` bounds the values of a
///   present key to a finite list (`NotIn` and `Exists` leave infinitely
///   many), and `sub` allows some value, on each of its `In` lists for the
///   key: one of its `In`s lists a value this one lists;
/// - `Exists` rejects a missing key: `sub` must need the key, with `In`
///   or `Exists`;
/// - `NotIn` and `DoesNotExist` reject some labels: `sub` must constrain
///   the key at all;
/// - `NotIn` with no values rejects nothing (the API server does not
///   accept it, but nothing here depends on that);
/// - `In` with no values and unknown operators match nothing, so only a
///   selector matching nothing implies them: an empty bucket list.
fn filings(r: &Requirement) -> Option<Vec<Bucket<'_>>> {
    let key = r.key.as_str();
    match &r.op {
        Op::In(values) => {
            let mut values: Vec<&str> = values.iter().map(String::as_str).collect();
            values.sort_unstable();
            values.dedup();
            Some(values.into_iter().map(|v| Bucket::Value(key, v)).collect())
        }
        Op::Exists => Some(vec![Bucket::Present(key)]),
        Op::NotIn(values) if values.is_empty() => None,
        Op::NotIn(_) | Op::DoesNotExist => Some(vec![Bucket::Mentioned(key)]),
        Op::Invalid => Some(Vec::new()),
    }
}

/// The selectors of one namespace's policies, filed so that those a given
/// selector may imply are found without comparing it with all of them.
/// Only a pre-filter: `implies` decides among the candidates.
struct SelectorIndex<'s> {
    /// Every id, ascending.
    all: Vec<usize>,
    /// Selectors every selector implies (empty ones: every pod).
    always: Vec<usize>,
    buckets: HashMap<Bucket<'s>, Vec<usize>>,
}

impl<'s> SelectorIndex<'s> {
    /// Indexes `(id, selector)` pairs given by ascending id.
    fn new(entries: Vec<(usize, &'s Selector)>) -> Self {
        // Each selector is filed under one requirement (all requirements must
        // hold, so any one of them is a necessary condition), the one whose
        // buckets the fewest selectors of the namespace look up: a label
        // every policy of the namespace pins, `team: x`, would make a bucket
        // that every selector hits.
        let mut hits: HashMap<Bucket<'s>, usize> = HashMap::new();
        for (_, sel) in &entries {
            for b in lookups(sel) {
                *hits.entry(b).or_default() += 1;
            }
        }
        let mut index = SelectorIndex {
            all: entries.iter().map(|&(id, _)| id).collect(),
            always: Vec::new(),
            buckets: HashMap::new(),
        };
        for (id, sel) in entries {
            let best = sel
                .requirements
                .iter()
                .filter_map(filings)
                .min_by_key(|bs| {
                    bs.iter()
                        .map(|b| hits.get(b).copied().unwrap_or(0))
                        .sum::<usize>()
                });
            match best {
                None => index.always.push(id),
                Some(bs) => {
                    for b in bs {
                        index.buckets.entry(b).or_default().push(id);
                    }
                }
            }
        }
        index
    }

    /// The ids whose selectors `sel` may imply, ascending; a superset of
    /// those it does imply.
    fn candidates(&self, sel: &Selector) -> Vec<usize> {
        // A selector that matches nothing implies every selector.
        if !satisfiable(sel) {
            return self.all.clone();
        }
        let mut out = self.always.clone();
        for b in lookups(sel) {
            if let Some(ids) = self.buckets.get(&b) {
                out.extend_from_slice(ids);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::SelectorIndex;
    use crate::model::Selector;
    use crate::model::selector::{Op, Requirement};
    use crate::rules::implies::{implies, satisfiable};
    use crate::rules::walk::run_rule;

    /// `(line, message)` of each finding.
    fn findings(text: &str) -> Vec<(u32, String)> {
        let (loaded, out) = run_rule(&super::RedundantRule, text);
        let mut got: Vec<(u32, String)> = out
            .into_iter()
            .map(|d| (loaded.sources.range(d.primary.span).0.line, d.message))
            .collect();
        got.sort();
        got
    }

    fn policy(name: &str, selector: &str, dir: &str, rules: &str) -> String {
        format!(
            "---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: {name}, namespace: shop}}
spec:
  podSelector: {selector}
  policyTypes: [{dir}]
  {}:
{rules}",
            dir.to_lowercase()
        )
    }

    const PODS: &str = "\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web, tier: front}}
spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: i, ports: [{name: pg, containerPort: 5432}]}]}
";

    #[test]
    fn a_rule_inside_another_is_reported_with_its_cover() {
        let text = policy(
            "db",
            "{matchLabels: {app: db}}",
            "Ingress",
            "    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 5432}]
    - from: [{podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}}]
",
        );
        let got = findings(&text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].0, 9);
        assert!(got[0].1.contains("`spec.ingress[1]` does not"), "{got:?}");
        // With the pods of the input too.
        assert_eq!(findings(&format!("{PODS}{text}")).len(), 1);
    }

    #[test]
    fn unions_of_rules_cover_and_are_named() {
        let text = policy(
            "db",
            "{matchLabels: {app: db}}",
            "Ingress",
            "    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 80}]
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 443}]
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 80}, {port: 443}]
",
        );
        let got = findings(&format!("{PODS}{text}"));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0]
                .1
                .contains("union of `spec.ingress[0]` and `spec.ingress[1]`"),
            "{got:?}"
        );
    }

    #[test]
    fn what_only_the_input_pods_make_equal_is_not_reported() {
        // Every `app: web` pod of the input has `tier: front`, but a later
        // `app: web` pod need not.
        let text = policy(
            "db",
            "{matchLabels: {app: db}}",
            "Ingress",
            "    - from: [{podSelector: {matchLabels: {app: web}}}]
    - from: [{podSelector: {matchLabels: {tier: front}}}]
",
        );
        assert_eq!(findings(&format!("{PODS}{text}")), []);
    }

    #[test]
    fn identical_policies_report_the_later_one_only() {
        let rules = "    - from: [{podSelector: {matchLabels: {app: web}}}]\n";
        let text = format!(
            "{}{}",
            policy("a", "{matchLabels: {app: db}}", "Ingress", rules),
            policy("b", "{matchLabels: {app: db}}", "Ingress", rules)
        );
        let got = findings(&format!("{PODS}{text}"));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].1.starts_with("NetworkPolicy `shop/b` allows"),
            "{got:?}"
        );
    }

    #[test]
    fn default_deny_is_redundant_only_under_a_wider_one() {
        let narrow = policy("narrow", "{matchLabels: {app: db}}", "Ingress", "");
        let wide = policy("wide", "{}", "Ingress", "");
        let got = findings(&format!("{PODS}{narrow}{wide}"));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.contains("`shop/narrow`"), "{got:?}");
        // The narrow default deny does not make the wide one redundant.
        assert_eq!(findings(&format!("{PODS}{wide}{narrow}")).len(), 1);
    }

    #[test]
    fn named_ports_resolve_per_pod() {
        // On the db pod, `pg` is 5432: the numeric rule covers it.
        let text = policy(
            "db",
            "{matchLabels: {app: db}}",
            "Ingress",
            "    - ports: [{port: 5432}]
    - ports: [{port: pg}]
",
        );
        // An unseen pod with `app: db` may name another port `pg`.
        assert_eq!(findings(&format!("{PODS}{text}")), []);
        let text = text.replace("ports: [{port: 5432}]", "ports: [{port: pg}, {port: 1}]");
        assert_eq!(findings(&format!("{PODS}{text}")).len(), 1);
    }

    #[test]
    fn ip_blocks_are_compared_by_address() {
        let text = policy(
            "db",
            "{matchLabels: {app: db}}",
            "Egress",
            "    - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    - to: [{ipBlock: {cidr: 10.2.0.0/16}}]
    - to: [{ipBlock: {cidr: 10.1.0.0/16}}]
",
        );
        let got = findings(&format!("{PODS}{text}"));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].1.contains("`spec.egress[1]`"), "{got:?}");
    }

    #[test]
    fn a_rule_without_peers_is_covered_by_blocks_and_pods_together() {
        // The other policy's block cuts no piece that matters here.
        let other = policy(
            "web",
            "{matchLabels: {app: web}}",
            "Egress",
            "    - to: [{ipBlock: {cidr: 192.168.1.0/24}}]\n",
        );
        let rules = "    - to: [{ipBlock: {cidr: 0.0.0.0/1}}]
    - to: [{ipBlock: {cidr: 128.0.0.0/1, except: [192.168.0.0/16]}}]
    - to: [{ipBlock: {cidr: 192.168.0.0/16}}]
    - to: [{ipBlock: {cidr: '::/0'}}]
    - to: [{namespaceSelector: {}}]
    - ports: [{port: 443}]
";
        let db = policy("db", "{matchLabels: {app: db}}", "Egress", rules);
        let got = findings(&format!("{PODS}{other}{db}"));
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0]
                .1
                .contains("`spec.egress[5]` allows nothing beyond the union"),
            "{got:?}"
        );
        // Without `192.168.0.0/16` that rule alone allows some traffic.
        let db = db.replace("    - to: [{ipBlock: {cidr: 192.168.0.0/16}}]\n", "");
        assert_eq!(findings(&format!("{PODS}{other}{db}")), []);
    }

    /// xorshift64*: a fixed sequence, so that a failure replays.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
        }

        fn values(&mut self, min: usize) -> Vec<String> {
            // Few values, so that selectors often share, repeat or exclude
            // them.
            let n = min + self.below(3);
            (0..n)
                .map(|_| ["a", "b", "c"][self.below(3)].to_string())
                .collect()
        }
    }

    /// A selector over three keys and three values: `matchLabels`, every
    /// operator, the empty selector, and by chance contradictions such as
    /// `app=a,app=b` or `app,!app`; now and then one that is contradictory
    /// on purpose or holds what only code (not the API server) builds.
    fn random_selector(rng: &mut Rng) -> Selector {
        let mut requirements = Vec::new();
        for _ in 0..rng.below(4) {
            let key = ["app", "tier", "env"][rng.below(3)].to_string();
            let op = match rng.below(20) {
                0..=5 => Op::In(rng.values(1).into_iter().take(1).collect()),
                6..=8 => Op::In(rng.values(1)),
                9..=11 => Op::NotIn(rng.values(1)),
                12..=14 => Op::Exists,
                15..=17 => Op::DoesNotExist,
                18 => Op::NotIn(Vec::new()),
                _ => [Op::In(Vec::new()), Op::Invalid][rng.below(2)].clone(),
            };
            requirements.push(Requirement { key, op });
        }
        if rng.below(15) == 0 {
            let key = requirements
                .first()
                .map_or("app".to_string(), |r| r.key.clone());
            requirements.push(Requirement {
                key,
                op: Op::DoesNotExist,
            });
            requirements.push(Requirement {
                key: requirements[0].key.clone(),
                op: Op::Exists,
            });
        }
        Selector { requirements }
    }

    #[test]
    fn the_selector_index_misses_no_implied_selector() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut pairs, mut candidates, mut implied, mut contradictions) = (0, 0, 0, 0);
        for round in 0..300 {
            let sels: Vec<Selector> = (0..1 + rng.below(80))
                .map(|_| random_selector(&mut rng))
                .collect();
            // Ids as the analysis has them: ascending, with gaps.
            let id = |i: usize| 3 * i + 1;
            let index =
                SelectorIndex::new(sels.iter().enumerate().map(|(i, s)| (id(i), s)).collect());
            for p in &sels {
                let linear: Vec<usize> = (0..sels.len())
                    .filter(|&i| implies(p, &sels[i]))
                    .map(id)
                    .collect();
                let found = index.candidates(p);
                assert!(found.windows(2).all(|w| w[0] < w[1]), "{found:?}");
                let indexed: Vec<usize> = found
                    .iter()
                    .copied()
                    .filter(|&q| implies(p, &sels[(q - 1) / 3]))
                    .collect();
                assert_eq!(indexed, linear, "round {round}, selector `{p}`");
                pairs += sels.len();
                candidates += found.len();
                implied += linear.len();
                contradictions += usize::from(!satisfiable(p));
            }
        }
        // The cases above were all there, and the index did prune.
        assert!(
            implied > pairs / 20 && implied < pairs / 2,
            "{implied} of {pairs}"
        );
        assert!(contradictions > 100, "{contradictions}");
        assert!(candidates < pairs * 3 / 4, "{candidates} of {pairs}");
    }
}
