//! The configuration file, `.netpol-lint.yaml`, and the settings `check`
//! runs with.
//!
//! Owns finding the file (the current directory, then each parent up to the
//! filesystem root), reading it into a [`Config`] with located
//! `invalid-config` findings (through the span tree and serde, so a
//! misspelt key points at itself), its JSON Schema ([`schema`]), and
//! merging it with the command line into [`Settings`]; the command line
//! wins. It runs no rule and drops no finding: `check` and
//! [`crate::suppress`] do that with the settings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::cli::check::FailOn;
use crate::cli::requirements::ProfileArgs;
use crate::load::LoadOptions;
use crate::model::{Labels, Protocol, Selector};
use crate::operators::OperatorTable;
use crate::report::{Diagnostic, Severity};
use crate::requirements::parse::parse_port;
use crate::requirements::{
    PROFILES, ProfileParams, REQUIREMENT_UNEVALUABLE, REQUIREMENT_VIOLATED, REQUIREMENTS_INVALID,
    Requirement,
};
use crate::rules::dns::DnsService;
use crate::rules::{RuleMeta, invalid_config};
use crate::source::de::from_node;
use crate::source::yaml::{Node, NodeKind, Seg, YamlIssueKind, parse_stream};
use crate::source::{SourceFile, Sources, Span};

/// The name `check` looks for in the current directory and its parents.
pub const FILE_NAME: &str = ".netpol-lint.yaml";

/// In `select`: every rule.
pub const ALL: &str = "all";

/// The file as written. Every section is optional, and `null` counts as
/// absent, so that an emptied section is not an error.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    rules: Option<RawRules>,
    fail_on: Option<String>,
    skip_namespaces: Option<Vec<String>>,
    requirements: Option<Vec<String>>,
    profiles: Option<Vec<RawProfile>>,
    dns: Option<RawDns>,
    operators: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    severity: Option<BTreeMap<String, String>>,
}

/// One bundled profile with its parameters, spelt like the `check` flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    name: String,
    namespace: Option<String>,
    cluster: Option<String>,
    client_label: Option<String>,
    prometheus_namespace: Option<String>,
    prometheus_label: Option<String>,
    api_server_cidr: Option<String>,
    api_server_port: Option<u16>,
    database_ports: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDns {
    namespace: Option<String>,
    pod_selector: Option<RawSelector>,
    port: Option<u16>,
    protocols: Option<Vec<String>>,
}

/// A Kubernetes `LabelSelector`, with unknown keys refused (k8s-openapi's
/// own type would drop a misspelt `matchLabel` and select every pod).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSelector {
    match_labels: Option<BTreeMap<String, String>>,
    match_expressions: Option<Vec<RawExpression>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpression {
    key: String,
    operator: String,
    values: Option<Vec<String>>,
}

/// A configuration file, read and checked. Paths in it are resolved
/// against the file's directory.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from, as shown to the user.
    pub path: PathBuf,
    /// `None`: every rule. May hold [`ALL`].
    pub select: Option<Vec<&'static str>>,
    pub ignore: Vec<&'static str>,
    pub severity: Vec<(&'static str, Severity)>,
    pub fail_on: Option<FailOn>,
    pub skip_namespaces: Vec<String>,
    pub requirements: Vec<PathBuf>,
    pub profiles: Vec<ProfileEntry>,
    pub dns: Option<DnsService>,
    pub operators: Vec<OperatorTable>,
}

/// A profile to check, with the parameters the configuration sets.
#[derive(Debug, Clone)]
pub struct ProfileEntry {
    pub name: &'static str,
    pub params: ProfileArgs,
}

/// Every rule a finding can name: the catalog, and the requirement
/// findings `check` produces from requirements files.
pub fn known_rules() -> Vec<&'static RuleMeta> {
    let mut metas: Vec<&'static RuleMeta> =
        crate::rules::registry().iter().map(|r| r.meta()).collect();
    for extra in [
        &REQUIREMENT_VIOLATED,
        &REQUIREMENT_UNEVALUABLE,
        &REQUIREMENTS_INVALID,
    ] {
        if !metas.iter().any(|m| m.name == extra.name) {
            metas.push(extra);
        }
    }
    metas
}

/// The static name of a known rule.
pub fn rule_name(name: &str) -> Option<&'static str> {
    known_rules()
        .into_iter()
        .find(|m| m.name == name)
        .map(|m| m.name)
}

