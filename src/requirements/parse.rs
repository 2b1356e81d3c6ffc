//! Requirements files: span tree in, [`Requirement`]s and located
//! `requirements-invalid` findings out.
//!
//! Every check reports at the node at fault (the unknown key, the bad port,
//! the wrong type) and drops only the requirement that holds it, so one typo
//! does not hide the rest of the file. Selectors and `ipBlock`s are decoded
//! with the Kubernetes types and scalar rules, so `app: yes` in `matchLabels`
//! is the error it would be in a NetworkPolicy.

use std::collections::HashMap;

use k8s_openapi::api::networking::v1::IPBlock;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::rules::REQUIREMENTS_INVALID;
use super::{
    API_VERSION, Endpoint, EndpointKind, Expect, KIND, NamespaceSpec, PortReq, Requirement,
};
use crate::model::ip::{Cidr, IpSet};
use crate::model::names::{label_key_problem, label_value_problem};
use crate::model::{PortSet, Protocol, Selector};
use crate::report::{Diagnostic, Severity};
use crate::source::de::{DeError, NodeDe, Scalar, resolve};
use crate::source::yaml::{Node, NodeKind, parse_stream};
use crate::source::{FileId, Span};

const REQUIREMENT_FIELDS: &[&str] = &["name", "description", "from", "to", "ports", "expect"];
const ENDPOINT_FIELDS: &[&str] = &[
    "namespace",
    "namespaceSelector",
    "podSelector",
    "workload",
    "ipBlock",
];

/// Parses every document of a requirements file.
pub fn parse_requirements(file: FileId, text: &str) -> (Vec<Requirement>, Vec<Diagnostic>) {
    let mut cx = Cx {
        diags: Vec::new(),
        names: Vec::new(),
    };
    let mut reqs = Vec::new();
    let mut documents = 0;
    for doc in parse_stream(file, text) {
        for issue in doc.issues {
            cx.error(issue.span, issue.message, "not valid here");
        }
        if let Some(root) = doc.root {
            documents += 1;
            cx.document(&root, &mut reqs);
        }
    }
    if documents == 0 && cx.diags.is_empty() {
        cx.diags.push(
            invalid(
                Span::new(file, 0, 0),
                "this requirements file has no document",
            )
            .help(format!(
                "start with `apiVersion: {API_VERSION}` and `kind: {KIND}`"
            )),
        );
    }
    cx.duplicate_names();
    (reqs, cx.diags)
}

fn invalid(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(REQUIREMENTS_INVALID.name, Severity::Error, span, message)
}

/// The first key of a mapping (where "this mapping lacks X" points), or
/// the node itself.
fn head(node: &Node) -> Span {
    node.as_map()
        .and_then(|m| m.first())
        .map_or(node.span, |(k, _)| k.span)
}

/// What a node is, for "found a ..." messages.
fn shape(node: &Node) -> &'static str {
    match &node.kind {
        NodeKind::Map(_) => "a mapping",
        NodeKind::Seq(_) => "a list",
        NodeKind::Scalar(text, style) => match resolve(text, *style) {
            Scalar::Null => "nothing",
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) => "an integer",
            Scalar::Float(_) => "a number",
            Scalar::Str(_) => "a string",
        },
    }
}

struct Cx {
    diags: Vec<Diagnostic>,
    /// Every requirement name with its span, valid item or not.
    names: Vec<(String, Span)>,
}

impl Cx {
    fn error(&mut self, span: Span, message: impl Into<String>, label: &str) {
        self.diags.push(invalid(span, message).label(label));
    }

    fn error_help(&mut self, span: Span, message: impl Into<String>, label: &str, help: &str) {
        self.diags
            .push(invalid(span, message).label(label).help(help));
    }

