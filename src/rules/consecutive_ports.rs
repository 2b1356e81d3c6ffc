//! `consecutive-ports`: three or more consecutive ports of one protocol
//! listed one by one where one `port` + `endPort` range would do.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::model::Policy;
use crate::model::policy::Direction;
use crate::model::ports::Protocol;
use crate::report::{Diagnostic, Severity};
use crate::rules::walk::{TypedRule, typed_rules};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "consecutive-ports",
    default_severity: Severity::Info,
    summary: "three or more consecutive ports are listed one by one instead of as a range",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Looks at the single-port entries (a numeric `port`, no `endPort`) of each
rule's `ports` list and reports every run of three or more consecutive port
numbers of one protocol, in any order, that one entry with `port` and
`endPort` would express. The finding points at the lowest port of the run,
with a label on the highest, and the help shows the range.

## Why it matters

Long lists of adjacent ports are hard to review: a gap (`8081` missing
between `8080` and `8082`) or a stray protocol is easy to miss, and each
added port grows the list. A range says the intent in one line. `endPort`
is stable since Kubernetes 1.25.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - protocol: TCP
          port: 8080
        - protocol: TCP
          port: 8081
        - protocol: TCP
          port: 8082
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - protocol: TCP
          port: 8080
          endPort: 8082
```

## Known problems

Network plugins that do not implement `endPort` (older Calico, Cilium and
kube-router releases) apply only `port` of a range and ignore the rest:
check your plugin before rewriting. Entries that already are ranges are not
merged with adjacent single ports. Runs are looked for within one rule, not
across rules.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
"#;

/// Shortest run worth a range.
const MIN_RUN: usize = 3;

pub struct ConsecutivePorts;

impl Rule for ConsecutivePorts {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in &cx.cluster.policies {
            for dir in [Direction::Ingress, Direction::Egress] {
                // Rules of a direction the policy does not affect never apply.
                if !policy.affects(dir) {
                    continue;
                }
                for rule in typed_rules(policy, dir) {
                    check_rule(policy, &rule, out);
                }
            }
        }
    }
}

fn check_rule(policy: &Policy, rule: &TypedRule<'_>, out: &mut Vec<Diagnostic>) {
    // Per protocol: port number → index of its first entry.
    let mut singles: BTreeMap<Protocol, BTreeMap<i32, usize>> = BTreeMap::new();
    for (k, port) in rule.ports.iter().copied().flatten().enumerate() {
        let (Some(IntOrString::Int(n)), None) = (&port.port, port.end_port) else {
            continue;
        };
        let protocol = match port.protocol.as_deref() {
            None => Protocol::Tcp,
            Some(p) => match Protocol::parse(p) {
                Some(p) => p,
                // `invalid-port-range` reports it.
                None => continue,
            },
        };
        if (1..=65535).contains(n) {
            singles.entry(protocol).or_default().entry(*n).or_insert(k);
        }
    }
    for (protocol, ports) in singles {
        let ports: Vec<(i32, usize)> = ports.into_iter().collect();
        let mut start = 0;
        for i in 1..=ports.len() {
            if i < ports.len() && ports[i].0 == ports[i - 1].0 + 1 {
                continue;
            }
            if i - start >= MIN_RUN {
                out.push(finding(
                    policy,
                    rule,
                    protocol,
                    ports[start],
                    ports[i - 1],
                    i - start,
                ));
            }
            start = i;
        }
    }
}

fn finding(
    policy: &Policy,
    rule: &TypedRule<'_>,
    protocol: Protocol,
    (first, first_k): (i32, usize),
    (last, last_k): (i32, usize),
    count: usize,
) -> Diagnostic {
    let span = |k| policy.span(&rule.port_path(k, Some("port")));
    Diagnostic::new(
        META.name,
        META.default_severity,
        span(first_k),
        format!("{count} consecutive {protocol} ports, {first} to {last}, are listed one by one"),
    )
    .label("first of the run")
    .with_secondary(span(last_k), "last of the run")
    .help(format!(
        "replace the {count} entries with one range:\n\n- protocol: {protocol}\n  port: \
         {first}\n  endPort: {last}"
    ))
    .object(policy.object())
}

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule;

    fn runs(ports: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: shop}}
spec:
  podSelector: {{}}
  ingress:
    - ports: {ports}
"
        );
        let (_, out) = run_rule(&super::ConsecutivePorts, &text);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn runs_of_three_per_protocol_in_any_order() {
        assert_eq!(
            runs("[{port: 82}, {port: 80}, {port: 81}, {port: 81}]"),
            ["3 consecutive TCP ports, 80 to 82, are listed one by one"]
        );
        // Two TCP and one UDP are no run; neither is a gap.
        assert!(runs("[{port: 80}, {port: 81}, {port: 82, protocol: UDP}]").is_empty());
        assert!(runs("[{port: 80}, {port: 81}, {port: 83}]").is_empty());
        // Ranges and named ports stay out of it.
        assert!(runs("[{port: 80}, {port: 81}, {port: 82, endPort: 90}]").is_empty());
        assert_eq!(
            runs(
                "[{port: 53, protocol: UDP}, {port: 54, protocol: UDP}, \
                 {port: 55, protocol: UDP}, {port: 56, protocol: UDP}, {port: 60}]"
            ),
            ["4 consecutive UDP ports, 53 to 56, are listed one by one"]
        );
    }
}