/// "`egress-to-anywher` is not a rule", and a help that suggests the
/// nearest rule name or points at the catalog.
pub fn unknown_rule(name: &str) -> (String, String) {
    let names: Vec<&str> = known_rules().iter().map(|m| m.name).collect();
    let help = match did_you_mean(name, &names) {
        Some(s) => format!("did you mean `{s}`?"),
        None => "`netpol-lint rules` lists the rules".to_string(),
    };
    (format!("`{name}` is not a rule"), help)
}

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a typo (a third of the name, at least two edits).
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(above + 1)
                .min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// The nearest configuration file: in `cwd` or the closest parent. The
/// path is relative to `cwd` (`../.netpol-lint.yaml`) so that findings in
/// files it names stay short.
pub fn discover(cwd: &Path) -> Option<PathBuf> {
    let mut up = PathBuf::new();
    let mut dir = Some(cwd);
    while let Some(d) = dir {
        if d.join(FILE_NAME).is_file() {
            return Some(up.join(FILE_NAME));
        }
        up.push("..");
        dir = d.parent();
    }
    None
}

/// Reads a configuration file. Its text goes into `sources` (an empty
/// text when it cannot be read) so that findings can point into it.
pub fn load_config(path: &Path, sources: &mut Sources) -> Result<Config, Vec<Diagnostic>> {
    let shown = path.to_string_lossy();
    let shown = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    let dir = path.parent().unwrap_or(Path::new(""));
    match std::fs::read_to_string(path) {
        Ok(text) => parse_config(&shown, dir, &text, sources),
        Err(err) => {
            let id = sources.add(SourceFile::new(shown, ""));
            Err(vec![invalid(
                Span::new(id, 0, 0),
                format!("cannot read the configuration file: {err}"),
                "unreadable",
            )])
        }
    }
}

/// Parses configuration text; relative paths in it are resolved against
/// `dir`. The text is added to `sources` under `path`.
pub fn parse_config(
    path: &str,
    dir: &Path,
    text: &str,
    sources: &mut Sources,
) -> Result<Config, Vec<Diagnostic>> {
    let file = sources.add(SourceFile::new(path, text));
    let mut cx = Cx {
        dir,
        diags: Vec::new(),
    };
    let mut roots = Vec::new();
    for doc in parse_stream(file, text) {
        for issue in doc.issues {
            // The YAML layer words duplicate keys for manifests ("the API
            // server rejects it"); here only the fact applies.
            let message = match issue.kind {
                YamlIssueKind::DuplicateKey => issue
                    .message
                    .split(';')
                    .next()
                    .unwrap_or(&issue.message)
                    .to_string(),
                _ => issue.message,
            };
            cx.error(issue.span, message, "not valid YAML here");
        }
        roots.extend(doc.root);
    }
    let mut config = Config {
        path: PathBuf::from(path),
        ..Config::default()
    };
    if let Some(extra) = roots.get(1) {
        cx.error(
            extra.span,
            "a configuration file holds one document",
            "a second document",
        );
    }
    if let Some(root) = roots.first().filter(|r| !r.is_null()) {
        if !cx.shapes(root) {
            return Err(cx.diags);
        }
        match from_node::<RawConfig>(root) {
            Ok(raw) => cx.check(&raw, root, &mut config),
            Err(err) => {
                let span = err.span.unwrap_or(root.span);
                let (label, help) = if err.message.starts_with("unknown field") {
                    (
                        "not a configuration key",
                        "`netpol-lint config schema` lists the keys",
                    )
                } else {
                    (
                        "not valid here",
                        "`netpol-lint config schema` describes every key",
                    )
                };
                // serde names Rust types; say what the file must hold.
                let message = err
                    .message
                    .replace("expected u16", "expected a port number (1-65535)");
                cx.diags.push(invalid(span, message, label).help(help));
            }
        }
    }
    if cx.diags.is_empty() {
        Ok(config)
    } else {
        Err(cx.diags)
    }
}

fn invalid(span: Span, message: impl Into<String>, label: &str) -> Diagnostic {
    Diagnostic::new(invalid_config::META.name, Severity::Error, span, message).label(label)
}

/// Checks what serde cannot: rule names, levels, files, selectors.
struct Cx<'a> {
    dir: &'a Path,
    diags: Vec<Diagnostic>,
}

