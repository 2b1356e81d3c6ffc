//! Evaluating requirements with the engine.
//!
//! Each end of a requirement becomes a list of members: pod classes of the
//! input, representative pods, or pieces of an address block. Every source
//! member is paired with every destination member and the engine decides the
//! pair ([`Engine::flow`]: both the egress side of the source and the
//! ingress side of the destination must allow it).
//!
//! Representative pods make requirements work on repositories that hold
//! policies but no workloads. When no pod of the input matches an endpoint,
//! each namespace it covers gets one imagined pod carrying exactly the
//! labels of `podSelector`'s representative (none without `podSelector`).
//! The namespaces every cluster has (`default`, `kube-system`,
//! `kube-public`, `kube-node-lease`) count as present even when the input
//! does not define them; a `namespaceSelector` that matches no namespace at
//! all gets a representative namespace with its labels. A representative pod
//! has no container ports, so a policy's named ports never resolve for it:
//! when such a rule could change the answer, the requirement is reported as
//! unevaluable rather than guessed.
//!
//! Address blocks are cut into pieces at every boundary of the `ipBlock`
//! peers that can see them (egress peers for destinations, ingress peers for
//! sources). Within one piece each of those peers holds every address or
//! none, so one engine call per piece is exact, and the block is allowed
//! only when every piece is.

use crate::engine::{Engine, Flow, Peerish, PodView, SideVerdict, rule_peers_match, rule_ports};
use crate::model::ip::{Family, IpSet, format_range};
use crate::model::policy::Direction;
use crate::model::{ContainerPort, Labels, NAME_LABEL, Peer, PortSet, Protocol, Selector};
use crate::report::{Diagnostic, Severity};

use super::rules::{REQUIREMENT_UNEVALUABLE, REQUIREMENT_VIOLATED};
use super::{Endpoint, EndpointKind, Expect, NamespaceSpec, PortReq, Requirement};

/// Namespaces that exist in every cluster, whether or not the input has them.
pub const BUILTIN_NAMESPACES: [&str; 4] =
    ["default", "kube-node-lease", "kube-public", "kube-system"];

/// Most secondary labels one finding carries.
const MAX_SECONDARY: usize = 8;

/// Evaluates every requirement; one finding per requirement that fails or
/// cannot be evaluated, in input order.
pub fn evaluate(engine: &Engine<'_>, reqs: &[Requirement]) -> Vec<Diagnostic> {
    reqs.iter()
        .enumerate()
        .filter_map(|(i, r)| evaluate_one(engine, r, i))
        .collect()
}

/// A pod, real or representative, at one end of a requirement.
#[derive(Debug, Clone)]
struct PodMember {
    namespace: String,
    namespace_labels: Labels,
    labels: Labels,
    ports: Vec<ContainerPort>,
    display: String,
    representative: bool,
}

#[derive(Debug, Clone)]
enum Member {
    Pod(PodMember),
    Ip { family: Family, lo: u128, hi: u128 },
}

impl Member {
    fn peerish(&self) -> Peerish<'_> {
        match self {
            Member::Pod(p) => Peerish::Pod(PodView {
                namespace: &p.namespace,
                namespace_labels: &p.namespace_labels,
                labels: &p.labels,
                ports: &p.ports,
            }),
            Member::Ip { family, lo, hi } => Peerish::Ip {
                family: *family,
                lo: *lo,
                hi: *hi,
            },
        }
    }

    fn display(&self) -> String {
        match self {
            Member::Pod(p) => p.display.clone(),
            Member::Ip { family, lo, hi } => format_range(*family, *lo, *hi),
        }
    }

    fn ports(&self) -> &[ContainerPort] {
        match self {
            Member::Pod(p) => &p.ports,
            Member::Ip { .. } => &[],
        }
    }

    fn is_representative(&self) -> bool {
        matches!(self, Member::Pod(p) if p.representative)
    }
}

/// A namespace an endpoint may cover.
#[derive(Debug, Clone)]
struct NsInfo {
    name: String,
    labels: Labels,
    /// Index in `cluster.namespaces`; `None` for built-in or representative
    /// namespaces the input does not define.
    index: Option<usize>,
}

