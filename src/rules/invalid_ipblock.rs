//! `invalid-ipblock`: an `ipBlock` whose `cidr` or `except` entries the API
//! server rejects, or that means something other than what it says.

use k8s_openapi::api::networking::v1::IPBlock;

use crate::model::Policy;
use crate::model::ip::{Cidr, CidrError, Family};
use crate::report::{Diagnostic, Severity};
use crate::rules::walk::all_typed_rules;
use crate::rules::{Context, Rule, RuleMeta};
use crate::source::yaml::Seg;

pub static META: RuleMeta = RuleMeta {
    name: "invalid-ipblock",
    default_severity: Severity::Error,
    summary: "an `ipBlock` has a bad CIDR, an `except` outside its `cidr`, or host bits set",
    doc: DOC,
};

const DOC: &str = r#"## What it does

Checks every `ipBlock` peer:

- `cidr` and each `except` entry must parse as a CIDR (`10.0.0.0/8`,
  `fd00::/8`), with a prefix length;
- each `except` must be a strict subset of `cidr`: inside it and with a
  longer prefix, which also means of the same family (IPv4 or IPv6);
- a CIDR with host bits set (`10.0.0.1/8`) is reported as well: Kubernetes
  accepts it but reads it as its network, `10.0.0.0/8`, which is rarely what
  was meant.

Each problem is reported at the `cidr` or `except` entry at fault.

## Why it matters

The API server rejects a policy with an unparsable CIDR or an `except` that
is not strictly inside its `cidr`, so the policy never takes effect. Host
bits are accepted silently: `10.0.0.1/8` written for "the host 10.0.0.1"
opens sixteen million addresses. An IPv6 `except` in an IPv4 block, or an
`except` copied from another block, usually means the range that was meant
to be excluded is not.

## Example

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-partners
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - ipBlock:
            cidr: 203.0.113.0/24
            except:
              - 198.51.100.0/28
      ports:
        - protocol: TCP
          port: 443
```

## Fixed

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-partners
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - ipBlock:
            cidr: 203.0.113.0/24
            except:
              - 203.0.113.128/28
      ports:
        - protocol: TCP
          port: 443
```

## Known problems

The analysis treats a block with an invalid `cidr` or `except` as matching
nothing, whereas the cluster has no such policy at all. Newer API servers
also warn about non-canonical spellings (leading zeros, IPv4-mapped IPv6
addresses); those that Rust's address parser rejects are reported here as
not parsing, the others are not reported. An `ipBlock` combined with a
selector in the same peer is not this check's concern.

## References

- https://kubernetes.io/docs/reference/kubernetes-api/policy-resources/network-policy-v1/#NetworkPolicySpec
- https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource
"#;

pub struct InvalidIpblock;

impl Rule for InvalidIpblock {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Diagnostic>) {
        for policy in cx.cluster.all_policies() {
            for rule in all_typed_rules(policy) {
                for (j, peer) in rule.peers.iter().copied().flatten().enumerate() {
                    if let Some(block) = &peer.ip_block {
                        let mut path = rule.peer_path(j);
                        path.push(Seg::Key("ipBlock"));
                        check_block(policy, block, &path, out);
                    }
                }
            }
        }
    }
}