impl Cx<'_> {
    fn error(&mut self, span: Span, message: impl Into<String>, label: &str) {
        self.diags.push(invalid(span, message, label));
    }

    fn error_help(&mut self, span: Span, message: impl Into<String>, label: &str, help: &str) {
        self.diags.push(invalid(span, message, label).help(help));
    }

    /// Every section that is a mapping must be one (or empty): serde would
    /// otherwise read a list as the fields in order and blame an item.
    fn shapes(&mut self, root: &Node) -> bool {
        let mut sections: Vec<(&Node, String)> = vec![(root, "the configuration".into())];
        for key in ["rules", "dns"] {
            sections.extend(root.get(key).map(|n| (n, format!("`{key}`"))));
        }
        if let Some(sel) = root.at(&["dns".into(), "pod-selector".into()]) {
            sections.push((sel, "`pod-selector`".into()));
        }
        for item in root
            .get("profiles")
            .and_then(Node::as_seq)
            .unwrap_or_default()
        {
            sections.push((item, "a `profiles` item".into()));
        }
        let before = self.diags.len();
        for (node, what) in sections {
            if node.as_map().is_none() && !node.is_null() {
                self.error_help(
                    node.span,
                    format!("{what} is a mapping of keys, found {}", shape(node)),
                    "expected `key: value` entries",
                    "`netpol-lint config schema` describes every key",
                );
            }
        }
        self.diags.len() == before
    }

    fn check(&mut self, raw: &RawConfig, root: &Node, config: &mut Config) {
        if let Some(rules) = &raw.rules {
            self.rules(rules, root, config);
        }
        if let Some(level) = &raw.fail_on {
            config.fail_on = parse_fail_on(level);
            if config.fail_on.is_none() {
                self.error_help(
                    root.span_at(&["fail-on".into()]),
                    format!("`{level}` is not a `fail-on` level"),
                    "unknown level",
                    "use `error`, `warning`, `info` or `never`",
                );
            }
        }
        config.skip_namespaces = raw.skip_namespaces.clone().unwrap_or_default();
        for (i, p) in raw.requirements.iter().flatten().enumerate() {
            let at = root.span_at(&["requirements".into(), i.into()]);
            if let Some(path) = self.existing_file(p, at, "requirements file") {
                config.requirements.push(path);
            }
        }
        for (i, p) in raw.profiles.iter().flatten().enumerate() {
            if let Some(entry) = self.profile(p, root, i, &config.profiles) {
                config.profiles.push(entry);
            }
        }
        if let Some(dns) = &raw.dns {
            config.dns = self.dns(dns, root);
        }
        for (i, p) in raw.operators.iter().flatten().enumerate() {
            let at = root.span_at(&["operators".into(), i.into()]);
            let Some(path) = self.existing_file(p, at, "operator table") else {
                continue;
            };
            match read_operator_table(&path) {
                Ok(table) => config.operators.push(table),
                Err(e) => self.error(at, e, "not a usable operator table"),
            }
        }
    }

    fn rules(&mut self, rules: &RawRules, root: &Node, config: &mut Config) {
        let path = |key: &'static str, i: usize| -> [Seg<'static>; 3] {
            ["rules".into(), key.into(), i.into()]
        };
        if let Some(select) = &rules.select {
            let mut names = Vec::new();
            for (i, name) in select.iter().enumerate() {
                if name == ALL {
                    names.push(ALL);
                } else if let Some(n) = self.rule(name, root.span_at(&path("select", i))) {
                    names.push(n);
                }
            }
            config.select = Some(names);
        }
        for (i, name) in rules.ignore.iter().flatten().enumerate() {
            if let Some(n) = self.rule(name, root.span_at(&path("ignore", i))) {
                config.ignore.push(n);
            }
        }
        for (name, level) in rules.severity.iter().flatten() {
            let key_path = ["rules".into(), "severity".into(), Seg::Key(name)];
            let Some(rule) = self.rule(name, root.key_span_at(&key_path)) else {
                continue;
            };
            match Severity::parse(level) {
                Some(s) => config.severity.push((rule, s)),
                None => self.error_help(
                    root.span_at(&key_path),
                    format!("`{level}` is not a severity"),
                    "unknown severity",
                    "use `error`, `warning` or `info`",
                ),
            }
        }
    }

    fn rule(&mut self, name: &str, span: Span) -> Option<&'static str> {
        let found = rule_name(name);
        if found.is_none() {
            let (message, help) = unknown_rule(name);
            self.error_help(span, message, "unknown rule", &help);
        }
        found
    }

    /// `p` resolved against the configuration's directory, if it is a file.
    fn existing_file(&mut self, p: &str, at: Span, what: &str) -> Option<PathBuf> {
        let path = self.dir.join(p);
        if path.is_file() {
            return Some(path);
        }
        let (problem, label) = if path.is_dir() {
            ("is a directory, not a file", "a directory")
        } else {
            ("does not exist", "no such file")
        };
        self.error_help(
            at,
            format!("{what} `{p}` {problem}"),
            label,
            &format!(
                "paths are relative to the directory of the configuration file; this one \
                 resolves to `{}`",
                path.display()
            ),
        );
        None
    }

    fn profile(
        &mut self,
        raw: &RawProfile,
        root: &Node,
        index: usize,
        seen: &[ProfileEntry],
    ) -> Option<ProfileEntry> {
        let at = |key: &'static str| root.span_at(&["profiles".into(), index.into(), key.into()]);
        let Some(&name) = PROFILES.iter().find(|p| **p == raw.name) else {
            let help = match did_you_mean(&raw.name, PROFILES) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("the bundled profiles are {}", quoted(PROFILES)),
            };
            self.error_help(
                at("name"),
                format!("`{}` is not a bundled profile", raw.name),
                "unknown profile",
                &help,
            );
            return None;
        };
        if seen.iter().any(|p| p.name == name) {
            self.error(
                at("name"),
                format!("profile `{name}` is listed twice"),
                "again",
            );
            return None;
        }
        let mut ok = true;
        let mut label = |key: &'static str, value: &Option<String>| {
            let text = value.as_deref()?;
            match parse_label(text) {
                Some(pair) => Some(pair),
                None => {
                    self.error_help(
                        at(key),
                        format!("`{text}` is not a label"),
                        "expected KEY=VALUE",
                        "write the label as `key=value`, as in `redis-client=true`",
                    );
                    ok = false;
                    None
                }
            }
        };
        let client_label = label("client-label", &raw.client_label);
        let prometheus_label = label("prometheus-label", &raw.prometheus_label);
        let database_ports = raw.database_ports.clone().unwrap_or_default();
        for (i, port) in database_ports.iter().enumerate() {
            if let Err(e) = parse_port(port) {
                let span = root.span_at(&[
                    "profiles".into(),
                    index.into(),
                    "database-ports".into(),
                    i.into(),
                ]);
                self.error(span, e, "not a port");
                ok = false;
            }
        }
        let params = ProfileArgs {
            namespace: raw.namespace.clone(),
            cluster: raw.cluster.clone(),
            client_label,
            prometheus_namespace: raw.prometheus_namespace.clone(),
            prometheus_label,
            api_server_cidr: raw.api_server_cidr.clone(),
            api_server_port: raw.api_server_port,
            database_ports,
        };
        ok.then_some(ProfileEntry { name, params })
    }

    fn dns(&mut self, raw: &RawDns, root: &Node) -> Option<DnsService> {
        let at = |key: &'static str| root.span_at(&["dns".into(), key.into()]);
        let default = DnsService::default();
        let namespace = raw.namespace.clone().unwrap_or(default.namespace.clone());
        let port = raw.port.unwrap_or(default.port);
        let mut ok = true;
        if port == 0 {
            self.error(at("port"), "port 0 is not a port", "expected 1-65535");
            ok = false;
        }
        let mut protocols = Vec::new();
        for (i, p) in raw.protocols.iter().flatten().enumerate() {
            match Protocol::parse(p).filter(|p| matches!(p, Protocol::Udp | Protocol::Tcp)) {
                Some(p) if !protocols.contains(&p) => protocols.push(p),
                Some(_) => {}
                None => {
                    let span = root.span_at(&["dns".into(), "protocols".into(), i.into()]);
                    self.error_help(
                        span,
                        format!("`{p}` is not a DNS protocol"),
                        "unknown protocol",
                        "use `UDP` and `TCP`",
                    );
                    ok = false;
                }
            }
        }
        if raw.protocols.is_none() {
            protocols = default.protocols.clone();
        } else if ok && !protocols.contains(&Protocol::Udp) {
            self.error_help(
                at("protocols"),
                "DNS is served over UDP: `protocols` must include `UDP`",
                "UDP missing",
                "write `protocols: [UDP]` for a DNS that does not serve TCP",
            );
            ok = false;
        }
        let (selector, labels) = match &raw.pod_selector {
            None => (default.pod_selector.clone(), default.pod_labels.clone()),
            Some(sel) => self.selector(sel, root)?,
        };
        ok.then(|| DnsService::new(namespace, selector, labels, port, protocols))
    }

    /// The DNS pod selector and the labels of the pod imagined from it.
    fn selector(&mut self, raw: &RawSelector, root: &Node) -> Option<(Selector, Labels)> {
        let base: [Seg<'static>; 2] = ["dns".into(), "pod-selector".into()];
        let expressions: Vec<LabelSelectorRequirement> = raw
            .match_expressions
            .iter()
            .flatten()
            .map(|e| LabelSelectorRequirement {
                key: e.key.clone(),
                operator: e.operator.clone(),
                values: e.values.clone(),
            })
            .collect();
        let selector = Selector::from_k8s(&LabelSelector {
            match_labels: raw.match_labels.clone(),
            match_expressions: Some(expressions),
        });
        let labels_count = raw.match_labels.as_ref().map_or(0, BTreeMap::len);
        for (i, r) in selector.requirements.iter().enumerate().skip(labels_count) {
            if r.op == crate::model::selector::Op::Invalid {
                let j = i - labels_count;
                let span = root.span_at(&[base[0], base[1], "matchExpressions".into(), j.into()]);
                self.error_help(
                    span,
                    format!("invalid expression for `{}`", r.key),
                    "not a valid selector requirement",
                    "`In` and `NotIn` need `values`; `Exists` and `DoesNotExist` take none",
                );
                return None;
            }
        }
        match selector.representative() {
            Some(labels) => Some((selector, labels)),
            None => {
                self.error(
                    root.key_span_at(&base),
                    "this `pod-selector` can match no pod",
                    "contradictory selector",
                );
                None
            }
        }
    }
}

