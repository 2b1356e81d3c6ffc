//! The lint catalog: one rule per file, one registry, one dispatcher.
//!
//! A rule reads the cluster model and the engine and pushes
//! [`Diagnostic`]s; it does not print and does not read configuration (the
//! dispatcher applies severities and suppressions). Some rules are reported
//! by the loader while it reads input (`yaml-syntax`, `invalid-field`, ...);
//! they are listed here with an empty check so that they have one identity
//! and one doc like every other rule.
//!
//! Each rule's `DOC` is Markdown in fixed sections: what it does, why it
//! matters, example (fires), fixed, known problems, references.

pub mod any_namespace_peer;
mod anywhere;
pub mod catalog;
pub mod consecutive_ports;
pub mod default_deny_missing;
pub mod deprecated_api_version;
pub mod dns;
pub mod dns_egress_blocked;
pub mod dns_tcp_missing;
pub mod duplicate_key;
pub mod duplicate_policy;
pub mod egress_to_anywhere;
pub mod host_network_peer;
mod implies;
pub mod ingress_from_anywhere;
pub mod input_limit;
pub mod invalid_config;
pub mod invalid_field;
pub mod invalid_ipblock;
pub mod invalid_port_range;
pub mod invalid_selector;
pub mod named_port_unresolved;
pub mod namespace_missing;
pub mod not_a_manifest;
pub mod one_way_allow;
pub mod peer_matches_nothing;
pub mod pod_not_isolated;
pub mod policy_types_mismatch;
pub mod redundant_rule;
#[cfg(test)]
mod registry_tests;
mod scope;
pub mod selector_matches_nothing;
pub mod split_peer_selector;
mod support;
pub mod unreadable_input;
pub mod unused_suppression;
mod walk;
pub mod yaml_syntax;

use crate::engine::Engine;
use crate::model::Cluster;
use crate::report::{Diagnostic, Severity};
use crate::source::Sources;

/// What a rule is, independent of what it finds.
#[derive(Debug)]
pub struct RuleMeta {
    /// Stable kebab-case identity: output, config and suppressions use it.
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line, lowercase, no final period.
    pub summary: &'static str,
    /// Markdown documentation in the fixed sections.
    pub doc: &'static str,
}

/// What a rule may look at.
pub struct Context<'a> {
    pub cluster: &'a Cluster,
    pub engine: &'a Engine<'a>,
    pub sources: &'a Sources,
    /// Where the cluster DNS runs (the default, or from the configuration).
    pub dns: &'a dns::DnsService,
}

/// A check over the whole model.
pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    /// Pushes findings with the rule's default severity.
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>);
}

/// A rule whose findings come from the loader.
pub struct LoaderRule(pub &'static RuleMeta);

impl Rule for LoaderRule {
    fn meta(&self) -> &'static RuleMeta {
        self.0
    }

    fn check(&self, _cx: &Context<'_>, _out: &mut Vec<Diagnostic>) {}
}

/// The rules the loader reports, in the order it meets the problems.
static LOADER_RULES: [LoaderRule; 7] = [
    LoaderRule(&invalid_config::META),
    LoaderRule(&unreadable_input::META),
    LoaderRule(&yaml_syntax::META),
    LoaderRule(&input_limit::META),
    LoaderRule(&duplicate_key::META),
    LoaderRule(&not_a_manifest::META),
    LoaderRule(&invalid_field::META),
];

/// The findings `check` derives from requirements files; their examples
/// need a requirements file next to the manifests.
static REQUIREMENT_RULES: [LoaderRule; 3] = [
    LoaderRule(&crate::requirements::REQUIREMENT_VIOLATED),
    LoaderRule(&crate::requirements::REQUIREMENT_UNEVALUABLE),
    LoaderRule(&crate::requirements::REQUIREMENTS_INVALID),
];

/// Whether a rule reports on requirements files rather than manifests.
pub fn is_requirement_rule(name: &str) -> bool {
    REQUIREMENT_RULES.iter().any(|r| r.0.name == name)
}

/// Every rule, in catalog order: the loader's, then the model checks in the
/// order of the rule table, then the requirement findings.
pub fn registry() -> Vec<&'static dyn Rule> {
    let mut rules: Vec<&'static dyn Rule> = Vec::new();
    rules.extend(LOADER_RULES.iter().map(|r| r as &'static dyn Rule));
    rules.extend([
        &namespace_missing::NamespaceMissing as &'static dyn Rule,
        &default_deny_missing::DefaultDenyMissing,
        &dns_egress_blocked::DnsEgressBlocked,
        &dns_tcp_missing::DnsTcpMissing,
        &selector_matches_nothing::SelectorMatchesNothing,
        &peer_matches_nothing::PeerMatchesNothing,
        &split_peer_selector::SplitPeerSelector,
        &egress_to_anywhere::EgressToAnywhere,
        &ingress_from_anywhere::IngressFromAnywhere,
        &pod_not_isolated::PodNotIsolated,
        &named_port_unresolved::NamedPortUnresolved,
        &invalid_port_range::InvalidPortRange,
        &invalid_ipblock::InvalidIpblock,
        &invalid_selector::InvalidSelector,
        &policy_types_mismatch::PolicyTypesMismatch,
        &duplicate_policy::DuplicatePolicy,
        &redundant_rule::RedundantRule,
        &one_way_allow::OneWayAllow,
        &host_network_peer::HostNetworkPeer,
        &any_namespace_peer::AnyNamespacePeer,
        &consecutive_ports::ConsecutivePorts,
        &deprecated_api_version::DeprecatedApiVersion,
        &unused_suppression::UnusedSuppression,
    ]);
    rules.extend(REQUIREMENT_RULES.iter().map(|r| r as &'static dyn Rule));
    rules
}

/// Looks a rule up by name.
pub fn find(name: &str) -> Option<&'static dyn Rule> {
    registry().into_iter().find(|r| r.meta().name == name)
}

/// Runs every rule; findings come back in catalog order (the caller sorts).
pub fn run_all(cx: &Context<'_>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for rule in registry() {
        rule.check(cx, &mut out);
    }
    out
}