/// Which end of the flow an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Source,
    Destination,
}

/// A pair that breaks the requirement.
struct Failure {
    src: Member,
    dst: Member,
    proto: Protocol,
    port: u16,
    flow: Flow,
}

fn evaluate_one(engine: &Engine<'_>, r: &Requirement, index: usize) -> Option<Diagnostic> {
    let title = r.title(index);
    let srcs = match members(engine, &r.from, Role::Source) {
        Ok(m) => m,
        Err(why) => return Some(unevaluable(r, &title, &format!("`from`: {why}"))),
    };
    let dsts = match members(engine, &r.to, Role::Destination) {
        Ok(m) => m,
        Err(why) => return Some(unevaluable(r, &title, &format!("`to`: {why}"))),
    };
    if srcs.is_empty() || dsts.is_empty() {
        let end = if srcs.is_empty() { "from" } else { "to" };
        return Some(unevaluable(
            r,
            &title,
            &format!("`{end}` covers no address"),
        ));
    }
    let mut failures: Vec<Failure> = Vec::new();
    let mut doubt: Option<String> = None;
    let mut pairs = 0usize;
    for src in &srcs {
        for dst in &dsts {
            pairs += 1;
            let required = match required_ports(r.ports.as_deref(), dst) {
                Ok(p) => p,
                Err(why) => {
                    doubt.get_or_insert(why);
                    continue;
                }
            };
            let flow = engine.flow(src.peerish(), dst.peerish());
            let offending = match r.expect {
                Expect::Allow => required.difference(&flow.allowed),
                Expect::Deny => required.intersect(&flow.allowed),
            };
            // A denied flow (or a missing port) to a representative pod may
            // be allowed in truth by a named port the imagined pod lacks.
            let unsure = dst.is_representative() && named_ports_decide(engine, &flow, src, dst);
            let broken = !offending.is_empty();
            // Unresolved named ports can only add allowed ports: a denial is
            // then in doubt, an allowance is not.
            let certain = r.expect == Expect::Deny || !unsure;
            if broken && certain {
                let (proto, port) = first_port(&offending);
                failures.push(Failure {
                    src: src.clone(),
                    dst: dst.clone(),
                    proto,
                    port,
                    flow,
                });
            } else if unsure && (broken || r.expect == Expect::Deny) {
                doubt.get_or_insert_with(|| {
                    format!(
                        "a rule with a named port decides traffic from {} to {}, which is a \
                         representative pod without container ports",
                        src.display(),
                        dst.display()
                    )
                });
            }
        }
    }
    if let Some(first) = failures.first() {
        return Some(violated(engine, r, &title, first, failures.len(), pairs));
    }
    doubt.map(|why| unevaluable(r, &title, &why))
}

/// The ports a requirement names for one destination.
fn required_ports(ports: Option<&[PortReq]>, dst: &Member) -> Result<PortSet, String> {
    let Some(ports) = ports else {
        return Ok(PortSet::all());
    };
    let mut set = PortSet::empty();
    for p in ports {
        match p {
            PortReq::Numbers(s) => set.union_with(s),
            PortReq::Named { name, protocol } => {
                let found: Vec<&ContainerPort> = dst
                    .ports()
                    .iter()
                    .filter(|cp| cp.name.as_deref() == Some(name.as_str()))
                    .filter(|cp| protocol.is_none_or(|pr| pr == cp.protocol))
                    .collect();
                if found.is_empty() {
                    return Err(match dst {
                        Member::Ip { .. } => {
                            format!("named port `{p}` cannot be resolved for external addresses")
                        }
                        Member::Pod(m) if m.representative => format!(
                            "named port `{p}` cannot be resolved: {} is a representative pod \
                             without container ports",
                            m.display
                        ),
                        Member::Pod(m) => format!("{} has no container port `{p}`", m.display),
                    });
                }
                for cp in found {
                    set.union_with(&PortSet::single(cp.protocol, cp.port));
                }
            }
        }
    }
    Ok(set)
}

