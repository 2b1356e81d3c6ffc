//! `policy-types-mismatch`: `policyTypes` leaves out a direction the policy
//! has rules for, or lists something that is not a policy type.

use crate::model::Policy;
use crate::model::policy::Direction;
use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::yaml::Seg;

pub static META: RuleMeta = RuleMeta {
    name: "policy-types-mismatch",
    default_severity: Severity::Error,
    summary: "`policyTypes` omits a direction the policy has rules for, or lists an unknown type",
    doc: DOC,
};

const DOC: &str = r#"## What it does

When a policy lists `policyTypes`, checks that:

- every entry is `Ingress` or `Egress`, spelled exactly so;
- the policy has no `ingress` rules unless `policyTypes` lists `Ingress`, and
  no `egress` rules unless it lists `Egress`.

A rule finding points at the `ingress:` or `egress:` key, with a label on
`policyTypes`; an unknown entry is reported where it is. A policy without
`policyTypes` (or with an empty list, which the API server replaces by the
default) is not checked: Kubernetes then derives the types from the rules.

## Why it matters

Kubernetes applies a policy only in the directions `policyTypes` lists. Rules
for another direction are accepted and stored, and then ignored: a policy
with `policyTypes: [Ingress]` and an `egress` section neither isolates the
pods for egress nor allows what the egress rules say. The manifest reads as
if egress were restricted when it is wide open. The usual cause is an egress
section added to an existing ingress policy without updating `policyTypes`.
An unknown entry (`ingress` in lower case) makes the API server reject the
whole policy.

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
  egress:
    - to:
        - podSelector:
            matchLabels:
              app: db
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
```

## Known problems

Adding the missing type changes more than the rules: the selected pods
become isolated in that direction, so everything the rules do not allow
(DNS, for a start) is denied. The fix above removes the ignored rules
instead, which keeps today's behaviour; add the type only together with
every rule the pods need.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
"#;

pub struct PolicyTypesMismatch;

impl Rule for PolicyTypesMismatch {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in cx.cluster.all_policies() {
            check_policy(policy, out);
        }
    }
}

fn check_policy(policy: &Policy, out: &mut Vec<Diagnostic>) {
    // The API server defaults an absent or empty list from the rules.
    let Some(types) = policy
        .spec
        .policy_types
        .as_deref()
        .filter(|t| !t.is_empty())
    else {
        return;
    };
    let types_span = policy.span(&["spec".into(), "policyTypes".into()]);
    for (i, t) in types.iter().enumerate() {
        if t == "Ingress" || t == "Egress" {
            continue;
        }
        let span = policy.span(&["spec".into(), "policyTypes".into(), i.into()]);
        let help = match ["Ingress", "Egress"]
            .iter()
            .find(|k| k.eq_ignore_ascii_case(t))
        {
            Some(k) => format!("policy types are case-sensitive: write `{k}`"),
            None => "the policy types are `Ingress` and `Egress`".to_string(),
        };
        out.push(
            Diagnostic::new(
                META.name,
                META.default_severity,
                span,
                format!("unknown policy type `{t}`"),
            )
            .label("not `Ingress` or `Egress`; the API server rejects the policy")
            .help(help)
            .object(policy.object()),
        );
    }
    for dir in [Direction::Ingress, Direction::Egress] {
        let has_rules = match dir {
            Direction::Ingress => policy.spec.ingress.as_ref().is_some_and(|r| !r.is_empty()),
            Direction::Egress => policy.spec.egress.as_ref().is_some_and(|r| !r.is_empty()),
        };
        // A misspelt entry for this direction is reported above already.
        let named = types
            .iter()
            .any(|t| t.eq_ignore_ascii_case(dir.policy_type()));
        if !has_rules || named {
            continue;
        }
        let key = dir.key();
        let listed: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
        out.push(
            Diagnostic::new(
                META.name,
                META.default_severity,
                policy
                    .origin
                    .node
                    .key_span_at(&["spec".into(), Seg::Key(key)]),
                format!(
                    "`policyTypes` does not list `{}`: the `{key}` rules are ignored",
                    dir.policy_type()
                ),
            )
            .label(format!("these {key} rules never apply"))
            .with_secondary(types_span, format!("lists only {}", listed.join(", ")))
            .help(format!(
                "add `{}` to `policyTypes` (the pods then become isolated for {key}: only \
                 these rules are allowed), or remove the `{key}` rules",
                dir.policy_type()
            ))
            .object(policy.object()),
        );
    }
}
