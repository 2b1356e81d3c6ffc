//! `unreadable-input`: a path that cannot be read. Reported by the loader;
//! the other inputs are still checked.

use crate::report::Severity;
use crate::rules::RuleMeta;

pub static META: RuleMeta = RuleMeta {
    name: crate::load::codes::UNREADABLE_INPUT,
    default_severity: Severity::Error,
    summary: "a file or directory cannot be read",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Reports an input that cannot be read: a file that does not exist or that the
user may not read, a directory that cannot be listed, a symbolic link whose
target is gone. The finding points at the path, line 1. Everything else is
still read and checked.

## Why it matters

Whatever the unreadable file holds is missing from the analysis, so the
result describes a different set of manifests than the one intended. In CI
this is often a path that changed in a refactoring and silently stopped being
linted.

## Example

```console
$ ls -l manifests/
lrwxrwxrwx 1 dev dev 20 Jan  1 12:00 policies.yaml -> ../old/policies.yaml
$ netpol-lint check manifests/
```

## Fixed

```console
$ ln -sf ../network/policies.yaml manifests/policies.yaml
$ netpol-lint check manifests/
```

## Known problems

There is no text to point at, so the finding is placed at line 1, column 1
of the path. Permission problems inside a directory that is itself readable
are reported per entry, which can be many findings for one cause.

## References

- https://kubernetes.io/docs/reference/kubectl/generated/kubectl_apply/
"#;
