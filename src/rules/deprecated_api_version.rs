//! `deprecated-api-version`: a NetworkPolicy under an API version the
//! cluster no longer serves.

use crate::report::{Diagnostic, Severity};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "deprecated-api-version",
    default_severity: Severity::Error,
    summary: "a NetworkPolicy uses an API version the cluster no longer serves",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports a NetworkPolicy whose `apiVersion` is `extensions/v1beta1` or
`networking.k8s.io/v1beta1`. The finding points at `apiVersion`. The policy
is still analysed as if it were `networking.k8s.io/v1`, so that the other
checks see it.

## Why it matters

NetworkPolicy moved to `networking.k8s.io/v1` in Kubernetes 1.7, and
`extensions/v1beta1` stopped serving it in Kubernetes 1.16.
`networking.k8s.io/v1beta1` never served NetworkPolicy at all (only Ingress
lived there). `kubectl apply` of such a manifest fails with "no matches for
kind", so the policy the file describes is not in the cluster: old charts and
copied examples give a false sense of protection, or break a deployment
pipeline halfway.

## Example

```yaml
apiVersion: extensions/v1beta1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes: [Ingress]
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
  policyTypes: [Ingress]
```

## Known problems

The spec did not change between these versions, so the fix is the
`apiVersion` line alone. Clusters older than 1.16 still served
`extensions/v1beta1`; the check does not know the target version and reports
it anyway. Other API versions under the Kubernetes groups are not accepted as
NetworkPolicy at all and are reported as `invalid-field` by the loader.

## References

- https://kubernetes.io/docs/reference/using-api/deprecation-guide/#networkpolicy-v116
- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/
"#;

/// Versions the loader reads as NetworkPolicy but no current cluster serves.
const DEPRECATED: [&str; 2] = ["extensions/v1beta1", "networking.k8s.io/v1beta1"];

pub struct DeprecatedApiVersion;

impl Rule for DeprecatedApiVersion {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in cx.cluster.all_policies() {
            let version = policy.origin.api_version.as_str();
            if !DEPRECATED.contains(&version) {
                continue;
            }
            let span = policy.span(&["apiVersion".into()]);
            let why = if version == "extensions/v1beta1" {
                "removed in Kubernetes 1.16"
            } else {
                "never served NetworkPolicy"
            };
            out.push(
                Diagnostic::new(
                    META.name,
                    META.default_severity,
                    span,
                    format!(
                        "NetworkPolicy uses `apiVersion: {version}`, which clusters no longer serve"
                    ),
                )
                .label(format!("`{version}` {why}"))
                .help("use `apiVersion: networking.k8s.io/v1`; the spec is the same")
                .object(policy.object()),
            );
        }
    }
}