/// What a node is, for "found a ..." messages.
fn shape(node: &Node) -> &'static str {
    match &node.kind {
        NodeKind::Map(_) => "a mapping",
        NodeKind::Seq(_) => "a list",
        NodeKind::Scalar(..) => "a single value",
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `key=value`, the spelling of the profile label flags.
fn parse_label(s: &str) -> Option<(String, String)> {
    let (k, v) = s.split_once('=')?;
    (!k.is_empty()).then(|| (k.to_string(), v.to_string()))
}

/// `error`, `warning`, `info` or `never`.
pub fn parse_fail_on(s: &str) -> Option<FailOn> {
    match s {
        "error" => Some(FailOn::Error),
        "warning" => Some(FailOn::Warning),
        "info" => Some(FailOn::Info),
        "never" => Some(FailOn::Never),
        _ => None,
    }
}

fn read_operator_table(path: &Path) -> Result<OperatorTable, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read operator table `{}`: {e}", path.display()))?;
    OperatorTable::parse(&text).map_err(|e| format!("operator table `{}`: {e}", path.display()))
}

/// The command line's part of the settings; empty means "not given".
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `RULE=LEVEL` items.
    pub severity: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub requirements: Vec<PathBuf>,
    pub profiles: Vec<String>,
    pub profile_params: ProfileArgs,
    pub operators: Vec<PathBuf>,
}

