//! `--format sarif`: one SARIF 2.1.0 log for GitHub code scanning and other
//! SARIF viewers.
//!
//! One run; the driver lists every rule of the catalog (id, descriptions,
//! help from the rule's doc, default level) so that a viewer can show the
//! documentation next to a result. Each result points at the exact node
//! (start and end line and column) with the secondary labels as related
//! locations. Paths are relative to `%SRCROOT%`, the working directory,
//! which is how GitHub matches them against the checkout.
//!
//! The serde structs below cover the part of SARIF we write. We keep them
//! here rather than depend on `serde-sarif`: it is about as much code to
//! fill its builders as to declare these, and its generated structs need
//! features switched on in the consumer (see the crate notes).

use std::path::Path;

use serde::Serialize;

use super::{Artifact, Diagnostic, Label, RenderOptions, Severity, Summary, artifact, locate};
use crate::rules::{self, RuleMeta};
use crate::source::Sources;

const SCHEMA: &str = "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json";
/// The base that relative artifact URIs are resolved against.
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    original_uri_base_ids: serde_json::Map<String, serde_json::Value>,
    /// Our columns count characters, not the UTF-16 units SARIF assumes.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties<'a>,
}

#[derive(Serialize)]
struct RunProperties<'a> {
    summary: &'a Summary,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    full_description: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<Help>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_configuration: Option<Configuration>,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [SarifLocation; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<SarifLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: Physical,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<Logical>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    #[serde(skip_serializing_if = "Option::is_none")]
    uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical {
    fully_qualified_name: String,
    kind: &'static str,
}

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
    _opts: &RenderOptions,
) -> String {
    let cwd = std::env::current_dir().ok();
    let log = build(diags, sources, summary, cwd.as_deref());
    match serde_json::to_string_pretty(&log) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        Err(e) => unreachable!("a log of strings and integers serialises: {e}"),
    }
}

fn build<'a>(
    diags: &'a [Diagnostic],
    sources: &'a Sources,
    summary: &'a Summary,
    cwd: Option<&Path>,
) -> Log<'a> {
    let catalog = catalog(diags);
    let index = |rule: &str| catalog.iter().position(|c| c.name() == rule);
    let results = diags
        .iter()
        .map(|d| SarifResult {
            rule_id: d.rule,
            // `catalog` holds every rule that has a finding.
            rule_index: index(d.rule).unwrap_or_else(|| unreachable!("{} is listed", d.rule)),
            level: level(d.severity),
            message: Text {
                text: d.message.clone(),
            },
            locations: [primary(sources, d, cwd)],
            related_locations: d
                .secondary
                .iter()
                .enumerate()
                .map(|(i, l)| related(sources, l, i, cwd))
                .collect(),
        })
        .collect();
    let mut base_ids = serde_json::Map::new();
    base_ids.insert(SRCROOT.to_string(), srcroot(cwd));
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: env!("CARGO_PKG_NAME"),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: catalog.iter().map(CatalogRule::descriptor).collect(),
                },
            },
            original_uri_base_ids: base_ids,
            column_kind: "unicodeCodePoints",
            results,
            properties: RunProperties { summary },
        }],
    }
}

