//! What `egress-to-anywhere` and `ingress-from-anywhere` share: finding rules
//! that name no peer, or a peer that is every address.

use k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort};

use crate::model::Peer;
use crate::model::ip::{Cidr, Family, IpSet};
use crate::model::policy::{Direction, Policy};
use crate::report::Diagnostic;
use crate::source::Span;
use crate::source::yaml::Seg;

use super::support::ports_text;
use super::{Context, RuleMeta};

/// The typed peers and ports of rule `i` of a direction.
fn typed_rule(
    policy: &Policy,
    dir: Direction,
    i: usize,
) -> (Option<&[NetworkPolicyPeer]>, Option<&[NetworkPolicyPort]>) {
    match dir {
        Direction::Ingress => policy
            .spec
            .ingress
            .as_ref()
            .and_then(|r| r.get(i))
            .map_or((None, None), |r| (r.from.as_deref(), r.ports.as_deref())),
        Direction::Egress => policy
            .spec
            .egress
            .as_ref()
            .and_then(|r| r.get(i))
            .map_or((None, None), |r| (r.to.as_deref(), r.ports.as_deref())),
    }
}

/// Reports every rule of `dir` open to all peers.
pub fn check(cx: &Context<'_>, dir: Direction, meta: &'static RuleMeta, out: &mut Vec<Diagnostic>) {
    let help = match dir {
        Direction::Egress => {
            "name the destinations in `to`: a `podSelector` (with a `namespaceSelector` for \
             other namespaces) for pods, an `ipBlock` with the CIDRs really needed for \
             external services"
        }
        Direction::Ingress => {
            "name the sources in `from`: a `podSelector` (with a `namespaceSelector` for other \
             namespaces) for pods, an `ipBlock` with the CIDRs of the clients or load \
             balancers for traffic from outside"
        }
    };
    for policy in &cx.cluster.policies {
        // Rules of a direction the policy does not affect are ignored by
        // Kubernetes; `policy-types-mismatch` is about those.
        if !policy.affects(dir) {
            continue;
        }
        for (i, rule) in policy.rules(dir).iter().enumerate() {
            if let Some(d) = finding(meta, policy, dir, i, rule.peers.as_deref()) {
                out.push(d.help(help).object(policy.object()));
            }
        }
    }
}

/// The finding for rule `i`, if it is open to every peer.
fn finding(
    meta: &'static RuleMeta,
    policy: &Policy,
    dir: Direction,
    i: usize,
    peers: Option<&[Peer]>,
) -> Option<Diagnostic> {
    let (typed_peers, typed_ports) = typed_rule(policy, dir, i);
    let ports = ports_text(typed_ports);
    let (what, whom) = match dir {
        Direction::Ingress => ("ingress", "source"),
        Direction::Egress => ("egress", "destination"),
    };
    let Some(peers) = peers else {
        // No from/to (or an empty list): every pod of every namespace and
        // every address outside the cluster.
        let key = dir.peers_key();
        let written = if typed_peers.is_some() { "empty" } else { "no" };
        return Some(
            Diagnostic::new(
                meta.name,
                meta.default_severity,
                policy.rule_span(dir, i),
                format!("{what} rule allows every {whom} on {ports}"),
            )
            .label(format!(
                "{written} `{key}`: every pod and every external address"
            )),
        );
    };
    let blocks = catch_all_blocks(policy, dir, i, peers, typed_peers);
    let (first, rest) = blocks.split_first()?;
    // What the rule's blocks together leave out of each family with a
    // catch-all: one block's excepts may be allowed again by another peer.
    let reach: Vec<String> = [Family::V4, Family::V6]
        .into_iter()
        .filter(|f| blocks.iter().any(|b| b.family == *f))
        .map(|family| {
            let mut allowed = IpSet::empty(family);
            for peer in peers {
                if let Peer::IpBlock { set } = peer
                    && set.family() == family
                {
                    allowed = allowed.union(set);
                }
            }
            let but = match IpSet::all(family).difference(&allowed).ranges().len() {
                0 => String::new(),
                1 => " but one excepted range".to_string(),
                n => format!(" but {n} excepted ranges"),
            };
            format!("every {} address{but}", family_name(family))
        })
        .collect();
    let mut d = Diagnostic::new(
        meta.name,
        meta.default_severity,
        first.span,
        format!("{what} rule allows {} on {ports}", reach.join(" and ")),
    )
    .label(first.label.clone());
    for other in rest {
        d = d.with_secondary(other.span, other.label.clone());
    }
    Some(d)
}