/// What `check` runs with: the defaults, then the configuration file,
/// then the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Rules switched off by `select` and `ignore`.
    pub disabled: BTreeSet<&'static str>,
    /// Severity per rule, replacing the rule's own.
    pub severity: BTreeMap<&'static str, Severity>,
    pub fail_on: FailOn,
    /// Findings about objects in these namespaces are dropped.
    pub skip_namespaces: BTreeSet<String>,
    pub dns: DnsService,
    pub requirements: Vec<PathBuf>,
    pub profiles: Vec<(&'static str, ProfileParams)>,
    /// The bundled operator tables, with the user's replacing any for the
    /// same kind.
    pub operators: Vec<OperatorTable>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            disabled: BTreeSet::new(),
            severity: BTreeMap::new(),
            fail_on: FailOn::Warning,
            skip_namespaces: BTreeSet::new(),
            dns: DnsService::default(),
            requirements: Vec::new(),
            profiles: Vec::new(),
            operators: LoadOptions::default().operators,
        }
    }
}

impl Settings {
    /// Merges the configuration (if any) and the command line. Errors are
    /// about the command line, one message each, for exit code 2.
    pub fn resolve(config: Option<Config>, cli: &Overrides) -> Result<Settings, Vec<String>> {
        let config = config.unwrap_or_default();
        let mut errors = Vec::new();
        let mut settings = Settings::default();
        let known: Vec<&'static str> = known_rules().iter().map(|m| m.name).collect();

        // Each layer's `select` replaces what the layers before enabled and
        // its `ignore` removes from the result: `--select X` runs X even
        // when the configuration ignores it.
        let mut enabled: BTreeSet<&'static str> = known.iter().copied().collect();
        let mut layer = |select: Option<Vec<&'static str>>, ignore: Vec<&'static str>| {
            if let Some(select) = select {
                enabled = if select.contains(&ALL) {
                    known.iter().copied().collect()
                } else {
                    select.into_iter().collect()
                };
            }
            for name in ignore {
                enabled.remove(name);
            }
        };
        layer(config.select, config.ignore);
        let cli_select = cli_rules(&cli.select, "--select", true, &mut errors);
        let cli_ignore = cli_rules(&cli.ignore, "--ignore", false, &mut errors);
        layer((!cli_select.is_empty()).then_some(cli_select), cli_ignore);
        settings.disabled = known
            .iter()
            .copied()
            .filter(|n| !enabled.contains(n))
            .collect();

        settings.severity = config.severity.into_iter().collect();
        for item in &cli.severity {
            match parse_severity_arg(item) {
                Ok(pair) => {
                    settings.severity.insert(pair.0, pair.1);
                }
                Err(e) => errors.push(e),
            }
        }
        settings.fail_on = cli.fail_on.or(config.fail_on).unwrap_or(FailOn::Warning);
        settings.skip_namespaces = config.skip_namespaces.into_iter().collect();
        if let Some(dns) = config.dns {
            settings.dns = dns;
        }

        settings.requirements = config.requirements;
        for path in &cli.requirements {
            if path.is_file() {
                settings.requirements.push(path.clone());
            } else {
                let why = if path.is_dir() {
                    "is a directory; name a requirements file"
                } else if path.exists() {
                    "is not a regular file"
                } else {
                    "does not exist"
                };
                errors.push(format!("requirements file `{}` {why}", path.display()));
            }
        }
        settings.requirements.dedup();
        settings.profiles = profiles(config.profiles, cli);

        let mut tables = config.operators;
        for path in &cli.operators {
            match read_operator_table(path) {
                Ok(t) => tables.push(t),
                Err(e) => errors.push(e),
            }
        }
        settings.operators.retain(|b| {
            !tables.iter().any(|t| {
                t.matches.api_group == b.matches.api_group && t.matches.kind == b.matches.kind
            })
        });
        settings.operators.extend(tables);

        if errors.is_empty() {
            Ok(settings)
        } else {
            Err(errors)
        }
    }