/// A rule of the driver: one from the registry, or a name that only a
/// finding carries (a rule reported outside the registry), which gets a
/// bare descriptor so that `ruleIndex` stays valid.
enum CatalogRule {
    Known(&'static RuleMeta),
    Bare(&'static str),
}

impl CatalogRule {
    fn name(&self) -> &'static str {
        match self {
            CatalogRule::Known(meta) => meta.name,
            CatalogRule::Bare(name) => name,
        }
    }

    fn descriptor(&self) -> Descriptor {
        let meta = match self {
            CatalogRule::Known(meta) => meta,
            CatalogRule::Bare(name) => {
                return Descriptor {
                    id: name.to_string(),
                    name: Some(pascal(name)),
                    short_description: None,
                    full_description: None,
                    help: None,
                    default_configuration: None,
                };
            }
        };
        Descriptor {
            id: meta.name.to_string(),
            name: Some(pascal(meta.name)),
            short_description: Some(Text {
                text: meta.summary.to_string(),
            }),
            full_description: Some(Text {
                text: what_it_does(meta.doc),
            }),
            help: Some(Help {
                text: meta.doc.replace("## ", ""),
                markdown: meta.doc.to_string(),
            }),
            default_configuration: Some(Configuration {
                level: level(meta.default_severity),
            }),
        }
    }
}

/// The registry in catalog order, then rule names found only in `diags`
/// in sorted order.
fn catalog(diags: &[Diagnostic]) -> Vec<CatalogRule> {
    let mut out: Vec<CatalogRule> = rules::registry()
        .into_iter()
        .map(|r| CatalogRule::Known(r.meta()))
        .collect();
    let mut extra: Vec<&'static str> = diags
        .iter()
        .map(|d| d.rule)
        .filter(|name| !out.iter().any(|r| r.name() == *name))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    out.extend(extra.into_iter().map(CatalogRule::Bare));
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `split-peer-selector` → `SplitPeerSelector`: SARIF suggests a friendly
/// name in that shape; the kebab-case id stays the identity.
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// The "What it does" section of a rule doc as plain paragraphs.
fn what_it_does(doc: &str) -> String {
    let section = doc
        .split("## ")
        .find_map(|s| s.strip_prefix("What it does"))
        .unwrap_or(doc);
    let paragraphs: Vec<String> = section
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

fn primary(sources: &Sources, d: &Diagnostic, cwd: Option<&Path>) -> SarifLocation {
    let mut loc = location(sources, &d.primary, None, cwd);
    if let Some(object) = &d.object {
        loc.logical_locations.push(Logical {
            fully_qualified_name: object.clone(),
            kind: "resource",
        });
    }
    loc
}

fn related(sources: &Sources, label: &Label, id: usize, cwd: Option<&Path>) -> SarifLocation {
    location(sources, label, Some(id), cwd)
}

fn location(
    sources: &Sources,
    label: &Label,
    id: Option<usize>,
    cwd: Option<&Path>,
) -> SarifLocation {
    let at = locate(sources, label.span);
    SarifLocation {
        id,
        physical_location: Physical {
            artifact_location: artifact_location(at.file, cwd),
            region: Region {
                start_line: at.line,
                start_column: at.column,
                end_line: at.end_line,
                end_column: at.end_column,
            },
        },
        logical_locations: Vec::new(),
        message: (!label.message.is_empty()).then(|| Text {
            text: label.message.clone(),
        }),
    }
}

fn artifact_location(file: &str, cwd: Option<&Path>) -> ArtifactLocation {
    match artifact(file, cwd) {
        Artifact::Relative(path) => ArtifactLocation {
            uri: Some(encode(&path)),
            uri_base_id: Some(SRCROOT),
            description: None,
        },
        Artifact::Outside(path) => ArtifactLocation {
            uri: Some(file_uri(&path)),
            uri_base_id: None,
            description: None,
        },
        // Standard input and bundled profiles have no URI; SARIF allows a
        // location described in words instead.
        Artifact::NoFile(name) => ArtifactLocation {
            uri: None,
            uri_base_id: None,
            description: Some(Text {
                text: match name.as_str() {
                    "<stdin>" => "standard input".to_string(),
                    other => other.trim_matches(['<', '>']).to_string(),
                },
            }),
        },
    }
}

/// `%SRCROOT%` as a `file:` URI of the working directory (with the final
/// slash that makes it a base), or a description when it is unknown.
fn srcroot(cwd: Option<&Path>) -> serde_json::Value {
    match cwd {
        Some(dir) => {
            let mut uri = file_uri(dir);
            if !uri.ends_with('/') {
                uri.push('/');
            }
            serde_json::json!({ "uri": uri })
        }
        None => serde_json::json!({
            "description": { "text": "the directory netpol-lint ran in" }
        }),
    }
}

/// A `file:` URI for an absolute path, or a relative reference for a
/// relative one (only when the working directory was unknown).
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    if path.is_absolute() {
        // A Windows path `C:/x` needs the extra slash of `file:///C:/x`.
        let slash = if text.starts_with('/') { "" } else { "/" };
        format!("file://{slash}{}", encode_keeping(&text, b":"))
    } else {
        encode(&text)
    }
}

/// Percent-encodes a path for a URI reference. `:` is encoded too so that
/// a first segment such as `a:b.yaml` cannot read as a URI scheme.
fn encode(path: &str) -> String {
    encode_keeping(path, b"")
}

fn encode_keeping(path: &str, keep: &[u8]) -> String {
    const SAFE: &[u8] = b"-._~/!$&'()*+,;=@";
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || SAFE.contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_spaces_percent_and_colon_but_not_slashes() {
        assert_eq!(encode("a b/c%d:e.yaml"), "a%20b/c%25d%3Ae.yaml");
        assert_eq!(encode("deploy/é.yaml"), "deploy/%C3%A9.yaml");
    }

    #[test]
    fn file_uri_of_an_absolute_path() {
        assert_eq!(file_uri(Path::new("/tmp/my dir")), "file:///tmp/my%20dir");
    }

    #[test]
    fn pascal_case_names() {
        assert_eq!(pascal("split-peer-selector"), "SplitPeerSelector");
        assert_eq!(pascal("yaml-syntax"), "YamlSyntax");
    }

    #[test]
    fn full_description_is_the_first_section() {
        let doc = "## What it does\n\nReports a\n`thing`.\n\nSecond.\n\n## Why it matters\n\nNo.";
        assert_eq!(what_it_does(doc), "Reports a `thing`.\n\nSecond.");
    }

    #[test]
    fn every_registered_rule_has_a_full_descriptor() {
        for rule in catalog(&[]) {
            let d = rule.descriptor();
            assert!(
                d.full_description.is_some_and(|t| !t.text.is_empty()),
                "{}",
                d.id
            );
            assert!(
                d.id.len() <= 255,
                "GitHub limits rule ids to 255 characters"
            );
        }
    }
}
