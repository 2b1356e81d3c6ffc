//! `invalid-port-range`: a `ports` entry the API server rejects: a port
//! outside 1-65535, a bad `endPort`, an unknown protocol, an invalid port
//! name.

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::model::Policy;
use crate::model::ports::Protocol;
use crate::report::{Diagnostic, Severity};
use crate::rules::walk::{TypedRule, all_typed_rules};
use crate::rules::{Context, Rule, RuleMeta};

pub static META: RuleMeta = RuleMeta {
    name: "invalid-port-range",
    default_severity: Severity::Error,
    summary: "a `ports` entry has a bad port, `endPort`, protocol or port name",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Checks every `ports` entry of every rule as the API server validates it:

- `port` and `endPort` must be within 1-65535;
- `endPort` needs a numeric `port` and must not be below it;
- `protocol` must be `TCP`, `UDP` or `SCTP`, in upper case;
- a named `port` must be a valid port name (an IANA service name): 1 to 15
  characters, lowercase letters, digits and `-`, at least one letter, no `-`
  at either end and no `--`. A quoted number (`port: "53"`) is a string, so
  it is read as a name, and rejected because a name needs a letter.

Each problem is reported at the field at fault.

## Why it matters

The API server rejects the whole policy for any of these, so the file never
takes effect: a deployment pipeline fails, or, if the error goes unnoticed,
the pods stay without the isolation the policy was meant to give. Tools that
do not validate (some GitOps diffs, templating) pass such policies along
until the apply fails. A reversed range (`port: 8100`, `endPort: 8000`) is a
common slip, as is `protocol: tcp`.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - protocol: TCP
          port: 8100
          endPort: 8000
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - protocol: TCP
          port: 8000
          endPort: 8100
```

## Known problems

The analysis treats an entry with any of these problems as allowing nothing;
the real cluster has no such policy at all (the API server refuses it), which
for pods not otherwise isolated means allowing everything. A valid port name
that no container defines is `named-port-unresolved`.

## References

- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#targeting-a-range-of-ports
- https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
"#;

/// Why a string is not a valid port name (an IANA service name, RFC 6335),
/// or `None` when it is one.
pub fn port_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > 15 {
        return Some("a port name has 1 to 15 characters");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Some("a port name has only lowercase letters, digits and `-`");
    }
    if !name.bytes().any(|b| b.is_ascii_lowercase()) {
        return Some("a port name has at least one letter");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Some("a port name does not begin or end with `-`");
    }
    if name.contains("--") {
        return Some("a port name has no `--`");
    }
    None
}

pub struct InvalidPortRange;

impl Rule for InvalidPortRange {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in cx.cluster.all_policies() {
            // The API server validates every rule, whatever `policyTypes` says.
            for rule in all_typed_rules(policy) {
                for (k, port) in rule.ports.iter().copied().flatten().enumerate() {
                    let at = At {
                        cx,
                        policy,
                        rule: &rule,
                        k,
                    };
                    at.check(port, out);
                }
            }
        }
    }
}

/// One `ports` entry and where it is.
struct At<'a> {
    cx: &'a Context<'a>,
    policy: &'a Policy,
    rule: &'a TypedRule<'a>,
    k: usize,
}

impl At<'_> {
    fn check(&self, port: &NetworkPolicyPort, out: &mut Vec<Diagnostic>) {
        if let Some(proto) = port.protocol.as_deref()
            && Protocol::parse(proto).is_none()
        {
            out.push(self.bad_protocol(proto));
        }
        match &port.port {
            Some(IntOrString::Int(n)) if !(1..=65535).contains(n) => {
                out.push(self.finding(
                    "port",
                    format!("port `{n}` is outside 1-65535"),
                    "not a port number",
                    "ports are numbered 1 to 65535; leave `port` out to allow every port \
                     of the protocol",
                ));
            }
            Some(IntOrString::String(name)) => {
                if let Some(d) = self.bad_name(name) {
                    out.push(d);
                }
            }
            _ => {}
        }
        if let Some(end) = port.end_port
            && let Some(d) = self.bad_end(port.port.as_ref(), end)
        {
            out.push(d);
        }
    }

    fn bad_protocol(&self, proto: &str) -> Diagnostic {
        let help = match Protocol::parse(&proto.to_ascii_uppercase()) {
            Some(p) => format!("protocols are upper case: write `{p}`"),
            None => "the protocols are `TCP`, `UDP` and `SCTP`, in upper case".to_string(),
        };
        self.finding(
            "protocol",
            format!("unknown protocol `{proto}`"),
            "not `TCP`, `UDP` or `SCTP`",
            &help,
        )
    }

    fn bad_name(&self, name: &str) -> Option<Diagnostic> {
        let problem = port_name_problem(name)?;
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) {
            let written = self.written("port");
            return Some(self.finding(
                "port",
                format!("port {written} is a quoted number, read as a port name"),
                "a port name needs a letter",
                &format!("write the number without quotes: `port: {name}`"),
            ));
        }
        Some(self.finding(
            "port",
            format!("`{name}` is not a valid port name"),
            problem,
            "a named port must be the name of a container port, which Kubernetes \
             requires to be an IANA service name: 1 to 15 characters, lowercase letters, \
             digits and `-`, at least one letter, no `-` at either end and no `--`",
        ))
    }

    fn bad_end(&self, port: Option<&IntOrString>, end: i32) -> Option<Diagnostic> {
        let d = match port {
            None => self.finding(
                "endPort",
                "`endPort` without `port`".to_string(),
                "a range needs its first port",
                "set `port` to the first port of the range",
            ),
            Some(IntOrString::String(name)) => self.finding(
                "endPort",
                format!("`endPort` with the named port `{name}`"),
                "a range needs numbers",
                "write the range with numbers (`port: 8000`, `endPort: 8100`), or drop \
                 `endPort` to allow the named port alone",
            ),
            Some(IntOrString::Int(_)) if !(1..=65535).contains(&end) => self.finding(
                "endPort",
                format!("`endPort` `{end}` is outside 1-65535"),
                "not a port number",
                "ports are numbered 1 to 65535",
            ),
            Some(IntOrString::Int(start)) if end < *start => self.finding(
                "endPort",
                format!("`endPort` {end} is below `port` {start}"),
                "the range is empty",
                &format!(
                    "`endPort` is the last port of the range, at least `port`: \
                     `port: {end}` and `endPort: {start}` if the two were swapped"
                ),
            ),
            Some(IntOrString::Int(_)) => return None,
        };
        Some(d)
    }

    /// The value of a field of the entry as written, quotes included.
    fn written(&self, field: &'static str) -> String {
        let span = self.policy.span(&self.rule.port_path(self.k, Some(field)));
        format!("`{}`", self.cx.sources.text(span))
    }

    fn finding(&self, field: &'static str, message: String, label: &str, help: &str) -> Diagnostic {
        let span = self.policy.span(&self.rule.port_path(self.k, Some(field)));
        Diagnostic::new(META.name, META.default_severity, span, message)
            .label(label)
            .help(help)
            .object(self.policy.object())
    }
}

#[cfg(test)]
mod tests {
    use super::port_name_problem;

    #[test]
    fn port_names_follow_iana_service_names() {
        for good in [
            "http",
            "dns-tcp",
            "h2c",
            "a",
            "metrics-9090",
            "12345678901234a",
        ] {
            assert_eq!(port_name_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "53",
            "Http",
            "http_alt",
            "-http",
            "http-",
            "dns--tcp",
            "sixteen-chars-xx",
            "web app",
        ] {
            assert!(port_name_problem(bad).is_some(), "{bad}");
        }
    }
}