    pub fn is_enabled(&self, rule: &str) -> bool {
        !self.disabled.contains(rule)
    }

    /// The severity a finding of `rule` is reported with.
    pub fn severity_of(&self, rule: &str, own: Severity) -> Severity {
        self.severity.get(rule).copied().unwrap_or(own)
    }

    /// How to load manifests under these settings.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            operators: self.operators.clone(),
        }
    }

    /// Reads the requirements files and renders the profiles into
    /// `sources`; problems with them are findings.
    pub fn load_requirements(&self, sources: &mut Sources) -> (Vec<Requirement>, Vec<Diagnostic>) {
        let mut reqs = Vec::new();
        let mut diags = Vec::new();
        for path in &self.requirements {
            let (r, d) = crate::requirements::load_requirements(path, sources);
            reqs.extend(r);
            diags.extend(d);
        }
        for (name, params) in &self.profiles {
            if let Some((r, d)) = crate::requirements::load_profile(name, params, sources) {
                reqs.extend(r);
                diags.extend(d);
            }
        }
        (reqs, diags)
    }
}

/// Rule names from a flag; `all` is allowed in `--select` only.
fn cli_rules(
    items: &[String],
    flag: &str,
    all_ok: bool,
    errors: &mut Vec<String>,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    for item in items.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        if all_ok && item == ALL {
            out.push(ALL);
        } else if let Some(n) = rule_name(item) {
            out.push(n);
        } else {
            let (message, help) = unknown_rule(item);
            errors.push(format!("{message} (in `{flag}`); {help}"));
        }
    }
    out
}

/// `RULE=LEVEL` from `--severity`.
fn parse_severity_arg(item: &str) -> Result<(&'static str, Severity), String> {
    let Some((rule, level)) = item.split_once('=') else {
        return Err(format!("`--severity {item}`: expected RULE=LEVEL"));
    };
    let Some(rule) = rule_name(rule.trim()) else {
        let (message, help) = unknown_rule(rule.trim());
        return Err(format!("{message} (in `--severity`); {help}"));
    };
    let level = level.trim();
    let Some(severity) = Severity::parse(level) else {
        return Err(format!(
            "`{level}` is not a severity (in `--severity`); use `error`, `warning` or `info`"
        ));
    };
    Ok((rule, severity))
}

