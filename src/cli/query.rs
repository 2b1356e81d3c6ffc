//! `netpol-lint query`: one flow, its verdict, and the rules that decide it.
//!
//! A flow is allowed only when both sides agree: the source's egress side
//! (not isolated, or some selecting policy has a rule whose `to` matches the
//! destination and whose `ports` include the port) and the destination's
//! ingress side, likewise with `from`. An external address has no side of
//! its own: policies never select addresses. The verdict comes from
//! [`Engine::flow`]; this module only parses endpoints and explains.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::reach::report_load_problems;
use super::{Cli, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, emit, inputs};
use crate::engine::{Engine, Peerish, PodView, RuleRef, SideVerdict};
use crate::load::{Loaded, load};
use crate::model::ip::{Family, parse_addr};
use crate::model::policy::Direction;
use crate::model::{ContainerPort, Labels, NAME_LABEL, PortSet, Protocol};
use crate::report::locate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    /// The verdict and, per side, the policies and rules that decide it.
    Txt,
    /// One JSON object: `allowed`, `egress`, `ingress`, ...
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Endpoints (EP):
  namespace/workload          a workload of the input, e.g. shop/web
  namespace/workload[Kind]    the same when two kinds share a name, e.g. shop/web[Pod]
  10.1.2.3, fd00::1           an external address
  namespace[key=value,...]    a hypothetical pod with these labels (namespace[] for none)

Ports: 8080, 8080/TCP, 53/UDP, 9000/SCTP; or a container port name of the destination
(http, dns/UDP). Without a protocol a number means TCP and a name its container port's.

Exit codes: 0 allowed, 1 denied, 2 bad input.")]
pub struct QueryArgs {
    /// Files or directories to read (`-` for stdin; default: current directory).
    pub paths: Vec<PathBuf>,
    /// The source endpoint.
    #[arg(long, value_name = "EP", allow_hyphen_values = true)]
    pub from: String,
    /// The destination endpoint.
    #[arg(long, value_name = "EP", allow_hyphen_values = true)]
    pub to: String,
    /// The destination port.
    #[arg(long, value_name = "PORT[/PROTO]")]
    pub port: String,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = QueryFormat::Txt)]
    pub format: QueryFormat,
}

/// An endpoint as written on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointSpec {
    Workload {
        namespace: String,
        name: String,
        kind: Option<String>,
    },
    Address {
        text: String,
        family: Family,
        value: u128,
    },
    Hypothetical {
        namespace: String,
        labels: Labels,
    },
}

/// A port as written: a number or a container port name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortArg {
    Number(u16, Protocol),
    Named(String, Option<Protocol>),
}

const EP_FORMS: &str = "use `namespace/workload`, `namespace/workload[Kind]`, an IP address, \
                        or `namespace[label=value,...]`";

