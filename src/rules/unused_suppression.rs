//! `unused-suppression`: a suppression that silenced nothing.
//!
//! Its findings come from the suppression pass ([`crate::suppress`]), which
//! runs after every other rule; the check here is empty, like a loader
//! rule's.

use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "unused-suppression",
    default_severity: Severity::Info,
    summary: "a suppression annotation or comment suppressed nothing",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a suppression that silenced no finding:

- a rule named in a `netpol-lint.io/ignore` annotation that reported
  nothing inside that object;
- a rule named in a `# netpol-lint: ignore[...]` comment that reported
  nothing on the line the comment covers (its own line when it ends a line,
  the next line that is not a comment when it stands alone);
- `all` in either place, when nothing at all was suppressed;
- a name that is not a rule (misspelt, or renamed), with the nearest rule
  name;
- a `# netpol-lint:` comment that is not written as
  `# netpol-lint: ignore[RULE,...] reason`.

A suppression of a rule that did not run (switched off with `--select`,
`--ignore` or the configuration) is not reported: it could not be used.
Nor is one inside a NetworkPolicy definition that a later definition of the
same namespace and name replaces (`duplicate-policy`): most rules look only
at the definition that stays, so the findings it was written for no longer
arise there. Unknown rule names are reported wherever they are.
Findings dropped by `skip-namespaces` do not count as suppressed, so a
suppression there is unused, but its report is about an object in a skipped
namespace and is dropped too.

## Why it matters

Suppressions outlive the findings they were written for. Once the policy is
fixed, a stale `ignore` on it hides the next, different mistake of the same
rule on that object. A misspelt rule name suppresses nothing while the
reader believes it does.

## Example

The policy allows no egress at all: there is no `egress-to-anywhere` finding
to suppress.

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: quiet
  annotations:
    netpol-lint.io/ignore: egress-to-anywhere
    netpol-lint.io/ignore-reason: the backup job needs the internet
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-all
  namespace: quiet
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```

## Known problems

The YAML parser drops comments, so suppression comments are found by
reading the lines of the file: a `#` counts when it starts a line or follows
a space and is not inside a one-line quoted string. A `# netpol-lint:` line
inside a block scalar (`|`) or a quoted string that spans lines is taken for
a comment.

A comment covers the line a finding starts on. For a finding that spans
lines (a whole rule), put the comment on or before its first line.

Annotations work on the objects netpol-lint models (namespaces, workloads,
custom resources with an operator table, NetworkPolicies); elsewhere, use a
comment.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
"#;

pub struct UnusedSuppression;

impl Rule for UnusedSuppression {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, _cx: &Context<'_>, _out: &mut Vec<Diagnostic>) {}
}