    fn document(&mut self, root: &Node, reqs: &mut Vec<Requirement>) {
        let Some(entries) = root.as_map() else {
            self.error_help(
                root.span,
                format!("a requirements file is a mapping, found {}", shape(root)),
                "expected `apiVersion`, `kind` and `requirements`",
                "see `netpol-lint requirements schema`",
            );
            return;
        };
        for (k, _) in entries {
            let key = k.as_str().unwrap_or("");
            if !matches!(key, "apiVersion" | "kind" | "requirements") {
                self.error_help(
                    k.span,
                    format!("unknown field `{key}` in a requirements file"),
                    "not a field of TrafficRequirements",
                    "top-level fields are `apiVersion`, `kind` and `requirements`",
                );
            }
        }
        let header_ok = self.header_field(root, "apiVersion", API_VERSION)
            & self.header_field(root, "kind", KIND);
        if !header_ok {
            // Not our kind of file: its requirements would be guesses.
            return;
        }
        let Some(list) = root.get("requirements") else {
            self.error(
                head(root),
                "this requirements file has no `requirements` list",
                "`requirements` missing",
            );
            return;
        };
        if list.is_null() {
            return;
        }
        let Some(items) = list.as_seq() else {
            self.error(
                list.span,
                format!("`requirements` must be a list, found {}", shape(list)),
                "expected a list of requirements",
            );
            return;
        };
        for item in items {
            if let Some(r) = self.requirement(item) {
                reqs.push(r);
            }
        }
    }

    /// Checks `apiVersion` or `kind`; false when missing or wrong.
    fn header_field(&mut self, root: &Node, key: &str, want: &str) -> bool {
        match root.get(key) {
            None => {
                self.error_help(
                    head(root),
                    format!("this requirements file has no `{key}`"),
                    &format!("`{key}` missing"),
                    &format!("add `{key}: {want}`"),
                );
                false
            }
            Some(v) if v.as_str() == Some(want) => true,
            Some(v) => {
                let found = v
                    .as_str()
                    .map_or_else(|| shape(v).to_string(), |s| format!("`{s}`"));
                self.error_help(
                    v.span,
                    format!("`{key}` is {found}, expected `{want}`"),
                    "not a netpol-lint requirements file",
                    &format!("requirements files start with `apiVersion: {API_VERSION}` and `kind: {KIND}`"),
                );
                false
            }
        }
    }

    fn requirement(&mut self, item: &Node) -> Option<Requirement> {
        let Some(entries) = item.as_map() else {
            self.error(
                item.span,
                format!("a requirement must be a mapping, found {}", shape(item)),
                "expected `from`, `to` and `expect`",
            );
            return None;
        };
        let before = self.diags.len();
        let (mut name, mut description, mut from, mut to, mut ports, mut expect) =
            (None, None, None, None, None, None);
        let mut name_span = None;
        for (k, v) in entries {
            match k.as_str().unwrap_or("") {
                "name" => {
                    name = self.string(v, "name");
                    name_span = Some(v.span);
                    if let Some(n) = &name {
                        self.names.push((n.clone(), v.span));
                    }
                }
                "description" => description = self.string(v, "description"),
                "from" => from = self.endpoint(v, "from"),
                "to" => to = self.endpoint(v, "to"),
                "ports" => ports = self.ports(v),
                "expect" => expect = self.expect(v),
                key => self.error_help(
                    k.span,
                    format!("unknown field `{key}` in a requirement"),
                    "not a field of a requirement",
                    &format!("fields are {}", quoted_list(REQUIREMENT_FIELDS)),
                ),
            }
        }
        for (key, present) in [
            ("from", item.get("from")),
            ("to", item.get("to")),
            ("expect", item.get("expect")),
        ] {
            if present.is_none() {
                let help = match key {
                    "expect" => "add `expect: allow` or `expect: deny`",
                    _ => {
                        "an endpoint is `namespace`, `namespaceSelector`, `podSelector`, \
                          `workload` or `ipBlock`"
                    }
                };
                self.error_help(
                    head(item),
                    format!("this requirement has no `{key}`"),
                    &format!("`{key}` missing"),
                    help,
                );
            }
        }
        if self.diags.len() > before {
            return None;
        }
        let (from, to, expect) = (from?, to?, expect?);
        if matches!(from.kind, EndpointKind::IpBlock { .. })
            && matches!(to.kind, EndpointKind::IpBlock { .. })
        {
            self.error_help(
                to.span,
                "both ends of this requirement are `ipBlock`s",
                "external to external",
                "NetworkPolicy governs traffic to or from pods; one end must be pods",
            );
            return None;
        }
        Some(Requirement {
            name,
            description,
            from,
            to,
            ports: ports.flatten(),
            expect,
            span: item.span,
            label_span: name_span.unwrap_or_else(|| head(item)),
        })
    }