/// Parses an endpoint; the error says what is wrong and which forms exist.
pub fn parse_endpoint(s: &str) -> Result<EndpointSpec, String> {
    let s = s.trim();
    if let Some((family, value)) = parse_addr(s) {
        return Ok(EndpointSpec::Address {
            text: s.to_owned(),
            family,
            value,
        });
    }
    if let Some((ns, rest)) = s.split_once('/') {
        if parse_addr(ns).is_some() {
            return Err(format!(
                "`{s}` is a CIDR; a query takes one address, e.g. `{ns}`"
            ));
        }
        let (name, kind) = match rest.split_once('[') {
            Some((name, k)) => match k.strip_suffix(']') {
                Some(k) if !k.is_empty() && !k.contains(['[', ']']) => (name, Some(k.to_owned())),
                _ => {
                    return Err(format!(
                        "`{s}`: the kind goes in brackets, e.g. `{ns}/{name}[Deployment]`"
                    ));
                }
            },
            None => (rest, None),
        };
        if !valid_name(ns) || !valid_name(name) {
            return Err(format!("`{s}` is not an endpoint: {EP_FORMS}"));
        }
        return Ok(EndpointSpec::Workload {
            namespace: ns.to_owned(),
            name: name.to_owned(),
            kind,
        });
    }
    if let Some((ns, rest)) = s.split_once('[') {
        let Some(inner) = rest.strip_suffix(']') else {
            return Err(format!("`{s}`: the label list must end with `]`"));
        };
        if !valid_name(ns) {
            return Err(format!("`{s}` is not an endpoint: {EP_FORMS}"));
        }
        let mut labels = Labels::new();
        for pair in inner.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((k, v)) = pair.split_once('=') else {
                return Err(format!(
                    "`{pair}` in `{s}` is not a label: write `key=value`"
                ));
            };
            let (k, v) = (k.trim(), v.trim());
            if k.is_empty() || v.contains('=') {
                return Err(format!(
                    "`{pair}` in `{s}` is not a label: write `key=value`"
                ));
            }
            labels.insert(k.to_owned(), v.to_owned());
        }
        return Ok(EndpointSpec::Hypothetical {
            namespace: ns.to_owned(),
            labels,
        });
    }
    Err(format!("`{s}` is not an endpoint: {EP_FORMS}"))
}

/// Namespace and workload names: non-empty, no spaces or brackets. The API
/// server is stricter; a looser check here only means "no such workload".
fn valid_name(s: &str) -> bool {
    !s.is_empty() && !s.contains(|c: char| c.is_whitespace() || "[]/,=".contains(c))
}

/// Parses `PORT[/PROTO]`. Protocols are accepted in any case here (this is
/// a command line, not a manifest).
pub fn parse_port(s: &str) -> Result<PortArg, String> {
    let s = s.trim();
    let (port, proto) = match s.split_once('/') {
        Some((p, proto)) => {
            let parsed = Protocol::parse(&proto.to_ascii_uppercase());
            match parsed {
                Some(pr) => (p, Some(pr)),
                None => return Err(format!("`{proto}` is not a protocol: use TCP, UDP or SCTP")),
            }
        }
        None => (s, None),
    };
    if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() {
        return match port.parse::<u16>() {
            Ok(n @ 1..) => Ok(PortArg::Number(n, proto.unwrap_or(Protocol::Tcp))),
            _ => Err(format!(
                "port `{port}` is out of range: ports are 1 to 65535"
            )),
        };
    }
    // Container port names are IANA service names: letters, digits and
    // hyphens, at least one letter.
    let name_ok = !port.is_empty()
        && port.len() <= 15
        && port.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && port.bytes().any(|b| b.is_ascii_alphabetic());
    if !name_ok {
        return Err(format!(
            "`{s}` is not a port: give a number (`8080/TCP`) or a port name (`http`)"
        ));
    }
    Ok(PortArg::Named(port.to_owned(), proto))
}

/// An endpoint resolved against the input.
#[derive(Debug, Clone)]
struct Endpoint {
    /// How the output names it: `ns/name[Kind]`, the address, `ns[k=v]`.
    display: String,
    kind: EndpointKind,
}

#[derive(Debug, Clone)]
enum EndpointKind {
    Workload(usize),
    Address {
        family: Family,
        value: u128,
    },
    Hypothetical {
        namespace: String,
        namespace_labels: Labels,
        labels: Labels,
    },
}

impl Endpoint {
    fn peerish<'a>(&'a self, engine: &'a Engine<'_>) -> Peerish<'a> {
        match &self.kind {
            EndpointKind::Workload(w) => Peerish::Pod(engine.class_view(engine.workload_class[*w])),
            EndpointKind::Address { family, value } => Peerish::Ip {
                family: *family,
                lo: *value,
                hi: *value,
            },
            EndpointKind::Hypothetical {
                namespace,
                namespace_labels,
                labels,
            } => Peerish::Pod(PodView {
                namespace,
                namespace_labels,
                labels,
                ports: &[],
            }),
        }
    }

    fn ports<'a>(&self, engine: &'a Engine<'_>) -> &'a [ContainerPort] {
        match self.kind {
            EndpointKind::Workload(w) => &engine.cluster.workloads[w].ports,
            _ => &[],
        }
    }

    fn kind_name(&self) -> &'static str {
        match self.kind {
            EndpointKind::Workload(_) => "workload",
            EndpointKind::Address { .. } => "address",
            EndpointKind::Hypothetical { .. } => "hypothetical",
        }
    }
}

