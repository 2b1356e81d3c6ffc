//! Identity and documentation of the requirement findings.
//!
//! These rules do not run over the cluster model like the lints in
//! `src/rules/`: `check` produces them from requirements files. They are
//! described here, next to the code that emits them, and the registry lists
//! them like every other rule.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static REQUIREMENT_VIOLATED: RuleMeta = RuleMeta {
    name: "requirement-violated",
    default_severity: Severity::Error,
    summary: "a documented traffic requirement does not hold under the policies",
    doc: r#"## What it does

Checks each item of a requirements file (`--requirements FILE` or a bundled
`--profile`) against the policies. An `expect: allow` requirement holds when
every pod the `from` endpoint covers can reach every pod (or address) the
`to` endpoint covers on every listed port; an `expect: deny` requirement
holds when none of them can on any listed port. The finding points at the
requirement, names one concrete flow that breaks it
(`from ns/pod to ns/pod on 9443/TCP`), and labels the policies that decide:
for `allow`, the policies that isolate a pod without any rule admitting the
flow; for `deny`, the rules that admit it.

## Why it matters

Which flows an application needs is usually written in prose next to the
manifests and drifts away from the policies. A default-deny policy added
later silently cuts the operator off from its webhook; a convenience rule
opens the databases to a whole namespace. Requirements turn that prose into
a check that fails in CI when a change breaks a needed flow or opens a
forbidden one.

## Example

```yaml
# requirements.yaml
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: web-reaches-api
    from: {namespace: shop, podSelector: {matchLabels: {app: web}}}
    to: {namespace: shop, podSelector: {matchLabels: {app: api}}}
    ports: [8080/TCP]
    expect: allow
```

```yaml
# policies.yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
```

`default-deny` isolates the `api` pods and no rule admits `web`: traffic from
`shop[app=web]` to `shop[app=api]` on `8080/TCP` is denied.

## Fixed

Keep `default-deny` and admit the flow:

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-from-web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 8080, protocol: TCP}]
```

## Known problems

When no pod of the input matches an endpoint, a representative pod with
exactly the selector's labels stands in for the real ones. Real pods often
carry more labels, and a policy that selects on one of those labels is not
seen; add the workloads to the input for an exact answer. Traffic from the
node a pod runs on, and `hostNetwork` pods, are outside what NetworkPolicy
decides on most network plugins; model them as `ipBlock` endpoints.

## References

- https://kubernetes.io/docs/concepts/services-networking/network-policies/
- `netpol-lint requirements schema` for the file format
"#,
};

pub static REQUIREMENT_UNEVALUABLE: RuleMeta = RuleMeta {
    name: "requirement-unevaluable",
    default_severity: Severity::Warning,
    summary: "a traffic requirement cannot be decided from the input",
    doc: r#"## What it does

Reports a requirement that cannot be checked, instead of letting it pass
silently: a `workload` that is not in the input, a selector that matches no
pod and admits no representative pod (only `NotIn`/`DoesNotExist` on a key
that another expression requires, or an invalid expression), a named port
that the destination does not define, or a decision that depends on a
policy's named port for a representative pod (which has no container ports).

## Why it matters

A requirement that cannot be evaluated says nothing about the policies. If
it were counted as passing, a typo in a workload name would make a broken
flow look fine.

## Example

```yaml
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: scrape-metrics
    from: {workload: monitoring/prometheus}
    to: {namespace: shop}
    ports: [metrics]
    expect: allow
```

With no `monitoring/prometheus` workload in the input, the requirement
cannot be evaluated.

## Fixed

```yaml
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: scrape-metrics
    from:
      namespace: monitoring
      podSelector: {matchLabels: {app.kubernetes.io/name: prometheus}}
    to: {namespace: shop}
    ports: [9090/TCP]
    expect: allow
```

## Known problems

A representative pod never has container ports, so a named port in a
requirement or in a deciding policy rule makes the requirement unevaluable
until the workloads are part of the input.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
"#,
};

pub static REQUIREMENTS_INVALID: RuleMeta = RuleMeta {
    name: "requirements-invalid",
    default_severity: Severity::Error,
    summary: "a requirements file is malformed",
    doc: r#"## What it does

Validates requirements files: `apiVersion: netpol-lint/v1`, `kind:
TrafficRequirements`, a `requirements` list whose items have `from`, `to`
and `expect` (`allow` or `deny`) and optionally `name`, `description` and
`ports`. Endpoints take `namespace` or `namespaceSelector`, `podSelector`,
`workload` (`namespace/name`, alone) or `ipBlock` (`cidr`, `except`, alone).
Ports are `N/PROTO`, `N-M/PROTO` or a container port name, optionally
`name/PROTO`. Unknown keys, wrong types, bad ports, selectors the API server
would reject and duplicate names are reported at the node at fault; the item
that holds the error is not evaluated, the others are.

## Why it matters

A requirement with a typo (`podSelecter`) would otherwise cover far more or
far less than intended, and a check that passes on a misread file is worse
than no check.

## Example

```yaml
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: dns
    from: {namespace: shop}
    to: {namespace: kube-system, podSelecter: {matchLabels: {k8s-app: kube-dns}}}
    ports: [53]
    expect: allow
```

`podSelecter` is not a field of an endpoint, and `53` has no protocol.

## Fixed

```yaml
apiVersion: netpol-lint/v1
kind: TrafficRequirements
requirements:
  - name: dns
    from: {namespace: shop}
    to: {namespace: kube-system, podSelector: {matchLabels: {k8s-app: kube-dns}}}
    ports: [53/UDP, 53/TCP]
    expect: allow
```

## Known problems

Protocols must be upper case (`TCP`), as in a NetworkPolicy; `tcp` is
reported rather than guessed.

## References

- `netpol-lint requirements schema` prints the JSON Schema of the file
- https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/label-selector/
"#,
};
