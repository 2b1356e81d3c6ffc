//! `invalid-selector`: a label selector the API server rejects: a bad
//! operator, values that do not fit the operator, an invalid label key or
//! value.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

use crate::model::Policy;
use crate::report::{Diagnostic, Severity};
use crate::rules::walk::selectors;
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::Span;
use crate::source::yaml::{Node, Seg};

pub static META: RuleMeta = RuleMeta {
    name: "invalid-selector",
    default_severity: Severity::Error,
    summary: "a label selector has a bad operator, values that do not fit it, or a bad label",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Checks every label selector of a policy (`spec.podSelector` and the
`podSelector` and `namespaceSelector` of every peer) as the API server
validates it:

- `matchExpressions` operators are `In`, `NotIn`, `Exists` and
  `DoesNotExist`, spelled exactly so;
- `In` and `NotIn` need at least one value; `Exists` and `DoesNotExist` take
  none;
- label keys (in `matchLabels` and in expressions) are an optional prefix, a
  DNS subdomain of at most 253 characters followed by `/`, and a name of at
  most 63 characters: letters, digits, `-`, `_` and `.`, beginning and
  ending with a letter or digit;
- label values (in `matchLabels` and in expression values) have at most 63
  characters of the same set, or are empty.

Each problem is reported at the node at fault: the key, the value, the
operator or the `values` list.

## Why it matters

The API server rejects the whole policy, so the isolation or the access it
describes never exists. The mistakes are easy to make in YAML: `operator: in`,
`values` left out of an `In` expression, a value with a space, a key such as
`app name`. Tools that template policies pass them through until the apply
fails, sometimes halfway through a release.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-tiers
  namespace: shop
spec:
  podSelector:
    matchExpressions:
      - key: tier
        operator: In
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-tiers
  namespace: shop
spec:
  podSelector:
    matchExpressions:
      - key: tier
        operator: In
        values: [api, db]
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
```

## Known problems

The analysis treats an expression with a bad operator or bad values as
matching nothing, and a bad label key or value as an ordinary label that no
pod carries; the cluster has no such policy at all. `peer-matches-nothing`
and `selector-matches-nothing` may then report the same selector.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#resources-that-support-set-based-requirements
- https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/
"#;

use crate::model::names::{label_key_problem, label_value_problem};

const OPERATORS: [&str; 4] = ["In", "NotIn", "Exists", "DoesNotExist"];

pub struct InvalidSelector;

impl Rule for InvalidSelector {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in cx.cluster.all_policies() {
            for (sel, path) in selectors(policy) {
                let Some(node) = policy.origin.node.at(&path) else {
                    continue;
                };
                let at = At {
                    policy,
                    field: field_name(&path),
                };
                at.check(sel, node, out);
            }
        }
    }
}

/// `podSelector` or `namespaceSelector`: the last key of a selector's path.
fn field_name(path: &[Seg<'_>]) -> &'static str {
    match path.last() {
        Some(Seg::Key("namespaceSelector")) => "namespaceSelector",
        _ => "podSelector",
    }
}

/// One selector and the policy it is in.
struct At<'p> {
    policy: &'p Policy,
    field: &'static str,
}

impl At<'_> {
    fn check(&self, sel: &LabelSelector, node: &Node, out: &mut Vec<Diagnostic>) {
        let labels_node = node.get("matchLabels");
        for (key, value) in sel.match_labels.iter().flatten() {
            let entry = labels_node.and_then(|m| m.entry(key));
            let key_span = entry.map_or(node.span, |(k, _)| k.span);
            let value_span = entry.map_or(node.span, |(_, v)| v.span);
            if let Some(problem) = label_key_problem(key) {
                out.push(self.bad_key(key_span, key, problem));
            }
            if let Some(problem) = label_value_problem(value) {
                out.push(self.bad_value(value_span, key, value, problem));
            }
        }
        let exprs_node = node.get("matchExpressions");
        for (i, expr) in sel.match_expressions.iter().flatten().enumerate() {
            let expr_node = exprs_node.and_then(|n| n.index(i)).unwrap_or(node);
            self.check_expression(expr, expr_node, out);
        }
    }

    fn check_expression(
        &self,
        expr: &LabelSelectorRequirement,
        node: &Node,
        out: &mut Vec<Diagnostic>,
    ) {
        let span_of = |key: &str| node.get(key).map_or(node.span, |n| n.span);
        if let Some(problem) = label_key_problem(&expr.key) {
            out.push(self.bad_key(span_of("key"), &expr.key, problem));
        }
        let values = expr.values.as_deref().unwrap_or_default();
        let op = expr.operator.as_str();
        match op {
            "In" | "NotIn" if values.is_empty() => {
                // Point at the empty list when there is one, else at the
                // operator that needs it.
                let span = node.get("values").map_or(span_of("operator"), |n| n.span);
                out.push(self.finding(
                    span,
                    format!("`{op}` with no values"),
                    "matches nothing; the API server rejects it",
                    format!(
                        "list the values `{}` may take, or use `{}` to test only whether the \
                         label is present",
                        expr.key,
                        if op == "In" { "Exists" } else { "DoesNotExist" }
                    ),
                ));
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                out.push(self.finding(
                    span_of("values"),
                    format!("`{op}` with values"),
                    "`Exists` and `DoesNotExist` take no values",
                    format!(
                        "remove `values`, or use `{}` to compare the label's value",
                        if op == "Exists" { "In" } else { "NotIn" }
                    ),
                ));
                // The values are wrong as a whole; their spelling is moot.
                return;
            }
            _ if !OPERATORS.contains(&op) => {
                let help = match OPERATORS.iter().find(|o| o.eq_ignore_ascii_case(op)) {
                    Some(o) => format!("operators are case-sensitive: write `{o}`"),
                    None => "the operators are `In`, `NotIn`, `Exists` and `DoesNotExist`".into(),
                };
                let message = if op.is_empty() {
                    "a `matchExpressions` entry needs an `operator`".to_string()
                } else {
                    format!("unknown selector operator `{op}`")
                };
                out.push(self.finding(
                    span_of("operator"),
                    message,
                    "not a label selector operator",
                    help,
                ));
            }
            _ => {}
        }
        let values_node = node.get("values");
        for (i, value) in values.iter().enumerate() {
            if let Some(problem) = label_value_problem(value) {
                let span = values_node
                    .and_then(|n| n.index(i))
                    .map_or(span_of("values"), |n| n.span);
                out.push(self.bad_value(span, &expr.key, value, problem));
            }
        }
    }

    fn bad_key(&self, span: Span, key: &str, problem: String) -> Diagnostic {
        self.finding(
            span,
            format!("invalid label key `{key}` in `{}`", self.field),
            "not a label key",
            format!("{problem}; label keys look like `app` or `example.com/tier`"),
        )
    }

    fn bad_value(&self, span: Span, key: &str, value: &str, problem: String) -> Diagnostic {
        self.finding(
            span,
            format!(
                "invalid label value `{value}` for `{key}` in `{}`",
                self.field
            ),
            "not a label value",
            format!("{problem}; no object can carry this value, so the selector matches nothing"),
        )
    }

    fn finding(&self, span: Span, message: String, label: &str, help: String) -> Diagnostic {
        Diagnostic::new(META.name, META.default_severity, span, message)
            .label(label)
            .help(help)
            .object(self.policy.object())
    }
}

#[cfg(test)]
mod operator_tests {
    use crate::rules::walk::run_rule;

    fn messages(expression: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p, namespace: shop}}\nspec:\n  podSelector:\n    matchExpressions: [{expression}]\n"
        );
        let (_, out) = run_rule(&super::InvalidSelector, &text);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn a_missing_operator_is_named_as_missing() {
        assert_eq!(
            messages("{key: app, values: [a]}"),
            ["a `matchExpressions` entry needs an `operator`"]
        );
        assert_eq!(
            messages("{key: app, operator: Inn, values: [a]}"),
            ["unknown selector operator `Inn`"]
        );
        assert!(messages("{key: app, operator: In, values: [a]}").is_empty());
    }
}