    /// A string-valued field, with Kubernetes scalar rules (`yes` is not a
    /// string).
    fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        if let NodeKind::Scalar(text, style) = &node.kind
            && let Scalar::Str(s) = resolve(text, *style)
        {
            return Some(s.to_string());
        }
        let hint = if matches!(node.kind, NodeKind::Scalar(..)) && !node.is_null() {
            "; quote it"
        } else {
            ""
        };
        self.error(
            node.span,
            format!("`{field}` must be a string, found {}{hint}", shape(node)),
            "expected a string",
        );
        None
    }

    fn expect(&mut self, node: &Node) -> Option<Expect> {
        match node.as_str() {
            Some("allow") => Some(Expect::Allow),
            Some("deny") => Some(Expect::Deny),
            other => {
                let found = other.map_or_else(|| shape(node).to_string(), |s| format!("`{s}`"));
                self.error(
                    node.span,
                    format!("`expect` must be `allow` or `deny`, found {found}"),
                    "not `allow` or `deny`",
                );
                None
            }
        }
    }

    /// `Some(None)`: ports absent in effect (null); `None`: an error.
    fn ports(&mut self, node: &Node) -> Option<Option<Vec<PortReq>>> {
        if node.is_null() {
            return Some(None);
        }
        let Some(items) = node.as_seq() else {
            self.error(
                node.span,
                format!("`ports` must be a list, found {}", shape(node)),
                "expected a list such as `[9443/TCP]`",
            );
            return None;
        };
        if items.is_empty() {
            self.error_help(
                node.span,
                "`ports` is empty",
                "no ports listed",
                "leave `ports` out to mean every port, or list ports such as `9443/TCP`",
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            let parsed = match &item.kind {
                NodeKind::Scalar(text, style) => match resolve(text, *style) {
                    Scalar::Int(n) => Err(format!(
                        "port `{n}` needs a protocol: write `{n}/TCP`, `{n}/UDP` or `{n}/SCTP`"
                    )),
                    Scalar::Str(s) => parse_port(s),
                    _ => Err(format!(
                        "a port is a string such as `9443/TCP`, found {}",
                        shape(item)
                    )),
                },
                _ => Err(format!(
                    "a port is a string such as `9443/TCP`, found {}",
                    shape(item)
                )),
            };
            match parsed {
                Ok(p) => out.push(p),
                Err(message) => {
                    ok = false;
                    self.error_help(
                        item.span,
                        message,
                        "bad port",
                        "ports are `N/PROTO`, `N-M/PROTO`, or a container port name (`metrics`, \
                         `metrics/TCP`)",
                    );
                }
            }
        }
        ok.then_some(Some(out))
    }

    fn endpoint(&mut self, node: &Node, field: &str) -> Option<Endpoint> {
        let Some(entries) = node.as_map() else {
            self.error_help(
                node.span,
                format!("`{field}` must be a mapping, found {}", shape(node)),
                "expected an endpoint",
                &format!("an endpoint has {}", quoted_list(ENDPOINT_FIELDS)),
            );
            return None;
        };
        if entries.is_empty() {
            self.error_help(
                node.span,
                format!("`{field}` names no endpoint"),
                "empty endpoint",
                &format!("give one of {}", quoted_list(ENDPOINT_FIELDS)),
            );
            return None;
        }
        let before = self.diags.len();
        let (mut namespace, mut ns_sel, mut pod_sel, mut workload, mut block) =
            (None, None, None, None, None);
        for (k, v) in entries {
            match k.as_str().unwrap_or("") {
                "namespace" => namespace = self.string(v, "namespace"),
                "namespaceSelector" => ns_sel = self.selector(v, "namespaceSelector"),
                "podSelector" => pod_sel = self.selector(v, "podSelector"),
                "workload" => workload = self.workload(v),
                "ipBlock" => block = self.ip_block(v),
                key => self.error_help(
                    k.span,
                    format!("unknown field `{key}` in `{field}`"),
                    "not a field of an endpoint",
                    &format!("an endpoint has {}", quoted_list(ENDPOINT_FIELDS)),
                ),
            }
        }
        for key in ["workload", "ipBlock"] {
            if let Some((k, _)) = node.entry(key)
                && entries.len() > 1
            {
                self.error_help(
                    k.span,
                    format!("`{key}` cannot be combined with other fields in `{field}`"),
                    "only this field may be given",
                    &format!("`{key}` names the whole endpoint; remove the other fields"),
                );
            }
        }
        if let (Some(_), Some((k, _))) = (node.get("namespace"), node.entry("namespaceSelector")) {
            self.error_help(
                k.span,
                format!("`{field}` has both `namespace` and `namespaceSelector`"),
                "give one of them",
                "`namespace: NAME` is the same as selecting `kubernetes.io/metadata.name: NAME`",
            );
        }
        if self.diags.len() > before {
            return None;
        }
        let kind = if let Some((namespace, name)) = workload {
            EndpointKind::Workload { namespace, name }
        } else if let Some(set) = block {
            EndpointKind::IpBlock { set }
        } else {
            let namespaces = match (namespace, ns_sel) {
                (Some(n), _) => NamespaceSpec::Named(n),
                (None, Some(s)) => NamespaceSpec::Selected(s),
                (None, None) => NamespaceSpec::Any,
            };
            EndpointKind::Pods {
                namespaces,
                pods: pod_sel,
            }
        };
        Some(Endpoint {
            kind,
            span: node.span,
        })
    }

    fn workload(&mut self, node: &Node) -> Option<(String, String)> {
        let text = self.string(node, "workload")?;
        match text.split_once('/') {
            Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                Some((ns.to_string(), name.to_string()))
            }
            _ => {
                self.error(
                    node.span,
                    format!("`workload` must be `namespace/name`, found `{text}`"),
                    "expected `namespace/name`",
                );
                None
            }
        }
    }

    /// A Kubernetes `LabelSelector`, with unknown keys and operators the API
    /// server rejects reported.
    fn selector(&mut self, node: &Node, field: &str) -> Option<Selector> {
        let mut unknown = Vec::new();
        let decoded: Result<LabelSelector, DeError> =
            serde_ignored::deserialize(NodeDe(node), |path| unknown.push(path_keys(&path)));
        let before = self.diags.len();
        for path in unknown {
            if let Some((span, key)) = key_at(node, &path) {
                self.error_help(
                    span,
                    format!("unknown field `{key}` in `{field}`"),
                    "not a field of LabelSelector",
                    "a selector has `matchLabels` and `matchExpressions`",
                );
            }
        }
        let sel = match decoded {
            Ok(s) => s,
            Err(e) => {
                self.error(
                    e.span.unwrap_or(node.span),
                    format!("`{field}`: {}", e.message),
                    "wrong type",
                );
                return None;
            }
        };
        // Keys and values spelt as no label can be: the selector could only
        // ever match nothing.
        let written = node
            .get("matchLabels")
            .and_then(Node::as_map)
            .unwrap_or_default();
        for (key, value) in written {
            let (Some(k), Some(v)) = (key.as_str(), value.as_str()) else {
                continue;
            };
            let problem = label_key_problem(k)
                .map(|p| (key.span, p))
                .or_else(|| label_value_problem(v).map(|p| (value.span, p)));
            if let Some((span, problem)) = problem {
                self.error(span, format!("`{field}`: {problem}"), "not a valid label");
            }
        }
        for (i, e) in sel.match_expressions.iter().flatten().enumerate() {
            let at = |key: &'static str| {
                node.span_at(&["matchExpressions".into(), i.into(), key.into()])
            };
            if let Some(problem) = label_key_problem(&e.key) {
                self.error(
                    at("key"),
                    format!("`{field}`: {problem}"),
                    "not a valid label key",
                );
            }
            let n = e.values.as_ref().map_or(0, Vec::len);
            let problem = match e.operator.as_str() {
                "In" | "NotIn" if n == 0 => Some((
                    at("values"),
                    format!("operator `{}` needs `values`", e.operator),
                )),
                "Exists" | "DoesNotExist" if n > 0 => Some((
                    at("values"),
                    format!("operator `{}` takes no `values`", e.operator),
                )),
                "In" | "NotIn" | "Exists" | "DoesNotExist" => None,
                op => Some((
                    at("operator"),
                    format!(
                        "unknown operator `{op}`; use `In`, `NotIn`, `Exists` or `DoesNotExist`"
                    ),
                )),
            };
            if let Some((span, problem)) = problem {
                self.error(span, format!("`{field}`: {problem}"), "invalid expression");
            }
        }
        (self.diags.len() == before).then(|| Selector::from_k8s(&sel))
    }

    fn ip_block(&mut self, node: &Node) -> Option<IpSet> {
        let mut unknown = Vec::new();
        let decoded: Result<IPBlock, DeError> =
            serde_ignored::deserialize(NodeDe(node), |path| unknown.push(path_keys(&path)));
        let before = self.diags.len();
        for path in unknown {
            if let Some((span, key)) = key_at(node, &path) {
                self.error_help(
                    span,
                    format!("unknown field `{key}` in `ipBlock`"),
                    "not a field of IPBlock",
                    "an `ipBlock` has `cidr` and `except`",
                );
            }
        }
        let block = match decoded {
            Ok(b) => b,
            Err(e) => {
                self.error(
                    e.span.unwrap_or(node.span),
                    format!("`ipBlock`: {}", e.message),
                    "wrong type",
                );
                return None;
            }
        };
        let cidr_span = node.span_at(&["cidr".into()]);
        let cidr = match Cidr::parse(&block.cidr) {
            Ok(c) => c.network(),
            Err(e) => {
                self.error(cidr_span, format!("`cidr`: {e}"), "not a CIDR");
                return None;
            }
        };
        let mut excepts = Vec::new();
        for (i, text) in block.except.iter().flatten().enumerate() {
            let span = node.span_at(&["except".into(), i.into()]);
            match Cidr::parse(text) {
                Ok(e) if e.family == cidr.family && cidr.contains(&e.network()) => {
                    excepts.push(e.network());
                }
                Ok(_) => self.error(
                    span,
                    format!("`except` entry `{text}` is not inside `{cidr}`"),
                    "outside the block",
                ),
                Err(e) => self.error(span, format!("`except`: {e}"), "not a CIDR"),
            }
        }
        (self.diags.len() == before).then(|| IpSet::from_block(&cidr, &excepts))
    }

    fn duplicate_names(&mut self) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for (name, span) in &self.names {
            if let Some(first) = seen.get(name.as_str()) {
                self.diags.push(
                    invalid(*span, format!("duplicate requirement name `{name}`"))
                        .label("used twice")
                        .with_secondary(*first, "first used here")
                        .help("names identify requirements in findings; make them unique"),
                );
            } else {
                seen.insert(name, *span);
            }
        }
    }
}