/// The problems of one block; `path` leads to the `ipBlock` node.
fn check_block(policy: &Policy, block: &IPBlock, path: &[Seg<'static>], out: &mut Vec<Diagnostic>) {
    let at = |tail: &[Seg<'static>]| {
        let mut full = path.to_vec();
        full.extend_from_slice(tail);
        policy.span(&full)
    };
    let finding = |tail: &[Seg<'static>], message: String, label: &str, help: String| {
        Diagnostic::new(META.name, META.default_severity, at(tail), message)
            .label(label)
            .help(help)
            .object(policy.object())
    };
    let cidr = match Cidr::parse(&block.cidr) {
        Ok(c) => c,
        Err(e) => {
            let (label, help) = parse_problem(&block.cidr, &e);
            let message = if block.cidr.is_empty() {
                // Absent (typed decoding leaves it empty) or written empty.
                "`ipBlock` has no `cidr`: it is required".to_string()
            } else {
                format!("`cidr` `{}` is not a CIDR", block.cidr)
            };
            out.push(finding(&["cidr".into()], message, &label, help));
            // Without the block's range the excepts cannot be judged.
            return;
        }
    };
    if cidr.has_host_bits() {
        out.push(host_bits(&cidr, "`cidr`", |m, l, h| {
            finding(&["cidr".into()], m, l, h)
        }));
    }
    for (i, text) in block.except.iter().flatten().enumerate() {
        let tail: [Seg<'static>; 2] = ["except".into(), i.into()];
        let except = match Cidr::parse(text) {
            Ok(c) => c,
            Err(e) => {
                let (label, help) = parse_problem(text, &e);
                out.push(finding(
                    &tail,
                    format!("`except` entry `{text}` is not a CIDR"),
                    &label,
                    help,
                ));
                continue;
            }
        };
        if except.family != cidr.family {
            out.push(finding(
                &tail,
                format!(
                    "`except` entry `{text}` is {} but `cidr` `{}` is {}",
                    except.family, block.cidr, cidr.family
                ),
                "of the other address family",
                format!(
                    "an `ipBlock` holds one address family; to allow {} addresses, add a \
                     peer with an `ipBlock` of its own",
                    except.family
                ),
            ));
            continue;
        }
        // Kubernetes compares the networks: host bits play no part here.
        let inside = cidr.network().contains(&except.network()) && except.prefix > cidr.prefix;
        if !inside {
            let (message, label) = if except.network() == cidr.network() {
                (
                    format!("`except` entry `{text}` is all of `cidr` `{}`", block.cidr),
                    "excludes the whole block",
                )
            } else {
                (
                    format!(
                        "`except` entry `{text}` is not inside `cidr` `{}`",
                        block.cidr
                    ),
                    "outside the block",
                )
            };
            out.push(finding(
                &tail,
                message,
                label,
                "each `except` must be a strict subset of `cidr` (inside it, with a longer \
                 prefix); remove the entry, or fix the range it was meant to exclude"
                    .to_string(),
            ));
            continue;
        }
        if except.has_host_bits() {
            out.push(host_bits(&except, "`except` entry", |m, l, h| {
                finding(&tail, m, l, h)
            }));
        }
    }
}

/// The finding for a CIDR with host bits set.
fn host_bits(
    cidr: &Cidr,
    field: &str,
    finding: impl Fn(String, &str, String) -> Diagnostic,
) -> Diagnostic {
    let single = match cidr.family {
        Family::V4 => 32,
        Family::V6 => 128,
    };
    let network = cidr.network();
    finding(
        format!("{field} `{cidr}` has host bits set: it is read as `{network}`"),
        "host bits set",
        format!(
            "write the network address `{network}`, or `{}/{single}` if the one address was \
             meant",
            cidr.addr
        ),
    )
}

/// A label and a help for a CIDR that does not parse.
fn parse_problem(text: &str, err: &CidrError) -> (String, String) {
    match err {
        CidrError::MissingPrefix(_) => {
            let single = if text.contains(':') { 128 } else { 32 };
            (
                "no prefix length".to_string(),
                format!("Kubernetes requires CIDR notation: `{text}/{single}` for one address"),
            )
        }
        _ => (
            err.to_string(),
            "write an address and a prefix length, such as `10.0.0.0/8` or `fd00::/8`".to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::walk::run_rule;

    fn messages(block: &str) -> Vec<String> {
        let text = format!(
            "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: p, namespace: shop}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
    - to: [{{ipBlock: {block}}}]
"
        );
        let (_, out) = run_rule(&super::InvalidIpblock, &text);
        out.into_iter().map(|d| d.message).collect()
    }

    #[test]
    fn excepts_must_be_strictly_inside_the_cidr() {
        assert!(messages("{cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.0.0.0/9]}").is_empty());
        assert_eq!(
            messages("{cidr: 10.0.0.0/8, except: [10.0.0.0/8]}"),
            ["`except` entry `10.0.0.0/8` is all of `cidr` `10.0.0.0/8`"]
        );
        // The same network with host bits is still the whole block.
        assert_eq!(
            messages("{cidr: 10.0.0.0/8, except: [10.9.9.9/8]}"),
            ["`except` entry `10.9.9.9/8` is all of `cidr` `10.0.0.0/8`"]
        );
        // Wider than the block, or beside it.
        assert_eq!(
            messages("{cidr: 10.0.0.0/8, except: [10.0.0.0/7, 11.0.0.0/16]}"),
            [
                "`except` entry `10.0.0.0/7` is not inside `cidr` `10.0.0.0/8`",
                "`except` entry `11.0.0.0/16` is not inside `cidr` `10.0.0.0/8`"
            ]
        );
        assert_eq!(
            messages("{cidr: 'fd00::/8', except: ['10.0.0.0/16']}"),
            ["`except` entry `10.0.0.0/16` is IPv4 but `cidr` `fd00::/8` is IPv6"]
        );
    }

    #[test]
    fn host_bits_and_parse_errors() {
        assert_eq!(
            messages("{cidr: 10.0.0.1/8, except: [10.1.0.1/16]}"),
            [
                "`cidr` `10.0.0.1/8` has host bits set: it is read as `10.0.0.0/8`",
                "`except` entry `10.1.0.1/16` has host bits set: it is read as `10.1.0.0/16`"
            ]
        );
        assert_eq!(
            messages("{cidr: 10.0.0.1}"),
            ["`cidr` `10.0.0.1` is not a CIDR"]
        );
        // Excepts of a block that does not parse cannot be judged.
        assert_eq!(
            messages("{cidr: 10.0.0.0/33, except: [192.168.0.0/16]}"),
            ["`cidr` `10.0.0.0/33` is not a CIDR"]
        );
        assert!(messages("{cidr: '::/0', except: ['fd00::/8']}").is_empty());
        for block in ["{}", "{cidr: ''}", "{except: [10.0.0.0/8]}"] {
            assert_eq!(
                messages(block),
                ["`ipBlock` has no `cidr`: it is required"],
                "{block}"
            );
        }
    }
}