/// The profiles to check: the configuration's, then those `--profile`
/// adds. The profile flags override the parameters of every profile.
fn profiles(config: Vec<ProfileEntry>, cli: &Overrides) -> Vec<(&'static str, ProfileParams)> {
    let mut entries: Vec<(&'static str, ProfileArgs)> =
        config.into_iter().map(|p| (p.name, p.params)).collect();
    for name in &cli.profiles {
        let Some(&name) = PROFILES.iter().find(|p| *p == name) else {
            // clap allows the bundled names only.
            continue;
        };
        if !entries.iter().any(|(n, _)| *n == name) {
            entries.push((name, ProfileArgs::default()));
        }
    }
    entries
        .into_iter()
        .map(|(name, base)| (name, overlay(&cli.profile_params, base).params()))
        .collect()
}

/// The flags that are set, over the configuration's parameters.
fn overlay(cli: &ProfileArgs, base: ProfileArgs) -> ProfileArgs {
    ProfileArgs {
        namespace: cli.namespace.clone().or(base.namespace),
        cluster: cli.cluster.clone().or(base.cluster),
        client_label: cli.client_label.clone().or(base.client_label),
        prometheus_namespace: cli
            .prometheus_namespace
            .clone()
            .or(base.prometheus_namespace),
        prometheus_label: cli.prometheus_label.clone().or(base.prometheus_label),
        api_server_cidr: cli.api_server_cidr.clone().or(base.api_server_cidr),
        api_server_port: cli.api_server_port.or(base.api_server_port),
        database_ports: if cli.database_ports.is_empty() {
            base.database_ports
        } else {
            cli.database_ports.clone()
        },
    }
}

/// The JSON Schema (draft 2020-12) of the configuration file, for editors.
/// Written by hand to say what [`parse_config`] accepts; the parser stays
/// the authority (it also checks rule names, files and selectors).
pub fn schema() -> Value {
    let rules: Vec<&str> = known_rules().iter().map(|m| m.name).collect();
    let mut selectable = vec![ALL];
    selectable.extend(&rules);
    let label = "^[^=]+=.*$";
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/netpol-lint/netpol-lint/schemas/config.json",
        "title": "netpol-lint configuration",
        "description": "`.netpol-lint.yaml`, read by `netpol-lint check` from the current directory or the nearest parent that has one, or given with `--config FILE`. Flags on the command line override it.",
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "rules": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "select": {
                        "description": "Only these rules run (`all`: every rule; the default).",
                        "type": ["array", "null"],
                        "items": {"enum": selectable}
                    },
                    "ignore": {
                        "description": "These rules do not run.",
                        "type": ["array", "null"],
                        "items": {"enum": rules}
                    },
                    "severity": {
                        "description": "Severity per rule, replacing its default.",
                        "type": ["object", "null"],
                        "propertyNames": {"enum": rules},
                        "additionalProperties": {"enum": ["error", "warning", "info"]}
                    }
                }
            },
            "fail-on": {
                "description": "The lowest severity that makes `check` exit 1 (default `warning`).",
                "enum": ["error", "warning", "info", "never", null]
            },
            "skip-namespaces": {
                "description": "Findings about objects in these namespaces are dropped; the objects are still analysed.",
                "type": ["array", "null"],
                "items": {"type": "string"}
            },
            "requirements": {
                "description": "Traffic requirements files to check, relative to this file.",
                "type": ["array", "null"],
                "items": {"type": "string"}
            },
            "profiles": {
                "description": "Bundled requirements profiles to check, with their parameters (the `check` flags of the same names override them).",
                "type": ["array", "null"],
                "items": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": false,
                    "properties": {
                        "name": {"enum": PROFILES},
                        "namespace": {"type": "string"},
                        "cluster": {"type": "string"},
                        "client-label": {"type": "string", "pattern": label},
                        "prometheus-namespace": {"type": "string"},
                        "prometheus-label": {"type": "string", "pattern": label},
                        "api-server-cidr": {"type": "string"},
                        "api-server-port": {"type": "integer", "minimum": 1, "maximum": 65535},
                        "database-ports": {"type": "array", "items": {"type": "string"}}
                    }
                }
            },
            "dns": {
                "description": "Where the cluster DNS runs (default: `kube-system` pods `k8s-app=kube-dns` on 53). OpenShift: namespace `openshift-dns`, pod-selector `dns.operator.openshift.io/daemonset-dns: default`, port 5353.",
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "namespace": {"type": "string"},
                    "pod-selector": {"$ref": "#/$defs/labelSelector"},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "protocols": {
                        "type": "array",
                        "items": {"enum": ["UDP", "TCP"]},
                        "contains": {"const": "UDP"}
                    }
                }
            },
            "operators": {
                "description": "Operator tables (`kind: OperatorPods`) for custom resources, relative to this file.",
                "type": ["array", "null"],
                "items": {"type": "string"}
            }
        },
        "$defs": {
            "labelSelector": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "matchLabels": {
                        "type": ["object", "null"],
                        "additionalProperties": {"type": "string"}
                    },
                    "matchExpressions": {
                        "type": ["array", "null"],
                        "items": {
                            "type": "object",
                            "required": ["key", "operator"],
                            "additionalProperties": false,
                            "properties": {
                                "key": {"type": "string"},
                                "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                                "values": {"type": ["array", "null"], "items": {"type": "string"}}
                            }
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        let names = ["egress-to-anywhere", "ingress-from-anywhere"];
        assert_eq!(
            did_you_mean("egres-to-anywhere", &names),
            Some("egress-to-anywhere")
        );
        assert_eq!(did_you_mean("dns", &names), None);
    }

    fn parse(text: &str) -> Config {
        let mut sources = Sources::default();
        match parse_config("c.yaml", Path::new(""), text, &mut sources) {
            Ok(c) => c,
            Err(d) => panic!("{:?}", d.iter().map(|d| &d.message).collect::<Vec<_>>()),
        }
    }

    #[test]
    fn each_layer_selects_then_ignores() {
        let config = parse(
            "rules:\n  select: [egress-to-anywhere, dns-tcp-missing]\n  ignore: [dns-tcp-missing]\n",
        );
        let s = Settings::resolve(Some(config.clone()), &Overrides::default()).unwrap();
        assert!(s.is_enabled("egress-to-anywhere"));
        assert!(!s.is_enabled("dns-tcp-missing"));
        assert!(!s.is_enabled("yaml-syntax"));

        let cli = Overrides {
            select: vec!["all".into()],
            ignore: vec!["yaml-syntax".into()],
            ..Overrides::default()
        };
        let s = Settings::resolve(Some(config), &cli).unwrap();
        assert!(s.is_enabled("dns-tcp-missing"));
        assert!(!s.is_enabled("yaml-syntax"));
    }

    #[test]
    fn severities_merge_with_the_command_line_winning() {
        let config =
            parse("rules:\n  severity: {egress-to-anywhere: info, dns-tcp-missing: error}\n");
        let cli = Overrides {
            severity: vec!["egress-to-anywhere=error".into()],
            ..Overrides::default()
        };
        let s = Settings::resolve(Some(config), &cli).unwrap();
        assert_eq!(
            s.severity_of("egress-to-anywhere", Severity::Warning),
            Severity::Error
        );
        assert_eq!(
            s.severity_of("dns-tcp-missing", Severity::Warning),
            Severity::Error
        );
        assert_eq!(
            s.severity_of("yaml-syntax", Severity::Error),
            Severity::Error
        );
    }

    #[test]
    fn dns_defaults_fill_what_the_file_leaves_out() {
        let config = parse("dns:\n  port: 5353\n");
        let dns = config.dns.expect("dns");
        assert_eq!(dns.namespace, "kube-system");
        assert_eq!(dns.port, 5353);
        assert_eq!(dns.protocols, [Protocol::Udp, Protocol::Tcp]);
        assert!(dns.container_ports.iter().all(|p| p.port == 5353));
    }

    #[test]
    fn an_empty_file_is_the_default() {
        let config = parse("# nothing yet\n");
        assert!(config.select.is_none() && config.dns.is_none());
    }

    #[test]
    fn discovery_walks_up() {
        let tmp = tempfile::tempdir().unwrap();
        let deep = tmp.path().join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(tmp.path().join(FILE_NAME), "").unwrap();
        assert_eq!(
            discover(&deep),
            Some(PathBuf::from("../..").join(FILE_NAME))
        );
        std::fs::write(deep.join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&deep), Some(PathBuf::from(FILE_NAME)));
    }
}