fn quoted_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// One step of a serde_ignored path.
enum Step {
    Key(String),
    Index(usize),
}

fn path_keys(path: &serde_ignored::Path<'_>) -> Vec<Step> {
    use serde_ignored::Path as P;
    match path {
        P::Root => Vec::new(),
        P::Seq { parent, index } => {
            let mut v = path_keys(parent);
            v.push(Step::Index(*index));
            v
        }
        P::Map { parent, key } => {
            let mut v = path_keys(parent);
            v.push(Step::Key(key.clone()));
            v
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            path_keys(parent)
        }
    }
}

/// The key node an ignored-field path ends at.
fn key_at(node: &Node, path: &[Step]) -> Option<(Span, String)> {
    let (last, parents) = path.split_last()?;
    let mut cur = node;
    for step in parents {
        cur = match step {
            Step::Key(k) => cur.get(k)?,
            Step::Index(i) => cur.index(*i)?,
        };
    }
    match last {
        Step::Key(k) => cur.entry(k).map(|(key, _)| (key.span, k.clone())),
        Step::Index(_) => None,
    }
}

/// Parses one `ports` entry: `N/PROTO`, `N-M/PROTO`, `name` or `name/PROTO`.
pub fn parse_port(text: &str) -> Result<PortReq, String> {
    let (body, proto) = match text.rsplit_once('/') {
        Some((b, p)) => (b, Some(p)),
        None => (text, None),
    };
    let protocol = match proto {
        None => None,
        Some(p) => Some(Protocol::parse(p).ok_or_else(|| {
            let upper = p.to_ascii_uppercase();
            if Protocol::parse(&upper).is_some() {
                format!("protocol `{p}` must be upper case: `{body}/{upper}`")
            } else {
                format!("unknown protocol `{p}` in `{text}`; use `TCP`, `UDP` or `SCTP`")
            }
        })?),
    };
    if body.starts_with(|c: char| c.is_ascii_digit()) {
        let (lo, hi) = match body.split_once('-') {
            Some((a, b)) => (port_number(a, text)?, port_number(b, text)?),
            None => {
                let n = port_number(body, text)?;
                (n, n)
            }
        };
        if lo > hi {
            return Err(format!("port range `{body}` ends before it starts"));
        }
        let Some(protocol) = protocol else {
            return Err(format!(
                "port `{body}` needs a protocol: write `{body}/TCP`, `{body}/UDP` or `{body}/SCTP`"
            ));
        };
        return Ok(PortReq::Numbers(PortSet::range(protocol, lo, hi)));
    }
    if !is_port_name(body) {
        return Err(format!(
            "`{text}` is neither a port (`9443/TCP`, `8000-8010/TCP`) nor a container port name"
        ));
    }
    Ok(PortReq::Named {
        name: body.to_string(),
        protocol,
    })
}