/// Does a rule with a named port match this pair on either side?
fn named_ports_decide(engine: &Engine<'_>, flow: &Flow, src: &Member, dst: &Member) -> bool {
    let side = |verdict: Option<&SideVerdict>, dir: Direction, other: Peerish<'_>| {
        verdict.into_iter().flat_map(|v| &v.selecting).any(|&pi| {
            let p = &engine.cluster.policies[pi];
            p.rules(dir)
                .iter()
                .any(|rule| rule.has_named_ports() && rule_peers_match(p, rule, other))
        })
    };
    side(flow.egress.as_ref(), Direction::Egress, dst.peerish())
        || side(flow.ingress.as_ref(), Direction::Ingress, src.peerish())
}

/// The lowest (protocol, port) of a non-empty set.
fn first_port(set: &PortSet) -> (Protocol, u16) {
    Protocol::ALL
        .iter()
        .find_map(|&p| set.ranges(p).first().map(|&(lo, _)| (p, lo)))
        .unwrap_or((Protocol::Tcp, 0))
}

fn members(engine: &Engine<'_>, ep: &Endpoint, role: Role) -> Result<Vec<Member>, String> {
    match &ep.kind {
        EndpointKind::Workload { namespace, name } => {
            let mut classes: Vec<usize> = engine
                .cluster
                .workloads
                .iter()
                .enumerate()
                .filter(|(_, w)| &w.namespace == namespace && &w.name == name)
                .map(|(wi, _)| engine.workload_class[wi])
                .collect();
            classes.sort_unstable();
            classes.dedup();
            if classes.is_empty() {
                return Err(format!("workload `{namespace}/{name}` is not in the input"));
            }
            Ok(classes
                .into_iter()
                .map(|c| class_member(engine, c))
                .collect())
        }
        EndpointKind::IpBlock { set } => Ok(ip_members(engine, set, role)),
        EndpointKind::Pods { namespaces, pods } => pod_members(engine, namespaces, pods.as_ref()),
    }
}

fn pod_members(
    engine: &Engine<'_>,
    spec: &NamespaceSpec,
    pods: Option<&Selector>,
) -> Result<Vec<Member>, String> {
    let covered = covered_namespaces(engine, spec);
    let real: Vec<usize> = (0..engine.classes.len())
        .filter(|&c| {
            let class = &engine.classes[c];
            covered.iter().any(|ns| ns.index == Some(class.namespace))
                && pods.is_none_or(|s| s.matches(&class.labels))
        })
        .collect();
    if !real.is_empty() {
        return Ok(real.into_iter().map(|c| class_member(engine, c)).collect());
    }
    let covered = if covered.is_empty() {
        match spec {
            NamespaceSpec::Selected(sel) => vec![representative_namespace(sel)?],
            // Named namespaces and built-ins are always covered.
            NamespaceSpec::Named(_) | NamespaceSpec::Any => {
                unreachable!("a named namespace or the built-in ones are always covered")
            }
        }
    } else {
        covered
    };
    let labels = match pods {
        None => Labels::new(),
        Some(sel) => sel.representative().ok_or_else(|| {
            format!(
                "no pod of the input matches `podSelector` ({sel}), and no pod can be \
                 imagined that does"
            )
        })?,
    };
    Ok(covered
        .into_iter()
        .map(|ns| {
            let display = format!("{}[{}]", ns.name, label_text(&labels));
            Member::Pod(PodMember {
                namespace: ns.name,
                namespace_labels: ns.labels,
                labels: labels.clone(),
                ports: Vec::new(),
                display,
                representative: true,
            })
        })
        .collect())
}