fn resolve(engine: &Engine<'_>, spec: &EndpointSpec) -> Result<Endpoint, String> {
    let cluster = engine.cluster;
    match spec {
        EndpointSpec::Address {
            text,
            family,
            value,
        } => Ok(Endpoint {
            display: text.clone(),
            kind: EndpointKind::Address {
                family: *family,
                value: *value,
            },
        }),
        EndpointSpec::Hypothetical { namespace, labels } => {
            // A namespace the input does not define exists implicitly with
            // only its name label, as the API server would create it.
            let namespace_labels = match cluster.namespace(namespace) {
                Some(ns) => ns.labels.clone(),
                None => Labels::from([(NAME_LABEL.to_owned(), namespace.clone())]),
            };
            let shown: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            Ok(Endpoint {
                display: format!("{namespace}[{}]", shown.join(",")),
                kind: EndpointKind::Hypothetical {
                    namespace: namespace.clone(),
                    namespace_labels,
                    labels: labels.clone(),
                },
            })
        }
        EndpointSpec::Workload {
            namespace,
            name,
            kind,
        } => {
            let found: Vec<usize> = (0..cluster.workloads.len())
                .filter(|&i| {
                    let w = &cluster.workloads[i];
                    w.namespace == *namespace
                        && w.name == *name
                        && kind.as_ref().is_none_or(|k| w.kind.eq_ignore_ascii_case(k))
                })
                .collect();
            match found.as_slice() {
                [w] => Ok(Endpoint {
                    display: cluster.workloads[*w].display_name(),
                    kind: EndpointKind::Workload(*w),
                }),
                [] => Err(no_such_workload(engine, namespace, name, kind.as_deref())),
                many => {
                    let names: Vec<String> = many
                        .iter()
                        .map(|&w| cluster.workloads[w].display_name())
                        .collect();
                    Err(format!(
                        "`{namespace}/{name}` names {} workloads ({}); add the kind in brackets",
                        many.len(),
                        names.join(", ")
                    ))
                }
            }
        }
    }
}

fn no_such_workload(engine: &Engine<'_>, ns: &str, name: &str, kind: Option<&str>) -> String {
    let written = match kind {
        Some(k) => format!("{ns}/{name}[{k}]"),
        None => format!("{ns}/{name}"),
    };
    let in_ns: Vec<String> = engine
        .cluster
        .workloads
        .iter()
        .filter(|w| w.namespace == ns)
        .map(|w| w.display_name())
        .collect();
    if in_ns.is_empty() {
        return format!(
            "no workload `{written}` in the input: namespace `{ns}` has no workloads \
             (for a pod that is not in the input, write `{ns}[label=value,...]`)"
        );
    }
    let shown = in_ns
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let more = if in_ns.len() > 10 { ", ..." } else { "" };
    format!("no workload `{written}` in the input; namespace `{ns}` has {shown}{more}")
}