fn port_number(s: &str, whole: &str) -> Result<u16, String> {
    match s.parse::<u32>() {
        Ok(n @ 1..=65535) => Ok(n as u16),
        Ok(_) => Err(format!(
            "port `{s}` in `{whole}` is out of range (1 to 65535)"
        )),
        Err(_) => Err(format!("`{s}` in `{whole}` is not a port number")),
    }
}

/// A container port name as Kubernetes accepts it (IANA service name): at
/// most 15 lowercase letters, digits and inner single hyphens, at least one
/// letter.
fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_syntax() {
        assert_eq!(
            parse_port("53/UDP"),
            Ok(PortReq::Numbers(PortSet::single(Protocol::Udp, 53)))
        );
        assert_eq!(
            parse_port("3333-3345/TCP"),
            Ok(PortReq::Numbers(PortSet::range(Protocol::Tcp, 3333, 3345)))
        );
        assert_eq!(
            parse_port("metrics"),
            Ok(PortReq::Named {
                name: "metrics".into(),
                protocol: None
            })
        );
        assert_eq!(
            parse_port("dns/UDP"),
            Ok(PortReq::Named {
                name: "dns".into(),
                protocol: Some(Protocol::Udp)
            })
        );
        for bad in [
            "53",
            "53/tcp",
            "0/TCP",
            "70000/TCP",
            "20-10/TCP",
            "Web",
            "a--b",
            "53/XTP",
        ] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
        assert!(parse_port("53/tcp").unwrap_err().contains("`53/TCP`"));
    }

    #[test]
    fn port_text_round_trips() {
        let mut set = PortSet::single(Protocol::Udp, 53);
        set.union_with(&PortSet::range(Protocol::Tcp, 10, 20));
        assert_eq!(super::super::port_text(&set), "10-20/TCP, 53/UDP");
    }
}
