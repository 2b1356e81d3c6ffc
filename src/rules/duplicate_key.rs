//! `duplicate-key`: the same key twice in one YAML mapping. Reported by the
//! loader while it builds the span tree.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static META: RuleMeta = RuleMeta {
    name: crate::load::codes::DUPLICATE_KEY,
    default_severity: Severity::Error,
    summary: "the same key appears twice in one mapping",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a key that appears a second time in the same mapping, at the second
occurrence: two `ingress:` lists in one spec, the same label twice under
`matchLabels`, two `metadata:` blocks.

## Why it matters

YAML forbids duplicate keys, but tools disagree on what to do with them:
`kubectl` refuses the file, some libraries keep the first value, others the
last. Two copies of a list are almost always an edit gone wrong (a second rule
pasted at the wrong level), and whichever copy a tool keeps, the other one is
lost.

## Example

```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: shop
    team: payments
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```

## Fixed

```yaml
apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: shop
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
```

## Known problems

The analysis keeps going with the object as decoded: for a label map the
last value wins, for a field of a typed object the object may be rejected
with `invalid-field` as well.

## References

- https://yaml.org/spec/1.2.2/#mapping
- https://kubernetes.io/docs/concepts/overview/working-with-objects/object-management/
"#;