/// An ipBlock that covers a whole address family.
struct CatchAll {
    /// The `cidr` value.
    span: Span,
    family: Family,
    label: String,
}

fn family_name(family: Family) -> &'static str {
    match family {
        Family::V4 => "IPv4",
        Family::V6 => "IPv6",
    }
}

/// Every ipBlock peer of a rule that covers a whole address family
/// (`0.0.0.0/0`, `::/0`). Excepts do not make a block less of a catch-all for
/// this check: carving out private ranges or the metadata address still
/// leaves the whole internet.
fn catch_all_blocks(
    policy: &Policy,
    dir: Direction,
    i: usize,
    peers: &[Peer],
    typed: Option<&[NetworkPolicyPeer]>,
) -> Vec<CatchAll> {
    let mut out = Vec::new();
    for (j, peer) in peers.iter().enumerate() {
        // A block the API server rejects (bad CIDR or except) is another
        // check's business.
        if !matches!(peer, Peer::IpBlock { .. }) {
            continue;
        }
        let Some(block) = typed
            .and_then(|t| t.get(j))
            .and_then(|p| p.ip_block.as_ref())
        else {
            continue;
        };
        let Ok(cidr) = Cidr::parse(&block.cidr) else {
            continue;
        };
        if !cidr.is_catch_all() {
            continue;
        }
        let family = family_name(cidr.family);
        let excepts = block.except.as_deref().unwrap_or_default();
        let label = if excepts.is_empty() {
            format!("`{}` is every {family} address", block.cidr)
        } else {
            format!(
                "`{}` is every {family} address but its `except` ranges",
                block.cidr
            )
        };
        let span = policy.span(&[
            "spec".into(),
            Seg::Key(dir.key()),
            i.into(),
            Seg::Key(dir.peers_key()),
            j.into(),
            "ipBlock".into(),
            "cidr".into(),
        ]);
        out.push(CatchAll {
            span,
            family: cidr.family,
            label,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::rules::egress_to_anywhere::EgressToAnywhere;
    use crate::rules::walk::run_rule;

    fn messages(to: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: web}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: [{{to: [{to}], ports: [{{port: 443}}]}}]\n"
        );
        let (loaded, out) = run_rule(&EgressToAnywhere, &text);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn the_message_says_what_excepts_leave_out() {
        assert_eq!(
            messages("{ipBlock: {cidr: 0.0.0.0/0}}"),
            ["egress rule allows every IPv4 address on 443/TCP"]
        );
        assert_eq!(
            messages("{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}"),
            ["egress rule allows every IPv4 address but one excepted range on 443/TCP"]
        );
        assert_eq!(
            messages("{ipBlock: {cidr: '::/0', except: ['fd00::/8', 'fe80::/10']}}"),
            ["egress rule allows every IPv6 address but 2 excepted ranges on 443/TCP"]
        );
        assert!(messages("{ipBlock: {cidr: 10.0.0.0/8}}").is_empty());
        // Another peer allows the excepted range again; nested and repeated
        // excepts leave one range out.
        assert_eq!(
            messages(
                "{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}, {ipBlock: {cidr: 10.0.0.0/8}}"
            ),
            ["egress rule allows every IPv4 address on 443/TCP"]
        );
        assert_eq!(
            messages("{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 10.1.0.0/16, 10.0.0.0/8]}}"),
            ["egress rule allows every IPv4 address but one excepted range on 443/TCP"]
        );
        // Both families are named.
        assert_eq!(
            messages(
                "{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}, {ipBlock: {cidr: '::/0'}}"
            ),
            [
                "egress rule allows every IPv4 address but one excepted range and every IPv6 address on 443/TCP"
            ]
        );
    }
}
