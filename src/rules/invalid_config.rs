//! `invalid-config`: the configuration file cannot be used as written.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static META: RuleMeta = RuleMeta {
    name: "invalid-config",
    default_severity: Severity::Error,
    summary: "the configuration file has an unknown key, a wrong value or a missing file",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reads the configuration file (`.netpol-lint.yaml` in the current directory
or the nearest parent that has one, or the file given with `--config`) and
reports, at the node at fault, whatever `check` cannot use: YAML that does
not parse, a key it does not know, a value of the wrong type, a rule name
that is not in the catalog, a severity or `fail-on` level that does not
exist, an unknown profile, a requirements file or operator table that does
not exist, a DNS `pod-selector` that is invalid or can match no pod.

`check` prints these findings on stderr and stops with exit code 2 before
reading any manifest: linting with half a configuration would apply settings
nobody asked for.

## Why it matters

A configuration decides what the lint reports and whether CI fails. A
misspelt key (`skip-namespace` for `skip-namespaces`) or rule name that was
silently dropped would make a check pass or fail for a reason nobody can
see in the output, and keep doing so until someone reads the file again.

## Example

```yaml
rules:
  ignore: [egress-to-anywhere]
skip-namespace: [kube-system]
```

## Fixed

```yaml
rules:
  ignore: [egress-to-anywhere]
skip-namespaces: [kube-system]
```

## Known problems

Keys and value types are checked by serde, which stops at the first
mismatch: a file with several misspelt keys reports them one run at a time.
Rule names, levels, files and selectors are all checked in one run once the
file has the right shape.

## References

- https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
  (the syntax of `dns.pod-selector`)
- https://docs.openshift.com/container-platform/latest/networking/dns-operator.html
  (where OpenShift runs its DNS)
"#;
