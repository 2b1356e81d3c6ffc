//! `not-a-manifest`: a YAML document that is not a Kubernetes object.
//! Reported by the loader, which skips it.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static META: RuleMeta = RuleMeta {
    name: crate::load::codes::NOT_A_MANIFEST,
    default_severity: Severity::Info,
    summary: "a YAML document is not a Kubernetes object and is skipped",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a document that cannot be a Kubernetes object: a mapping without
`kind`, or a document that is a list or a plain value. The document is
skipped. Documents that hold only comments are not reported, and objects of
kinds this tool does not analyse (ConfigMap, Service, custom resources) are
skipped silently (the verbose log counts them).

## Why it matters

A manifest directory usually holds only Kubernetes objects. A document without
`kind` is most often an object whose header was lost in an edit or a merge,
or a values file that ended up next to the manifests; `kubectl apply` rejects
it. If it was meant to be a NetworkPolicy, the policy is missing from the
cluster and from this analysis.

## Example

```yaml
apiVersion: networking.k8s.io/v1
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
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

Directories that mix manifests with other YAML (CI configuration, Helm
`values.yaml`, Kustomize `kustomization.yaml`) produce one of these per
document; point the linter at the manifests only, or list the other files in
`.netpollintignore`.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/#describing-a-kubernetes-object
"#;