/// Namespaces of the input plus the built-in ones, filtered by the spec.
fn covered_namespaces(engine: &Engine<'_>, spec: &NamespaceSpec) -> Vec<NsInfo> {
    let mut all: Vec<NsInfo> = engine
        .cluster
        .namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| NsInfo {
            name: ns.name.clone(),
            labels: ns.labels.clone(),
            index: Some(i),
        })
        .collect();
    let mut extra: Vec<&str> = BUILTIN_NAMESPACES.to_vec();
    if let NamespaceSpec::Named(n) = spec {
        extra.push(n);
    }
    for name in extra {
        if !all.iter().any(|ns| ns.name == name) {
            let labels = Labels::from([(NAME_LABEL.to_string(), name.to_string())]);
            all.push(NsInfo {
                name: name.to_string(),
                labels,
                index: None,
            });
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all.retain(|ns| match spec {
        NamespaceSpec::Any => true,
        NamespaceSpec::Named(n) => &ns.name == n,
        NamespaceSpec::Selected(sel) => sel.matches(&ns.labels),
    });
    all
}

/// A namespace carrying exactly what a selector asks for. Its name is the
/// name label when the selector fixes it, else a placeholder no real
/// namespace can have (so `NamespaceSel::Own` never matches it by accident).
fn representative_namespace(sel: &Selector) -> Result<NsInfo, String> {
    let none = || {
        format!(
            "no namespace matches `namespaceSelector` ({sel}), and no namespace can be \
             imagined that does"
        )
    };
    let mut labels = sel.representative().ok_or_else(none)?;
    let name = match labels.get(NAME_LABEL) {
        Some(n) => n.clone(),
        None => {
            let n = format!("<{sel}>");
            labels.insert(NAME_LABEL.into(), n.clone());
            n
        }
    };
    if !sel.matches(&labels) {
        return Err(none());
    }
    Ok(NsInfo {
        name,
        labels,
        index: None,
    })
}

fn class_member(engine: &Engine<'_>, class: usize) -> Member {
    let c = &engine.classes[class];
    let ns = &engine.cluster.namespaces[c.namespace];
    // Every workload of a class behaves the same; any one is a witness.
    let display = c
        .workloads
        .first()
        .map(|&w| engine.cluster.workloads[w].display_name())
        .unwrap_or_else(|| format!("{}[{}]", ns.name, label_text(&c.labels)));
    Member::Pod(PodMember {
        namespace: ns.name.clone(),
        namespace_labels: ns.labels.clone(),
        labels: c.labels.clone(),
        ports: c.ports.clone(),
        display,
        representative: false,
    })
}

fn label_text(labels: &Labels) -> String {
    if labels.is_empty() {
        return "no labels".into();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Pieces of a block, cut at the `ipBlock` peers that judge it: a
/// destination block meets egress rules, a source block ingress rules.
fn ip_members(engine: &Engine<'_>, block: &IpSet, role: Role) -> Vec<Member> {
    let dir = match role {
        Role::Source => Direction::Ingress,
        Role::Destination => Direction::Egress,
    };
    let mut cuts: Vec<&IpSet> = Vec::new();
    for p in &engine.cluster.policies {
        for rule in p.rules(dir) {
            for peer in rule.peers.iter().flatten() {
                if let Peer::IpBlock { set } = peer {
                    cuts.push(set);
                }
            }
        }
    }
    let family = block.family();
    pieces(block, &cuts)
        .into_iter()
        .map(|(lo, hi)| Member::Ip { family, lo, hi })
        .collect()
}

/// Splits `block` at every start and every end-plus-one of the cut sets'
/// ranges of the same family.
pub fn pieces(block: &IpSet, cuts: &[&IpSet]) -> Vec<(u128, u128)> {
    let mut points: Vec<u128> = Vec::new();
    for set in cuts.iter().filter(|s| s.family() == block.family()) {
        for &(lo, hi) in set.ranges() {
            points.push(lo);
            points.extend(hi.checked_add(1));
        }
    }
    points.sort_unstable();
    points.dedup();
    let mut out = Vec::new();
    for &(lo, hi) in block.ranges() {
        let mut start = lo;
        for &p in points.iter().filter(|&&p| p > lo && p <= hi) {
            out.push((start, p - 1));
            start = p;
        }
        out.push((start, hi));
    }
    out
}

fn unevaluable(r: &Requirement, title: &str, why: &str) -> Diagnostic {
    Diagnostic::new(
        REQUIREMENT_UNEVALUABLE.name,
        Severity::Warning,
        r.label_span,
        format!("{title} cannot be evaluated: {why}"),
    )
    .label("not evaluated")
    .help(
        "an unevaluated requirement is not a passed one: make the endpoint match pods of the \
         input, or give it `matchLabels` so a representative pod can stand in",
    )
    .object(object(r))
}

fn object(r: &Requirement) -> String {
    match &r.name {
        Some(n) => format!("TrafficRequirement {n}"),
        None => "TrafficRequirement".into(),
    }
}

fn violated(
    engine: &Engine<'_>,
    r: &Requirement,
    title: &str,
    f: &Failure,
    failed: usize,
    pairs: usize,
) -> Diagnostic {
    let (src, dst) = (f.src.display(), f.dst.display());
    let port = format!("{}/{}", f.port, f.proto);
    let message = match r.expect {
        Expect::Allow => {
            format!("{title} expects `allow`, but traffic from {src} to {dst} on {port} is denied")
        }
        Expect::Deny => {
            format!("{title} expects `deny`, but traffic from {src} to {dst} on {port} is allowed")
        }
    };
    let mut d = Diagnostic::new(
        REQUIREMENT_VIOLATED.name,
        Severity::Error,
        r.label_span,
        message,
    )
    .label(format!("expects `{}`", r.expect.as_str()))
    .object(object(r));
    let mut notes = Vec::new();
    match r.expect {
        Expect::Allow => {
            for (verdict, dir, who) in [
                (f.flow.egress.as_ref(), Direction::Egress, "source"),
                (f.flow.ingress.as_ref(), Direction::Ingress, "destination"),
            ] {
                let Some(v) = verdict else { continue };
                if !v.isolated() || v.ports.contains(f.proto, f.port) {
                    continue;
                }
                for &pi in &v.selecting {
                    let p = &engine.cluster.policies[pi];
                    let text = format!(
                        "selects the {who} for {}; no rule allows {port} here",
                        dir.key()
                    );
                    d = d.with_secondary(p.origin.name_span(), text);
                }
            }
            notes.push("add a rule that allows this flow, or drop it from the requirement".into());
        }
        Expect::Deny => {
            for (verdict, dir, who) in [
                (f.flow.egress.as_ref(), Direction::Egress, "source"),
                (f.flow.ingress.as_ref(), Direction::Ingress, "destination"),
            ] {
                let Some(v) = verdict else { continue };
                if !v.isolated() {
                    notes.push(format!("no policy isolates the {who} for {}", dir.key()));
                    continue;
                }
                for rr in &v.allowing {
                    let p = &engine.cluster.policies[rr.policy];
                    let rule = &p.rules(dir)[rr.rule];
                    if rule_ports(rule, f.dst.ports()).contains(f.proto, f.port) {
                        let text = format!("this {} rule allows {port}", dir.key());
                        d = d.with_secondary(p.rule_span(dir, rr.rule), text);
                    }
                }
            }
            notes.push("narrow the rules that allow it".into());
        }
    }
    d.secondary.truncate(MAX_SECONDARY);
    if failed > 1 {
        notes.push(format!(
            "{failed} of {pairs} source and destination pairs fail; the first is shown"
        ));
    }
    d.help(notes.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ip::Cidr;

    fn block(s: &str) -> IpSet {
        IpSet::from_cidr(&Cidr::parse(s).unwrap())
    }

    #[test]
    fn pieces_cut_only_inside_the_block() {
        let all = block("0.0.0.0/0");
        let ten = block("10.0.0.0/8");
        let p = pieces(&all, &[&ten]);
        assert_eq!(p.len(), 3);
        assert_eq!(p[1], (ten.ranges()[0].0, ten.ranges()[0].1));
        let inner = pieces(&ten, &[&block("10.1.0.0/16"), &block("192.168.0.0/16")]);
        assert_eq!(inner.len(), 3);
        assert_eq!(pieces(&ten, &[]).len(), 1);
    }
}