/// The port the query asks about, with the name it was given by.
#[derive(Debug, Clone, Serialize)]
struct ResolvedPort {
    protocol: Protocol,
    port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

fn resolve_port(
    arg: &PortArg,
    dst: &Endpoint,
    engine: &Engine<'_>,
) -> Result<ResolvedPort, String> {
    match arg {
        PortArg::Number(port, protocol) => Ok(ResolvedPort {
            protocol: *protocol,
            port: *port,
            name: None,
        }),
        PortArg::Named(name, protocol) => {
            if !matches!(dst.kind, EndpointKind::Workload(_)) {
                return Err(format!(
                    "port `{name}` is a name, and `{}` has no container ports to resolve it; \
                     give a number",
                    dst.display
                ));
            }
            let ports = dst.ports(engine);
            let hit = ports.iter().find(|cp| {
                cp.name.as_deref() == Some(name.as_str())
                    && protocol.is_none_or(|p| p == cp.protocol)
            });
            match hit {
                Some(cp) => Ok(ResolvedPort {
                    protocol: cp.protocol,
                    port: cp.port,
                    name: Some(name.clone()),
                }),
                None => {
                    let named: Vec<String> = ports
                        .iter()
                        .filter_map(|cp| {
                            let n = cp.name.as_ref()?;
                            Some(format!("{n} ({} {})", cp.protocol, cp.port))
                        })
                        .collect();
                    let have = if named.is_empty() {
                        "it names no container ports".to_owned()
                    } else {
                        format!("it has {}", named.join(", "))
                    };
                    let with = protocol.map(|p| format!("/{p}")).unwrap_or_default();
                    Err(format!(
                        "`{}` has no container port `{name}{with}`; {have}",
                        dst.display
                    ))
                }
            }
        }
    }
}

/// Where a policy or rule is written.
#[derive(Debug, Clone, Serialize)]
struct PolicyRef {
    name: String,
    namespace: String,
    file: String,
    line: u32,
}

#[derive(Debug, Clone, Serialize)]
struct RuleLoc {
    /// `namespace/name` of the policy.
    policy: String,
    direction: &'static str,
    /// Position in the policy's `ingress` or `egress` list.
    index: usize,
    file: String,
    line: u32,
    /// What the rule allows towards this destination (`No Connections`
    /// when its named ports do not resolve there).
    allows: String,
}

/// One side of the flow, explained.
#[derive(Debug, Clone, Serialize)]
struct SideReport {
    /// False when this end is an external address: no policy applies.
    applies: bool,
    isolated: bool,
    allowed: bool,
    policies: Vec<PolicyRef>,
    /// Rules that match the other end and allow the port.
    allowing_rules: Vec<RuleLoc>,
    /// Rules that match the other end but not the port.
    other_port_rules: Vec<RuleLoc>,
}

#[derive(Debug, Clone, Serialize)]
struct EndpointReport {
    endpoint: String,
    kind: &'static str,
}

#[derive(Debug, Clone, Serialize)]
struct QueryReport {
    allowed: bool,
    from: EndpointReport,
    to: EndpointReport,
    port: ResolvedPort,
    egress: SideReport,
    ingress: SideReport,
}

fn rule_loc(loaded: &Loaded, r: RuleRef, ports: &PortSet) -> RuleLoc {
    let p = &loaded.cluster.policies[r.policy];
    let at = locate(&loaded.sources, p.rule_span(r.direction, r.rule));
    RuleLoc {
        policy: p.qualified_name(),
        direction: r.direction.key(),
        index: r.rule,
        file: at.file.to_owned(),
        line: at.line,
        allows: ports.to_conn_string(),
    }
}

fn side_report(loaded: &Loaded, side: Option<&SideVerdict>, port: &ResolvedPort) -> SideReport {
    let Some(side) = side else {
        return SideReport {
            applies: false,
            isolated: false,
            allowed: true,
            policies: Vec::new(),
            allowing_rules: Vec::new(),
            other_port_rules: Vec::new(),
        };
    };
    let policies = side
        .selecting
        .iter()
        .map(|&pi| {
            let p = &loaded.cluster.policies[pi];
            let at = locate(&loaded.sources, p.origin.name_span());
            PolicyRef {
                name: p.name.clone(),
                namespace: p.namespace.clone(),
                file: at.file.to_owned(),
                line: at.line,
            }
        })
        .collect();
    let (mut allowing_rules, mut other_port_rules) = (Vec::new(), Vec::new());
    for (r, ports) in &side.matching {
        let loc = rule_loc(loaded, *r, ports);
        if ports.contains(port.protocol, port.port) {
            allowing_rules.push(loc);
        } else {
            other_port_rules.push(loc);
        }
    }
    SideReport {
        applies: true,
        isolated: side.isolated(),
        allowed: !side.isolated() || !allowing_rules.is_empty(),
        policies,
        allowing_rules,
        other_port_rules,
    }
}

pub fn run(cli: &Cli, args: &QueryArgs) -> u8 {
    // Check what can be checked before reading any file.
    let parsed = parse_endpoint(&args.from)
        .map_err(|e| format!("--from: {e}"))
        .and_then(|f| {
            Ok((
                f,
                parse_endpoint(&args.to).map_err(|e| format!("--to: {e}"))?,
            ))
        })
        .and_then(|(f, t)| {
            Ok((
                f,
                t,
                parse_port(&args.port).map_err(|e| format!("--port: {e}"))?,
            ))
        });
    let (from, to, port) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let loaded = load(&inputs(&args.paths));
    report_load_problems(cli, &loaded);
    if loaded.stats.files == 0 {
        eprintln!("error: no input files found");
        return EXIT_ERROR;
    }
    let engine = Engine::new(&loaded.cluster);
    let report = match explain(&loaded, &engine, &from, &to, &port) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let text = match args.format {
        QueryFormat::Txt => render_txt(&report),
        QueryFormat::Json => match serde_json::to_string_pretty(&report) {
            Ok(s) => s + "\n",
            Err(e) => unreachable!("serializing a query report failed: {e}"),
        },
    };
    if let Err(e) = emit(&text) {
        eprintln!("error: {e}");
        return EXIT_ERROR;
    }
    if report.allowed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}

fn explain(
    loaded: &Loaded,
    engine: &Engine<'_>,
    from: &EndpointSpec,
    to: &EndpointSpec,
    port: &PortArg,
) -> Result<QueryReport, String> {
    let src = resolve(engine, from).map_err(|e| format!("--from: {e}"))?;
    let dst = resolve(engine, to).map_err(|e| format!("--to: {e}"))?;
    if matches!(
        (&src.kind, &dst.kind),
        (EndpointKind::Address { .. }, EndpointKind::Address { .. })
    ) {
        return Err("both ends are addresses; NetworkPolicy only governs traffic of pods".into());
    }
    let port = resolve_port(port, &dst, engine).map_err(|e| format!("--port: {e}"))?;
    let flow = engine.flow(src.peerish(engine), dst.peerish(engine));
    let egress = side_report(loaded, flow.egress.as_ref(), &port);
    let ingress = side_report(loaded, flow.ingress.as_ref(), &port);
    let allowed = flow.allowed.contains(port.protocol, port.port);
    debug_assert_eq!(allowed, egress.allowed && ingress.allowed);
    Ok(QueryReport {
        allowed,
        from: EndpointReport {
            endpoint: src.display.clone(),
            kind: src.kind_name(),
        },
        to: EndpointReport {
            endpoint: dst.display.clone(),
            kind: dst.kind_name(),
        },
        port,
        egress,
        ingress,
    })
}

fn port_text(p: &ResolvedPort) -> String {
    match &p.name {
        Some(n) => format!("{} {} (`{n}`)", p.protocol, p.port),
        None => format!("{} {}", p.protocol, p.port),
    }
}

fn render_txt(r: &QueryReport) -> String {
    let mut out = String::new();
    let verdict = if r.allowed { "allowed" } else { "denied" };
    let port = port_text(&r.port);
    let _ = writeln!(
        out,
        "{verdict}: {} => {} on {port}",
        r.from.endpoint, r.to.endpoint
    );
    let sides = [
        (
            Direction::Egress,
            &r.egress,
            &r.from.endpoint,
            &r.to.endpoint,
        ),
        (
            Direction::Ingress,
            &r.ingress,
            &r.to.endpoint,
            &r.from.endpoint,
        ),
    ];
    for (dir, side, subject, other) in sides {
        out.push('\n');
        let _ = writeln!(out, "{} of {subject}:", dir.key());
        render_side(&mut out, dir, side, other, &port);
    }
    out
}

fn render_side(out: &mut String, dir: Direction, side: &SideReport, other: &str, port: &str) {
    let key = dir.key();
    if !side.applies {
        let _ = writeln!(
            out,
            "  an external address: no policy applies, all traffic allowed"
        );
        return;
    }
    if !side.isolated {
        let _ = writeln!(out, "  not isolated for {key}: all traffic allowed");
        return;
    }
    let _ = writeln!(out, "  isolated for {key} by:");
    for p in &side.policies {
        let _ = writeln!(out, "    {}/{}  {}:{}", p.namespace, p.name, p.file, p.line);
    }
    if side.allowing_rules.is_empty() {
        let peer = if dir == Direction::Egress {
            "to"
        } else {
            "from"
        };
        let _ = writeln!(out, "  no rule allows {port} {peer} {other}");
    } else {
        let _ = writeln!(out, "  allowed by:");
        for r in &side.allowing_rules {
            let _ = writeln!(
                out,
                "    {} {}[{}]  {}:{}",
                r.policy, r.direction, r.index, r.file, r.line
            );
        }
    }
    if !side.other_port_rules.is_empty() {
        let _ = writeln!(out, "  rules matching {other} on other ports:");
        for r in &side.other_port_rules {
            let _ = writeln!(
                out,
                "    {} {}[{}] allows {}  {}:{}",
                r.policy, r.direction, r.index, r.allows, r.file, r.line
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        assert_eq!(
            parse_endpoint("shop/web"),
            Ok(EndpointSpec::Workload {
                namespace: "shop".into(),
                name: "web".into(),
                kind: None
            })
        );
        assert_eq!(
            parse_endpoint("shop/web[Pod]"),
            Ok(EndpointSpec::Workload {
                namespace: "shop".into(),
                name: "web".into(),
                kind: Some("Pod".into())
            })
        );
        assert!(matches!(
            parse_endpoint("10.0.0.1"),
            Ok(EndpointSpec::Address { .. })
        ));
        assert!(matches!(
            parse_endpoint("fd00::1"),
            Ok(EndpointSpec::Address {
                family: Family::V6,
                ..
            })
        ));
        let Ok(EndpointSpec::Hypothetical { namespace, labels }) =
            parse_endpoint("shop[app=web, tier=]")
        else {
            panic!("not hypothetical");
        };
        assert_eq!(namespace, "shop");
        assert_eq!(labels.get("app").map(String::as_str), Some("web"));
        assert_eq!(labels.get("tier").map(String::as_str), Some(""));
        assert!(matches!(
            parse_endpoint("shop[]"),
            Ok(EndpointSpec::Hypothetical { .. })
        ));
    }

    #[test]
    fn bad_endpoints_say_why() {
        for bad in [
            "web",
            "shop/",
            "/web",
            "shop/web[",
            "shop/web[]",
            "shop[app]",
            "shop[a=b",
            "10.0.0.0/8",
        ] {
            let e = parse_endpoint(bad).expect_err(bad);
            assert!(
                e.contains(&format!("`{bad}`")) || e.contains("`app`"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn ports_parse() {
        assert_eq!(parse_port("80"), Ok(PortArg::Number(80, Protocol::Tcp)));
        assert_eq!(parse_port("53/udp"), Ok(PortArg::Number(53, Protocol::Udp)));
        assert_eq!(parse_port("http"), Ok(PortArg::Named("http".into(), None)));
        assert_eq!(
            parse_port("dns/UDP"),
            Ok(PortArg::Named("dns".into(), Some(Protocol::Udp)))
        );
        for bad in ["0", "65536", "80/ICMP", "", "a b", "-"] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
    }
}
