//! Traffic requirements: documented flows, checked against the engine.
//!
//! A requirements file (`apiVersion: netpol-lint/v1`, `kind:
//! TrafficRequirements`) lists flows that must be allowed or must be denied,
//! each between two endpoints (namespaces, label selectors, a workload, or
//! an `ipBlock`) on some ports. This module owns reading such files into
//! [`Requirement`]s with located `requirements-invalid` findings
//! ([`parse`]), evaluating them against an [`Engine`] into
//! `requirement-violated` and `requirement-unevaluable` findings ([`eval`]),
//! the JSON Schema of the file ([`schema()`]) and the bundled profiles
//! ([`mod@profile`]). It reads no manifests and prints nothing: `check` and the
//! `requirements` command do that.
//!
//! [`Engine`]: crate::engine::Engine

pub mod eval;
pub mod parse;
pub mod profile;
pub mod rules;
pub mod schema;

use std::fmt;
use std::path::Path;

use crate::model::ip::IpSet;
use crate::model::{PortSet, Protocol, Selector};
use crate::report::Diagnostic;
use crate::source::{SourceFile, Sources, Span};

pub use eval::evaluate;
pub use profile::{PROFILES, ProfileParams, load_profile, profile};
pub use rules::{REQUIREMENT_UNEVALUABLE, REQUIREMENT_VIOLATED, REQUIREMENTS_INVALID};
pub use schema::schema;

/// The `apiVersion` of a requirements file.
pub const API_VERSION: &str = "netpol-lint/v1";
/// The `kind` of a requirements file.
pub const KIND: &str = "TrafficRequirements";

/// One item of `requirements`.
#[derive(Debug, Clone)]
pub struct Requirement {
    pub name: Option<String>,
    pub description: Option<String>,
    pub from: Endpoint,
    pub to: Endpoint,
    /// `None`: no `ports`, every port of every protocol.
    pub ports: Option<Vec<PortReq>>,
    pub expect: Expect,
    /// The whole item.
    pub span: Span,
    /// Where findings about the requirement point: its `name`, or the item.
    pub label_span: Span,
}

impl Requirement {
    /// `` `name` `` or `requirement #N` for findings.
    pub fn title(&self, index: usize) -> String {
        match &self.name {
            Some(n) => format!("`{n}`"),
            None => format!("requirement #{}", index + 1),
        }
    }
}

/// What a requirement expects of its flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Allow,
    Deny,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
        }
    }
}

/// A `from` or `to` of a requirement.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub kind: EndpointKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum EndpointKind {
    /// `namespace` / `namespaceSelector` and `podSelector`.
    Pods {
        namespaces: NamespaceSpec,
        pods: Option<Selector>,
    },
    /// `workload: ns/name`: the pods of one workload of any kind.
    Workload { namespace: String, name: String },
    /// External addresses: the block minus its excepts.
    IpBlock { set: IpSet },
}

/// Which namespaces a pod endpoint covers.
#[derive(Debug, Clone)]
pub enum NamespaceSpec {
    /// Neither `namespace` nor `namespaceSelector`: every namespace.
    Any,
    Named(String),
    Selected(Selector),
}

/// One `ports` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortReq {
    /// `N/PROTO` or `N-M/PROTO`.
    Numbers(PortSet),
    /// A container port name, resolved against each destination pod.
    Named {
        name: String,
        protocol: Option<Protocol>,
    },
}

impl fmt::Display for PortReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortReq::Numbers(set) => f.write_str(&port_text(set)),
            PortReq::Named {
                name,
                protocol: Some(p),
            } => write!(f, "{name}/{p}"),
            PortReq::Named {
                name,
                protocol: None,
            } => f.write_str(name),
        }
    }
}

/// A port set in requirement syntax: `53/UDP, 8000-8010/TCP`.
pub fn port_text(set: &PortSet) -> String {
    let mut parts = Vec::new();
    for proto in Protocol::ALL {
        for &(lo, hi) in set.ranges(proto) {
            if lo == hi {
                parts.push(format!("{lo}/{proto}"));
            } else {
                parts.push(format!("{lo}-{hi}/{proto}"));
            }
        }
    }
    parts.join(", ")
}

/// Reads a requirements file from disk. The file is added to `sources` (also
/// when it cannot be read, so the finding has a file to point at).
pub fn load_requirements(
    path: &Path,
    sources: &mut Sources,
) -> (Vec<Requirement>, Vec<Diagnostic>) {
    let shown = path.to_string_lossy();
    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => load_requirements_text(&shown, &text, sources),
        Err(err) => {
            let id = sources.add(SourceFile::new(shown, ""));
            let diag = Diagnostic::new(
                crate::load::codes::UNREADABLE_INPUT,
                crate::report::Severity::Error,
                Span::new(id, 0, 0),
                format!("cannot read this requirements file: {err}"),
            );
            (Vec::new(), vec![diag])
        }
    }
}

/// Parses requirements from text, adding it to `sources` under `path`.
pub fn load_requirements_text(
    path: &str,
    text: &str,
    sources: &mut Sources,
) -> (Vec<Requirement>, Vec<Diagnostic>) {
    let id = sources.add(SourceFile::new(path, text));
    parse::parse_requirements(id, text)
}
