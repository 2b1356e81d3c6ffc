//! Invariants of the catalog: names are stable, well formed and unique, and
//! every rule documents itself in the fixed sections.

use super::registry;

/// `^[a-z][a-z0-9]*(-[a-z0-9]+)*$`
fn is_kebab(name: &str) -> bool {
    name.split('-').enumerate().all(|(i, part)| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && (i > 0 || part.as_bytes()[0].is_ascii_lowercase())
    })
}

#[test]
fn kebab_check_follows_the_pattern() {
    for good in ["a", "yaml-syntax", "dns-tcp-missing", "ipv6-only", "a1-b2"] {
        assert!(is_kebab(good), "{good}");
    }
    for bad in ["", "-a", "a-", "a--b", "1abc", "Yaml", "a_b", "a b"] {
        assert!(!is_kebab(bad), "{bad}");
    }
}

#[test]
fn names_are_kebab_case_and_unique() {
    let mut names: Vec<&str> = registry().iter().map(|r| r.meta().name).collect();
    for name in &names {
        assert!(is_kebab(name), "`{name}` is not kebab-case");
    }
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "duplicate rule names");
}

/// A rename breaks users' configuration and suppressions: it must show up
/// here.
#[test]
fn catalog_order_is_stable() {
    let names: Vec<&str> = registry().iter().map(|r| r.meta().name).collect();
    assert_eq!(
        names,
        [
            "invalid-config",
            "unreadable-input",
            "yaml-syntax",
            "input-limit",
            "duplicate-key",
            "not-a-manifest",
            "invalid-field",
            "namespace-missing",
            "default-deny-missing",
            "dns-egress-blocked",
            "dns-tcp-missing",
            "selector-matches-nothing",
            "peer-matches-nothing",
            "split-peer-selector",
            "egress-to-anywhere",
            "ingress-from-anywhere",
            "pod-not-isolated",
            "named-port-unresolved",
            "invalid-port-range",
            "invalid-ipblock",
            "invalid-selector",
            "policy-types-mismatch",
            "duplicate-policy",
            "redundant-rule",
            "one-way-allow",
            "host-network-peer",
            "any-namespace-peer",
            "consecutive-ports",
            "deprecated-api-version",
            "unused-suppression",
            "requirement-violated",
            "requirement-unevaluable",
            "requirements-invalid",
        ]
    );
}

#[test]
fn docs_have_the_fixed_sections_in_order() {
    const SECTIONS: [&str; 6] = [
        "## What it does",
        "## Why it matters",
        "## Example",
        "## Fixed",
        "## Known problems",
        "## References",
    ];
    for rule in registry() {
        let meta = rule.meta();
        let headings: Vec<&str> = meta.doc.lines().filter(|l| l.starts_with("## ")).collect();
        assert_eq!(headings, SECTIONS, "{}: sections", meta.name);
        let references = &meta.doc[meta.doc.find("## References").unwrap_or(0)..];
        assert!(
            references.contains("https://kubernetes.io/")
                || references.contains("https://github.com/kubernetes/"),
            "{}: references name no Kubernetes documentation",
            meta.name
        );
    }
}

#[test]
fn summaries_are_one_lowercase_line() {
    for rule in registry() {
        let s = rule.meta().summary;
        assert!(
            !s.is_empty() && !s.contains('\n') && !s.ends_with('.'),
            "{s}"
        );
        assert!(!s.starts_with(|c: char| c.is_ascii_uppercase()), "{s}");
    }
}

#[test]
fn find_returns_each_rule() {
    for rule in registry() {
        let name = rule.meta().name;
        assert_eq!(super::find(name).map(|r| r.meta().name), Some(name));
    }
    assert!(super::find("no-such-rule").is_none());
}

/// The whole map of connected pairs is quadratic in the pods of namespaces
/// without policies (8,000 such pods took 100 s and 22 GB when a rule read
/// it). No rule may depend on it: each answers from the policies' own
/// selections.
#[test]
fn no_rule_builds_the_connectivity_map() {
    use crate::engine::Engine;
    use crate::rules::Context;
    use crate::rules::dns::DnsService;
    use crate::synth::{self, Params};

    for seed in 0..20 {
        let loaded = synth::load(&Params {
            namespaces: 3,
            workloads: 40,
            policies: 20,
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
        let findings = super::run_all(&cx);
        assert!(
            !findings.is_empty(),
            "seed {seed}: the generator must give rules work"
        );
        assert!(
            !engine.class_map_computed(),
            "seed {seed}: a rule computed the pair-level connectivity map"
        );
    }
}
