//! `yaml-syntax`: a file that is not valid YAML or JSON. Reported by the
//! loader, which stops reading the broken document and resumes at the next
//! one.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static META: RuleMeta = RuleMeta {
    name: crate::load::codes::YAML_SYNTAX,
    default_severity: Severity::Error,
    summary: "a file is not valid YAML or JSON",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a file that is not valid YAML (or JSON, which is YAML too), at the
position where the parser gave up: an unclosed bracket or quote, a tab used
for indentation, a key at the wrong indentation, a file that is not UTF-8 text.
The broken document is skipped; reading resumes at the next `---`, and every
other file is still checked.

## Why it matters

`kubectl apply` rejects the whole file, so none of the objects in it reach the
cluster, including the policies that come after the error. The objects lost
here are also missing from the analysis, so other findings may be incomplete
until the file parses.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress
```

## Fixed

```yaml
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

Only the first error of a document is reported: after it the parser cannot
tell what the author meant, so later errors in the same document appear once
the first is fixed. Templates (Helm `{{ }}`, Kustomize patches with
placeholders) are not valid YAML until rendered: lint the output of
`helm template` or `kustomize build` instead.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/object-management/
- https://yaml.org/spec/1.2.2/
"#;
