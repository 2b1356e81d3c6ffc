//! `invalid-field`: a field a NetworkPolicy does not have, or a value of the
//! wrong type. Reported by the loader while it decodes objects.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static META: RuleMeta = RuleMeta {
    name: crate::load::codes::INVALID_FIELD,
    default_severity: Severity::Error,
    summary: "an unknown field, a value of the wrong type, or a name or label the API server rejects",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a field that the NetworkPolicy API does not define (`ingres`,
`podSelecter`, `matchLabel`, `namespaceSelectors`) and a value of the wrong
type (a list where a mapping is expected, `port: [80]`), at the field itself.
A policy with a wrong type cannot be decoded and is left out of the analysis;
a policy with an unknown field is analysed without it, as a lenient API server
would store it.

It also reports, in every object read (policies, namespaces, workloads,
pods and operator resources), the metadata the API server validates: a
`metadata.name` that is not a DNS subdomain (a DNS label for a Namespace),
a `metadata.namespace` that is not a DNS label, and label keys and values
that are not valid labels (`My_Policy`, `a b`, a 70-character namespace).
Such an object is still analysed as written, as netpol-analyzer does: the
fix is most often a rename that changes no connection.

## Why it matters

Depending on the server's field validation setting, an unknown field either
makes `kubectl apply` fail or is dropped without a word. Dropping is the
dangerous case: a misspelt `podSelecter` leaves `podSelector` empty, so the
policy selects every pod of the namespace; a misspelt `ingres` leaves a policy
that isolates pods and allows nothing. The policy then means something other
than what was written, and nothing says so.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  podSelecter:
    matchLabels:
      app: web
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: web
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: frontend
```

## Known problems

Unknown fields are reported in NetworkPolicy objects only; in Namespaces and
workloads they are ignored, since they do not change what a policy means
(values of the wrong type are reported there too). Fields added by newer Kubernetes
versions than the one this tool was built against are reported as unknown.
At most 20 values of the wrong type are reported for one `metadata` or
`spec`.

## References

- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
- https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation
"#;
