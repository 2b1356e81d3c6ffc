//! From paths to a [`Cluster`]: find files, parse them, decode objects.
//!
//! Owns file discovery (directories walked recursively, `.gitignore`
//! honoured, hidden entries skipped), reading (stdin included), dispatch by
//! `kind`, `List` flattening and typed decoding through k8s-openapi. Problems
//! with the input become located diagnostics; nothing here panics on input or
//! stops at the first bad file. It does not judge policies: that is the
//! rules' job.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::api::networking::v1::NetworkPolicySpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;

use crate::model::{Cluster, ContainerPort, Labels, Namespace, Origin, Policy, Protocol, Workload};
use crate::operators::OperatorTable;
use crate::report::{Diagnostic, Severity};
use crate::source::de::{DeError, NodeDe};
use crate::source::yaml::{Node, NodeKind, Seg, YamlIssueKind, parse_stream};
use crate::source::{FileId, SourceFile, Sources, Span};

/// Rule names of the diagnostics the loader itself produces.
pub mod codes {
    pub const YAML_SYNTAX: &str = "yaml-syntax";
    pub const INPUT_LIMIT: &str = "input-limit";
    pub const DUPLICATE_KEY: &str = "duplicate-key";
    pub const INVALID_FIELD: &str = "invalid-field";
    pub const NOT_A_MANIFEST: &str = "not-a-manifest";
    pub const UNREADABLE_INPUT: &str = "unreadable-input";
}

/// NetworkPolicy API versions we analyse. Others with the same kind (Calico's
/// `projectcalico.org/v3`, Cilium's) are different resources and are skipped.
pub const NETWORK_POLICY_API_VERSIONS: &[&str] = &[
    "networking.k8s.io/v1",
    "extensions/v1beta1",
    "networking.k8s.io/v1beta1",
];

/// Largest file read; bigger ones are reported and skipped.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What to read: a file, a directory, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

/// Counts for the summary and the verbose log.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub files: usize,
    pub documents: usize,
    pub objects: usize,
    /// Kinds we read past, with how many of each.
    pub skipped_kinds: BTreeMap<String, usize>,
    /// Files that could not be read at all.
    pub unreadable: usize,
}

/// Everything loading produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: Sources,
    pub cluster: Cluster,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
}

/// Is this a file name we read?
pub fn is_manifest_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Expands inputs to a sorted, deduplicated list of files. Directories are
/// walked recursively; files named explicitly are read whatever their
/// extension. Paths that cannot be walked come back as errors.
pub fn discover(inputs: &[Input]) -> (Vec<Input>, Vec<(String, String)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut stdin = false;
    for input in inputs {
        match input {
            Input::Stdin => stdin = true,
            Input::Path(p) if p.is_dir() => {
                let walker = ignore::WalkBuilder::new(p)
                    .hidden(true)
                    .git_ignore(true)
                    .git_exclude(true)
                    .git_global(false)
                    .require_git(false)
                    .add_custom_ignore_filename(".netpollintignore")
                    .follow_links(true)
                    .build();
                for entry in walker {
                    match entry {
                        Ok(e) => {
                            if e.file_type().is_some_and(|t| t.is_file())
                                && is_manifest_name(e.path())
                            {
                                files.push(e.into_path());
                            }
                        }
                        Err(err) => errors.push(walk_error(p, &err)),
                    }
                }
            }
            Input::Path(p) => files.push(p.clone()),
        }
    }
    files.sort();
    files.dedup();
    // One file named twice under different paths (`.` and `./a.yaml`, a
    // relative and an absolute path, a symbolic or hard link next to its
    // target) is read once, under the first of its paths in sorted order.
    let mut seen = HashSet::new();
    files.retain(|p| seen.insert(FileIdentity::of(p)));
    let mut out: Vec<Input> = files.into_iter().map(Input::Path).collect();
    if stdin {
        out.push(Input::Stdin);
    }
    (out, errors)
}

/// What makes two paths the same file: its device and inode where the
/// platform has them (hard links included), else its canonical path. A
/// path that cannot be examined stands for itself; reading it reports why.
#[derive(PartialEq, Eq, Hash)]
enum FileIdentity {
    #[cfg(unix)]
    Inode(u64, u64),
    Path(PathBuf),
}

impl FileIdentity {
    fn of(path: &Path) -> Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            if let Ok(m) = std::fs::metadata(path) {
                return FileIdentity::Inode(m.dev(), m.ino());
            }
        }
        FileIdentity::Path(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()))
    }
}

/// The path a walk error is about (the looping link, the unreadable entry)
/// and what went wrong, without the path repeated.
fn walk_error(root: &Path, err: &ignore::Error) -> (String, String) {
    match err {
        ignore::Error::WithPath { path, err } => (display_path(path), walk_error(root, err).1),
        ignore::Error::Loop { child, ancestor } => (
            display_path(child),
            format!("symbolic link loop back to {}", display_path(ancestor)),
        ),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error(root, err)
        }
        ignore::Error::Io(e) => (display_path(root), e.to_string()),
        other => (display_path(root), other.to_string()),
    }
}

/// Display form of a path: relative paths stay as given, `./` dropped.
fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}

fn read_input(input: &Input) -> Result<(String, Vec<u8>), (String, String)> {
    match input {
        Input::Stdin => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map(|_| ("<stdin>".to_string(), buf))
                .map_err(|e| ("<stdin>".to_string(), e.to_string()))
        }
        Input::Path(p) => {
            let name = display_path(p);
            // Refuse huge files before reading them into memory.
            match std::fs::metadata(p) {
                Ok(m) if m.len() > MAX_FILE_BYTES => {
                    return Err((
                        name,
                        format!("{} bytes is over the {MAX_FILE_BYTES}-byte limit", m.len()),
                    ));
                }
                Err(e) => return Err((name, e.to_string())),
                Ok(_) => {}
            }
            std::fs::read(p)
                .map(|b| (name.clone(), b))
                .map_err(|e| (name, e.to_string()))
        }
    }
}

/// Objects and diagnostics of one file, before merging.
#[derive(Default)]
struct FileResult {
    namespaces: Vec<Namespace>,
    workloads: Vec<Workload>,
    policies: Vec<Policy>,
    diagnostics: Vec<Diagnostic>,
    documents: usize,
    objects: usize,
    skipped: BTreeMap<String, usize>,
}

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Custom resources whose operators create pods.
    pub operators: Vec<OperatorTable>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        // Parse the bundled tables once per process.
        static BUILTIN: std::sync::OnceLock<Vec<OperatorTable>> = std::sync::OnceLock::new();
        LoadOptions {
            operators: BUILTIN.get_or_init(crate::operators::builtin).clone(),
        }
    }
}

/// Reads and decodes everything with the default options.
pub fn load(inputs: &[Input]) -> Loaded {
    load_with(inputs, &LoadOptions::default())
}

/// Reads and decodes everything. Files are parsed in parallel; the result
/// does not depend on thread timing.
pub fn load_with(inputs: &[Input], options: &LoadOptions) -> Loaded {
    let (files, walk_errors) = discover(inputs);
    let mut loaded = Loaded::default();
    for (path, err) in walk_errors {
        let id = loaded.sources.add(SourceFile::new(path.clone(), ""));
        loaded.diagnostics.push(unreadable(id, &err));
        loaded.stats.unreadable += 1;
    }
    let read: Vec<_> = files.par_iter().map(read_input).collect();
    let mut texts = Vec::new();
    for r in read {
        match r {
            Ok((path, bytes)) => {
                let (text, bad_utf8) = decode_text(bytes);
                let id = loaded.sources.add(SourceFile::new(path, text));
                texts.push((id, bad_utf8));
            }
            Err((path, err)) => {
                let id = loaded.sources.add(SourceFile::new(path, ""));
                loaded.diagnostics.push(unreadable(id, &err));
                loaded.stats.unreadable += 1;
            }
        }
    }
    loaded.stats.files = texts.len();
    let sources = &loaded.sources;
    let results: Vec<FileResult> = texts
        .par_iter()
        .map(|&(id, bad_utf8)| load_file(id, &sources.get(id).text, bad_utf8, options))
        .collect();
    for r in results {
        loaded.merge(r);
    }
    loaded.cluster.finish();
    loaded
}

impl Loaded {
    /// Adds one file's objects, diagnostics and counts.
    fn merge(&mut self, r: FileResult) {
        self.cluster.namespaces.extend(r.namespaces);
        self.cluster.workloads.extend(r.workloads);
        self.cluster.policies.extend(r.policies);
        self.diagnostics.extend(r.diagnostics);
        self.stats.documents += r.documents;
        self.stats.objects += r.objects;
        for (k, n) in r.skipped {
            *self.stats.skipped_kinds.entry(k).or_default() += n;
        }
    }
}

/// Loads manifests from raw bytes, as if read from files (the fuzzer).
pub fn load_bytes(files: &[(&str, &[u8])]) -> Loaded {
    let options = LoadOptions::default();
    let mut loaded = Loaded::default();
    for (path, bytes) in files {
        let (text, bad_utf8) = decode_text(bytes.to_vec());
        let id = loaded.sources.add(SourceFile::new(*path, text));
        let text = std::sync::Arc::clone(&loaded.sources.get(id).text);
        let r = load_file(id, &text, bad_utf8, &options);
        loaded.merge(r);
    }
    loaded.stats.files = files.len();
    loaded.cluster.finish();
    loaded
}

/// Loads manifests from strings (tests, benchmarks, the fuzzer).
pub fn load_texts(files: &[(&str, &str)]) -> Loaded {
    let options = LoadOptions::default();
    let mut loaded = Loaded::default();
    for (path, text) in files {
        let id = loaded.sources.add(SourceFile::new(*path, *text));
        let r = load_file(id, text, None, &options);
        loaded.merge(r);
    }
    loaded.stats.files = files.len();
    loaded.cluster.finish();
    loaded
}

fn unreadable(id: FileId, err: &str) -> Diagnostic {
    Diagnostic::new(
        codes::UNREADABLE_INPUT,
        Severity::Error,
        Span::new(id, 0, 0),
        format!("cannot read this input: {err}"),
    )
}

/// Text of a file, and the offset of the first byte that is not UTF-8.
fn decode_text(bytes: Vec<u8>) -> (String, Option<usize>) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (String::from_utf8_lossy(e.as_bytes()).into_owned(), Some(at))
        }
    }
}

fn load_file(id: FileId, text: &str, bad_utf8: Option<usize>, options: &LoadOptions) -> FileResult {
    let mut out = FileResult::default();
    if let Some(at) = bad_utf8 {
        out.diagnostics.push(
            Diagnostic::new(
                codes::YAML_SYNTAX,
                Severity::Error,
                Span::new(id, at, at + 1),
                "file is not valid UTF-8 (a binary file?); it is skipped",
            )
            .label("first invalid byte"),
        );
        return out;
    }
    if text.as_bytes().contains(&0) {
        let at = text.as_bytes().iter().position(|&b| b == 0).unwrap_or(0);
        out.diagnostics.push(
            Diagnostic::new(
                codes::YAML_SYNTAX,
                Severity::Error,
                Span::new(id, at, at + 1),
                "file contains a NUL byte (a binary file?); it is skipped",
            )
            .label("NUL byte"),
        );
        return out;
    }
    for doc in parse_stream(id, text) {
        for issue in doc.issues {
            let (rule, severity) = match issue.kind {
                YamlIssueKind::Syntax => (codes::YAML_SYNTAX, Severity::Error),
                YamlIssueKind::Limit => (codes::INPUT_LIMIT, Severity::Error),
                YamlIssueKind::DuplicateKey => (codes::DUPLICATE_KEY, Severity::Error),
            };
            let mut d = Diagnostic::new(rule, severity, issue.span, issue.message);
            if let Some(first) = issue.related {
                d = d
                    .label("duplicate")
                    .with_secondary(first, "first defined here");
            }
            out.diagnostics.push(d);
        }
        if let Some(root) = doc.root {
            out.documents += 1;
            load_object(root, None, options, &mut out);
        }
    }
    out
}

fn scalar<'a>(node: &'a Node, key: &str) -> Option<&'a str> {
    node.get(key).and_then(Node::as_str)
}

fn load_object(node: Node, kind_hint: Option<&str>, options: &LoadOptions, out: &mut FileResult) {
    if node.as_map().is_none() {
        out.diagnostics.push(
            Diagnostic::new(
                codes::NOT_A_MANIFEST,
                Severity::Info,
                node.span,
                "this document is not a Kubernetes object (not a mapping); it is skipped",
            )
            .label("expected a mapping with `apiVersion` and `kind`"),
        );
        return;
    }
    let kind = scalar(&node, "kind").or(kind_hint).map(str::to_string);
    let Some(kind) = kind else {
        out.diagnostics.push(
            Diagnostic::new(
                codes::NOT_A_MANIFEST,
                Severity::Info,
                node.span,
                "this document has no `kind`; it is skipped",
            )
            .label("no `kind` here"),
        );
        return;
    };
    let api_version = scalar(&node, "apiVersion").unwrap_or("").to_string();
    if kind == "List" || (kind.ends_with("List") && node.get("items").is_some()) {
        let item_kind = kind
            .strip_suffix("List")
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        // No `items` (or null) is an empty list; anything but a sequence is
        // a list the API server rejects, and its objects would go unchecked.
        let items = match node.get("items") {
            None => return,
            Some(items) if items.is_null() => return,
            Some(items) => {
                match items.as_seq() {
                    Some(seq) => seq,
                    None => {
                        out.diagnostics.push(
                        Diagnostic::new(
                            codes::INVALID_FIELD,
                            Severity::Error,
                            items.span,
                            format!("`items` of a {kind} must be a sequence of objects"),
                        )
                        .label("not a sequence: nothing in this list is checked")
                        .help("write the objects as a list: `items: [{...}, {...}]` or `- ` entries"),
                    );
                        return;
                    }
                }
            }
        };
        for item in items {
            load_object(item.clone(), item_kind.as_deref(), options, out);
        }
        return;
    }
    let origin = Origin {
        node,
        api_version,
        kind: kind.clone(),
    };
    if kind == "NetworkPolicy" && is_misversioned_policy(&origin.api_version, kind_hint.is_some()) {
        let span = origin
            .node
            .get("apiVersion")
            .map_or(origin.node.span, |n| n.span);
        let written = if origin.api_version.is_empty() {
            "none"
        } else {
            &origin.api_version
        };
        out.diagnostics.push(
            Diagnostic::new(
                codes::INVALID_FIELD,
                Severity::Error,
                span,
                format!("unknown `apiVersion` for a NetworkPolicy: {written}"),
            )
            .label("not a served NetworkPolicy version")
            .help("use `apiVersion: networking.k8s.io/v1`")
            .object(format!("NetworkPolicy {}", object_name(&origin.node))),
        );
        return;
    }
    match kind.as_str() {
        "NetworkPolicy"
            if origin.api_version.is_empty()
                || NETWORK_POLICY_API_VERSIONS.contains(&origin.api_version.as_str()) =>
        {
            load_policy(origin, out)
        }
        "Namespace" => load_namespace(origin, out),
        "Pod"
        | "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job"
        | "CronJob" => load_workload(origin, out),
        _ if options
            .operators
            .iter()
            .any(|t| t.matches(&origin.api_version, &kind)) =>
        {
            load_custom_resource(origin, options, out)
        }
        _ => {
            let key = if origin.api_version.is_empty() {
                kind
            } else {
                format!("{kind} ({})", origin.api_version)
            };
            *out.skipped.entry(key).or_default() += 1;
        }
    }
}

/// A NetworkPolicy under the Kubernetes API groups but an unknown version,
/// or with no `apiVersion` at all outside a list. Other groups (Calico's
/// `projectcalico.org/v3`, ...) are different resources and are skipped.
fn is_misversioned_policy(api_version: &str, in_list: bool) -> bool {
    if api_version.is_empty() {
        return !in_list;
    }
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    matches!(group, "networking.k8s.io" | "extensions" | "")
        && !NETWORK_POLICY_API_VERSIONS.contains(&api_version)
}

/// `namespace/name` of an object as written, for messages.
fn object_name(node: &Node) -> String {
    let field = |k: &str| {
        node.at(&["metadata".into(), Seg::Key(k)])
            .and_then(Node::as_str)
    };
    format!(
        "{}/{}",
        namespace_or_default(field("namespace")),
        field("name").unwrap_or("?")
    )
}

/// The namespace an object is in: `default` when `metadata.namespace` is
/// absent or empty ("an empty namespace is equivalent to the default
/// namespace", ObjectMeta).
fn namespace_or_default(written: Option<&str>) -> &str {
    written.filter(|n| !n.is_empty()).unwrap_or("default")
}

/// Path of the node with `span` below `root`, as `spec.ingress[0].ports`.
fn path_of(root: &Node, span: Span) -> Option<String> {
    fn walk(node: &Node, span: Span, path: &mut String) -> bool {
        if node.span == span {
            return true;
        }
        let len = path.len();
        match &node.kind {
            NodeKind::Map(entries) => {
                for (k, v) in entries {
                    if v.span.start <= span.start && span.end <= v.span.end || k.span == span {
                        if !path.is_empty() {
                            path.push('.');
                        }
                        path.push_str(k.as_str().unwrap_or("?"));
                        if k.span == span || walk(v, span, path) {
                            return true;
                        }
                        path.truncate(len);
                    }
                }
            }
            NodeKind::Seq(items) => {
                for (i, v) in items.iter().enumerate() {
                    if v.span.start <= span.start && span.end <= v.span.end {
                        path.push_str(&format!("[{i}]"));
                        if walk(v, span, path) {
                            return true;
                        }
                        path.truncate(len);
                    }
                }
            }
            NodeKind::Scalar(..) => {}
        }
        false
    }
    let mut path = String::new();
    walk(root, span, &mut path)
        .then_some(path)
        .filter(|p| !p.is_empty())
}

/// Type errors reported for one part of an object, at most.
const MAX_TYPE_ERRORS: usize = 20;

/// Decodes a part of an object into a k8s-openapi type. Unknown fields are
/// reported when `strict` (NetworkPolicy, Namespace metadata); a wrong type
/// always is, at the node that has it.
///
/// serde stops at the first wrong type. So that one run shows every mistake
/// of an object, the node at fault is then taken out of a copy and the copy
/// decoded again, until it decodes or [`MAX_TYPE_ERRORS`] are reported; the
/// part is not analysed either way.
fn decode<T: serde::de::DeserializeOwned>(
    root: &Node,
    node: &Node,
    what: &str,
    object: &str,
    strict: bool,
    out: &mut FileResult,
) -> Option<T> {
    let mut reported: HashSet<Span> = HashSet::new();
    let first = attempt::<T>(root, node, what, object, strict, &mut reported, out);
    let mut last = match first {
        Ok(v) => return Some(v),
        Err(span) => span,
    };
    let mut pruned = node.clone();
    for _ in 1..MAX_TYPE_ERRORS {
        if last == pruned.span || !prune(&mut pruned, last) {
            break;
        }
        match attempt::<T>(root, &pruned, what, object, strict, &mut reported, out) {
            Ok(_) => break,
            Err(span) if span == last => break,
            Err(span) => last = span,
        }
    }
    None
}

/// One decoding of `node`: reports the unknown fields not reported yet and
/// the wrong type, if any, whose span it returns.
fn attempt<T: serde::de::DeserializeOwned>(
    root: &Node,
    node: &Node,
    what: &str,
    object: &str,
    strict: bool,
    reported: &mut HashSet<Span>,
    out: &mut FileResult,
) -> Result<T, Span> {
    let mut unknown: Vec<Vec<PathSeg>> = Vec::new();
    let result: Result<T, DeError> = serde_ignored::deserialize(NodeDe(node), |path| {
        unknown.push(segments(&path));
    });
    if strict {
        for path in unknown {
            if let Some((key_span, key)) = unknown_key(node, &path)
                && reported.insert(key_span)
            {
                let field = path_of(root, key_span).unwrap_or(key.clone());
                out.diagnostics.push(
                    Diagnostic::new(
                        codes::INVALID_FIELD,
                        Severity::Error,
                        key_span,
                        format!("unknown field `{field}` in {what}"),
                    )
                    .label("not a field of this object")
                    .help(
                        "the API server rejects unknown fields or drops them silently; \
                         check the spelling against the NetworkPolicy reference",
                    )
                    .object(object),
                );
            }
        }
    }
    result.map_err(|err| {
        let span = err.span.unwrap_or(node.span);
        if reported.insert(span) {
            let message = match path_of(root, span) {
                Some(p) => format!("`{p}`: {}", err.message),
                None => err.message.clone(),
            };
            out.diagnostics.push(
                Diagnostic::new(codes::INVALID_FIELD, Severity::Error, span, message)
                    .label("wrong type or value")
                    .help(format!(
                        "the API server rejects this {what}; it is not analysed"
                    ))
                    .object(object),
            );
        }
        span
    })
}

/// Removes the node (or the mapping entry whose key or value is the node)
/// spanning exactly `span` from the tree; whether it was found.
fn prune(node: &mut Node, span: Span) -> bool {
    let inside = |n: &Node| n.span.start <= span.start && span.end <= n.span.end;
    match &mut node.kind {
        NodeKind::Map(entries) => {
            if let Some(i) = entries
                .iter()
                .position(|(k, v)| k.span == span || v.span == span)
            {
                entries.remove(i);
                return true;
            }
            entries
                .iter_mut()
                .filter(|(_, v)| inside(v))
                .any(|(_, v)| prune(v, span))
        }
        NodeKind::Seq(items) => {
            if let Some(i) = items.iter().position(|n| n.span == span) {
                items.remove(i);
                return true;
            }
            items
                .iter_mut()
                .filter(|n| inside(n))
                .any(|n| prune(n, span))
        }
        NodeKind::Scalar(..) => false,
    }
}

#[derive(Debug, Clone)]
enum PathSeg {
    Key(String),
    Index(usize),
}

fn segments(path: &serde_ignored::Path<'_>) -> Vec<PathSeg> {
    use serde_ignored::Path as P;
    match path {
        P::Root => Vec::new(),
        P::Seq { parent, index } => {
            let mut v = segments(parent);
            v.push(PathSeg::Index(*index));
            v
        }
        P::Map { parent, key } => {
            let mut v = segments(parent);
            v.push(PathSeg::Key(key.clone()));
            v
        }
        P::Some { parent } | P::NewtypeStruct { parent } | P::NewtypeVariant { parent } => {
            segments(parent)
        }
    }
}

/// The key node of an ignored field.
fn unknown_key(node: &Node, path: &[PathSeg]) -> Option<(Span, String)> {
    let (last, parents) = path.split_last()?;
    let mut cur = node;
    for seg in parents {
        cur = match seg {
            PathSeg::Key(k) => cur.get(k)?,
            PathSeg::Index(i) => cur.index(*i)?,
        };
    }
    match last {
        PathSeg::Key(k) => cur.entry(k).map(|(key, _)| (key.span, k.clone())),
        PathSeg::Index(_) => None,
    }
}

fn meta(origin: &Origin, object: &str, strict: bool, out: &mut FileResult) -> Option<ObjectMeta> {
    let node = origin.node.get("metadata");
    let meta = match node {
        None => ObjectMeta::default(),
        Some(m) => decode(&origin.node, m, "metadata", object, strict, out)?,
    };
    check_metadata(origin, node, object, out);
    Some(meta)
}

/// An `invalid-field` error about metadata the API server rejects. The
/// object is still analysed as written, as netpol-analyzer does: a bad
/// name or label is most often a typo whose fix changes no connection.
fn metadata_error(
    span: Span,
    message: String,
    label: &str,
    help: &str,
    object: &str,
) -> Diagnostic {
    Diagnostic::new(codes::INVALID_FIELD, Severity::Error, span, message)
        .label(label)
        .help(format!(
            "the API server rejects this object: {help}; it is analysed as written"
        ))
        .object(object.to_string())
}

/// Quoted as Rust escapes it: the text may hold control characters.
fn shown(s: &str) -> String {
    s.escape_debug().to_string()
}

/// Checks the name and namespace as the API server validates every
/// object's metadata, and the labels (see [`check_labels`]).
fn check_metadata(origin: &Origin, metadata: Option<&Node>, object: &str, out: &mut FileResult) {
    use crate::model::names::{dns_label_problem, subdomain_problem};
    let text = |key: &str| {
        metadata
            .and_then(|m| m.get(key))
            .and_then(|n| n.as_str().filter(|t| !t.is_empty()).map(|t| (n, t)))
    };
    match text("name") {
        Some((node, name)) => {
            // A namespace's name is a DNS label; the other kinds read here
            // (policies, workloads, pods, custom resources) take a subdomain.
            let problem = if origin.kind == "Namespace" {
                dns_label_problem(name)
            } else {
                subdomain_problem(name)
            };
            if let Some(problem) = problem {
                out.diagnostics.push(metadata_error(
                    node.span,
                    format!("`metadata.name` `{}` {problem}", shown(name)),
                    "not a valid name",
                    "names are lowercase letters, digits, `-` (and `.` except in namespace names)",
                    object,
                ));
            }
        }
        None if text("generateName").is_none() => {
            let span = match metadata {
                Some(m) => m.span,
                None => origin.node.span,
            };
            out.diagnostics.push(metadata_error(
                span,
                format!("{} has no `metadata.name`", origin.kind),
                "no name",
                "every object needs `metadata.name` (or `generateName`)",
                object,
            ));
        }
        None => {}
    }
    if let Some((node, namespace)) = text("namespace")
        && let Some(problem) = dns_label_problem(namespace)
    {
        out.diagnostics.push(metadata_error(
            node.span,
            format!("`metadata.namespace` `{}` {problem}", shown(namespace)),
            "not a valid namespace name",
            "namespace names are lowercase letters, digits and `-`, at most 63",
            object,
        ));
    }
    if let Some(m) = metadata {
        check_labels(m, object, out);
    }
}

/// Checks the label keys and values under `metadata` (an object's, or a pod
/// template's) as the API server validates them.
fn check_labels(metadata: &Node, object: &str, out: &mut FileResult) {
    use crate::model::names::{label_key_problem, label_value_problem};
    let Some(labels) = metadata.get("labels").and_then(Node::as_map) else {
        return;
    };
    for (key, value) in labels {
        let (Some(k), Some(v)) = (key.as_str(), value.as_str()) else {
            continue;
        };
        if let Some(problem) = label_key_problem(k) {
            out.diagnostics.push(metadata_error(
                key.span,
                format!("label key `{}`: {problem}", shown(k)),
                "not a valid label key",
                "label keys are an optional DNS subdomain and `/`, then a name",
                object,
            ));
        }
        if let Some(problem) = label_value_problem(v) {
            out.diagnostics.push(metadata_error(
                value.span,
                format!("label value `{}`: {problem}", shown(v)),
                "not a valid label value",
                "label values are at most 63 letters, digits, `-`, `_` and `.`",
                object,
            ));
        }
    }
}

fn load_policy(origin: Origin, out: &mut FileResult) {
    out.objects += 1;
    let object = format!("NetworkPolicy {}", object_name(&origin.node));
    for (k, _) in origin.node.as_map().unwrap_or_default() {
        let key = k.as_str().unwrap_or("");
        if !matches!(key, "apiVersion" | "kind" | "metadata" | "spec" | "status") {
            out.diagnostics.push(
                Diagnostic::new(
                    codes::INVALID_FIELD,
                    Severity::Error,
                    k.span,
                    format!("unknown field `{key}` in a NetworkPolicy"),
                )
                .label("not a field of NetworkPolicy")
                .help("top-level fields are `apiVersion`, `kind`, `metadata` and `spec`")
                .object(object.clone()),
            );
        }
    }
    let Some(metadata) = meta(&origin, &object, true, out) else {
        return;
    };
    let spec = match origin.node.get("spec") {
        // A policy without spec selects every pod for Ingress and allows nothing.
        None => NetworkPolicySpec::default(),
        Some(s) => match decode(&origin.node, s, "NetworkPolicy spec", &object, true, out) {
            Some(spec) => spec,
            None => return,
        },
    };
    check_peers(&origin.node, &spec, &object, out);
    let name = metadata.name.clone().unwrap_or_default();
    out.policies.push(Policy::compile(
        name,
        metadata.namespace.clone(),
        spec,
        origin,
    ));
}

/// A peer names pods (`podSelector`, `namespaceSelector` or both) or an
/// `ipBlock`, never both and never nothing: the API server rejects such a
/// policy. The policy is still analysed, the peer matching nothing.
fn check_peers(root: &Node, spec: &NetworkPolicySpec, object: &str, out: &mut FileResult) {
    let ingress = spec.ingress.iter().flatten().map(|r| r.from.as_deref());
    let egress = spec.egress.iter().flatten().map(|r| r.to.as_deref());
    let rules = (ingress.map(|p| ("ingress", "from", p)))
        .enumerate()
        .chain(egress.map(|p| ("egress", "to", p)).enumerate());
    for (i, (dir, key, peers)) in rules {
        for (j, peer) in peers.into_iter().flatten().enumerate() {
            let pods = peer.pod_selector.is_some() || peer.namespace_selector.is_some();
            let (message, label, fix) = match (peer.ip_block.is_some(), pods) {
                (false, false) => (
                    "a peer names nothing: it needs `podSelector`, `namespaceSelector` or `ipBlock`",
                    "empty peer",
                    "name the pods (`podSelector`, `namespaceSelector`) or the addresses \
                     (`ipBlock`) the rule is for, or remove the peer",
                ),
                (true, true) => (
                    "a peer with `ipBlock` cannot also have `podSelector` or `namespaceSelector`",
                    "ipBlock and selectors in one peer",
                    "write the pods and the addresses as separate peers of the list",
                ),
                _ => continue,
            };
            let path = [
                Seg::Key("spec"),
                Seg::Key(dir),
                i.into(),
                Seg::Key(key),
                j.into(),
            ];
            let span = root.at(&path).map_or(root.span, |n| n.span);
            out.diagnostics.push(
                Diagnostic::new(codes::INVALID_FIELD, Severity::Error, span, message)
                    .label(label)
                    .help(format!(
                        "the API server rejects this policy: {fix} (here the peer matches \
                         nothing)"
                    ))
                    .object(object.to_string()),
            );
        }
    }
}

fn load_namespace(origin: Origin, out: &mut FileResult) {
    out.objects += 1;
    let name = origin
        .node
        .at(&["metadata".into(), "name".into()])
        .and_then(Node::as_str)
        .unwrap_or("?");
    let object = format!("Namespace {name}");
    let Some(metadata) = meta(&origin, &object, false, out) else {
        return;
    };
    let Some(name) = metadata.name else { return };
    let labels: Labels = metadata.labels.unwrap_or_default();
    out.namespaces.push(Namespace {
        name,
        labels,
        origin: Some(origin),
    });
}

/// A custom resource whose operator creates pods: add the workloads its
/// table lists, pointing at the resource itself.
fn load_custom_resource(origin: Origin, options: &LoadOptions, out: &mut FileResult) {
    out.objects += 1;
    let name = origin
        .node
        .at(&["metadata".into(), "name".into()])
        .and_then(Node::as_str)
        .unwrap_or("?");
    let object = format!("{} {name}", origin.kind);
    let Some(metadata) = meta(&origin, &object, false, out) else {
        return;
    };
    let Some(name) = metadata.name else { return };
    let namespace = namespace_or_default(metadata.namespace.as_deref()).to_string();
    for table in options
        .operators
        .iter()
        .filter(|t| t.matches(&origin.api_version, &origin.kind))
    {
        for w in table.expand(&name, &namespace) {
            out.workloads.push(Workload {
                kind: w.kind,
                name: w.name,
                namespace: namespace.clone(),
                labels: w.labels,
                ports: w.ports,
                host_network: false,
                origin: origin.clone(),
            });
        }
    }
}

/// Path of the pod template in each workload kind.
fn template_path(kind: &str) -> &'static [Seg<'static>] {
    match kind {
        "CronJob" => &[
            Seg::Key("spec"),
            Seg::Key("jobTemplate"),
            Seg::Key("spec"),
            Seg::Key("template"),
        ],
        _ => &[Seg::Key("spec"), Seg::Key("template")],
    }
}

/// Labels the API server adds to the pod template of a Job that lets it
/// generate the selector, with the Job's name as value. It also adds the
/// controller-uid labels, whose value (the Job's uid) the input cannot know.
const JOB_NAME_LABELS: [&str; 2] = ["batch.kubernetes.io/job-name", "job-name"];

/// Adds the job-name labels. A template that sets one keeps its value: the
/// API server does the same (and rejects the Job when it differs).
fn add_job_name_labels(labels: &mut Labels, job: &str) {
    for key in JOB_NAME_LABELS {
        labels
            .entry(key.to_string())
            .or_insert_with(|| job.to_string());
    }
}

/// `spec.manualSelector: true`: the Job brings its own selector and the API
/// server adds no labels.
fn manual_selector(job: &Node) -> bool {
    job.at(&[Seg::Key("spec"), Seg::Key("manualSelector")])
        .and_then(|n| <bool as serde::Deserialize>::deserialize(NodeDe(n)).ok())
        .unwrap_or(false)
}

fn load_workload(origin: Origin, out: &mut FileResult) {
    out.objects += 1;
    let object = format!("{} {}", origin.kind, object_name(&origin.node));
    let Some(metadata) = meta(&origin, &object, false, out) else {
        return;
    };
    let (mut kind, mut wname) = (
        origin.kind.clone(),
        metadata.name.clone().unwrap_or_default(),
    );
    let namespace = namespace_or_default(metadata.namespace.as_deref()).to_string();
    let (labels, pod_spec) = if kind == "Pod" {
        // A pod made by a controller is shown as its controller, as
        // netpol-analyzer does; static pods (owned by a Node) stay pods.
        if let Some(owner) = metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true) && o.kind != "Node")
        {
            // An owner reference without a kind still names the owner;
            // netpol-analyzer then keeps the kind `Pod`.
            if !owner.kind.is_empty() {
                kind = owner.kind.clone();
            }
            wname = owner.name.clone();
        }
        let spec = match origin.node.get("spec") {
            Some(s) => decode(&origin.node, s, "Pod spec", &object, false, out),
            None => None,
        };
        (metadata.labels.clone().unwrap_or_default(), spec)
    } else {
        let template = match origin.node.at(template_path(&kind)) {
            Some(t) => {
                if let Some(m) = t.get("metadata") {
                    check_labels(m, &object, out);
                }
                decode::<PodTemplateSpec>(&origin.node, t, "pod template", &object, false, out)
            }
            None => None,
        };
        let Some(template) = template else {
            // A workload without a template runs no pods we can model.
            return;
        };
        let mut labels = template.metadata.and_then(|m| m.labels).unwrap_or_default();
        if kind == "Job" && !wname.is_empty() && !manual_selector(&origin.node) {
            add_job_name_labels(&mut labels, &wname);
        }
        (labels, template.spec)
    };
    let mut ports = Vec::new();
    let mut host_network = false;
    if let Some(spec) = pod_spec {
        host_network = spec.host_network.unwrap_or(false);
        // Named ports resolve against the containers and the native sidecars
        // (init containers with `restartPolicy: Always`, Kubernetes 1.28+),
        // which keep running next to them; other init containers have
        // exited before the pod serves traffic.
        let sidecars = spec
            .init_containers
            .iter()
            .flatten()
            .filter(|c| c.restart_policy.as_deref() == Some("Always"));
        for c in spec.containers.iter().chain(sidecars) {
            for p in c.ports.iter().flatten() {
                let Ok(port) = u16::try_from(p.container_port) else {
                    continue;
                };
                let protocol = p
                    .protocol
                    .as_deref()
                    .map_or(Some(Protocol::Tcp), Protocol::parse);
                if let Some(protocol) = protocol {
                    ports.push(ContainerPort {
                        name: p.name.clone(),
                        port,
                        protocol,
                    });
                }
            }
        }
    }
    ports.sort();
    ports.dedup();
    out.workloads.push(Workload {
        kind,
        name: wname,
        namespace,
        labels,
        ports,
        host_network,
        origin,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Loaded {
        load_texts(&[("t.yaml", text)])
    }

    fn at(l: &Loaded, d: &Diagnostic) -> (u32, u32) {
        let (s, _) = l.sources.range(d.primary.span);
        (s.line, s.column)
    }

    const NP: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n  namespace: x\nspec:\n  podSelector: {}\n";

    #[test]
    fn bom_and_crlf_are_accepted_with_right_positions() {
        let text = format!("\u{feff}{}", NP.replace('\n', "\r\n")) + "  ingres: []\r\n";
        let l = one(&text);
        assert_eq!(l.cluster.policies.len(), 1);
        assert_eq!(l.diagnostics.len(), 1, "{:?}", l.diagnostics);
        assert_eq!(l.diagnostics[0].rule, codes::INVALID_FIELD);
        assert_eq!(at(&l, &l.diagnostics[0]), (8, 3));
    }

    #[test]
    fn typed_lists_infer_item_kinds_and_json_works() {
        let text = r#"{"apiVersion":"v1","kind":"PodList","items":[{"metadata":{"name":"p","namespace":"n","labels":{"a":"b"}},"spec":{"containers":[{"name":"c","ports":[{"name":"http","containerPort":80}]}]}}]}"#;
        let l = load_texts(&[("pods.json", text)]);
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let w = &l.cluster.workloads[0];
        assert_eq!(w.display_name(), "n/p[Pod]");
        assert_eq!(w.ports[0].name.as_deref(), Some("http"));
        assert_eq!(
            l.cluster.namespace("n").unwrap().labels["kubernetes.io/metadata.name"],
            "n"
        );
    }

    #[test]
    fn every_wrong_type_of_an_object_is_reported() {
        let text = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: typos, namespace: shop}
spec:
  podSelector: {}
  policyTypes: Ingress
  ingress:
    - from:
        - podSelector: {matchLabels: [app]}
      ports:
        - port: {}
          protocl: TCP
        - endPort: high
  egres: []
";
        let l = one(text);
        let found: Vec<(u32, u32)> = l.diagnostics.iter().map(|d| at(&l, d)).collect();
        assert_eq!(
            found,
            [(6, 16), (9, 38), (11, 17), (12, 11), (13, 20), (14, 3)]
        );
        assert!(l.diagnostics.iter().all(|d| d.rule == codes::INVALID_FIELD));
        // The policy is still not analysed.
        assert!(l.cluster.policies.is_empty());
    }

    #[test]
    fn type_errors_per_object_are_bounded() {
        let ports: String = (0..100)
            .map(|i| format!("        - port: {{x: {i}}}\n"))
            .collect();
        let text = format!(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p}}\n\
             spec:\n  podSelector: {{}}\n  ingress:\n    - ports:\n{ports}"
        );
        let l = one(&text);
        assert_eq!(l.diagnostics.len(), super::MAX_TYPE_ERRORS);
    }

    #[test]
    fn list_items_must_be_a_sequence() {
        // Absent or null: an empty list.
        for items in ["", "items:\n", "items: null\n", "items: []\n"] {
            let l = one(&format!("apiVersion: v1\nkind: List\n{items}"));
            assert!(l.diagnostics.is_empty(), "{items:?}: {:?}", l.diagnostics);
        }
        for items in ["items: {kind: Pod}\n", "items: pods\n"] {
            let l = one(&format!("apiVersion: v1\nkind: List\n{items}"));
            assert_eq!(l.diagnostics.len(), 1, "{items:?}: {:?}", l.diagnostics);
            assert_eq!(l.diagnostics[0].rule, codes::INVALID_FIELD);
            assert_eq!(at(&l, &l.diagnostics[0]), (3, 8));
        }
    }

    #[test]
    fn controlled_pods_show_as_their_owner_and_static_pods_stay_pods() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-abc\n  ownerReferences:\n  - {kind: ReplicaSet, name: web-1, controller: true}\nspec: {containers: [{name: c}]}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: etcd-node\n  namespace: kube-system\n  ownerReferences:\n  - {kind: Node, name: node, controller: true}\nspec: {containers: [{name: c}], hostNetwork: true}\n";
        let l = one(text);
        let names: Vec<_> = l
            .cluster
            .workloads
            .iter()
            .map(|w| w.display_name())
            .collect();
        assert_eq!(
            names,
            ["default/web-1[ReplicaSet]", "kube-system/etcd-node[Pod]"]
        );
        assert!(l.cluster.workloads[1].host_network);
    }

    #[test]
    fn sidecar_init_containers_serve_their_ports_and_other_init_containers_do_not() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: db, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: db, ports: [{name: pg, containerPort: 5432}]}]\n      initContainers:\n      - {name: migrate, ports: [{name: setup, containerPort: 9000}]}\n      - {name: once, restartPolicy: OnFailure, ports: [{name: other, containerPort: 9001}]}\n      - {name: proxy, restartPolicy: Always, ports: [{name: proxy, containerPort: 15001, protocol: UDP}]}\n";
        let l = one(text);
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let ports: Vec<_> = l.cluster.workloads[0]
            .ports
            .iter()
            .map(|p| (p.name.as_deref(), p.port, p.protocol))
            .collect();
        assert_eq!(
            ports,
            [
                (Some("pg"), 5432, Protocol::Tcp),
                (Some("proxy"), 15001, Protocol::Udp)
            ]
        );
    }

    /// The text a finding's primary span covers.
    fn written<'t>(text: &'t str, d: &Diagnostic) -> &'t str {
        &text[d.primary.span.start as usize..d.primary.span.end as usize]
    }

    #[test]
    fn names_namespaces_and_labels_the_api_server_rejects_are_reported() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: My_Policy, namespace: shop}\nspec: {podSelector: {}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a.b, labels: {'a b': c, team: 'x y'}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: Foo_Bar, labels: {app: web}}\nspec: {containers: [{name: c}]}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: good.name-1, namespace: shop, labels: {example.com/tier: front}}\nspec: {podSelector: {}}\n";
        let l = one(text);
        let found: Vec<(String, &str)> = l
            .diagnostics
            .iter()
            .map(|d| {
                let (start, _) = l.sources.range(d.primary.span);
                let at = written(text, d);
                assert_eq!(d.rule, "invalid-field");
                (format!("{}:{}", start.line, start.column), at)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("3:18".to_string(), "My_Policy"),
                ("8:18".to_string(), "a.b"),
                ("8:32".to_string(), "'a b'"),
                ("8:48".to_string(), "'x y'"),
                ("12:34".to_string(), "Foo_Bar"),
            ]
        );
        // Reported, and still analysed as written.
        assert_eq!(l.cluster.policies.len(), 2);
        assert_eq!(l.cluster.workloads[0].namespace, "Foo_Bar");
        assert!(l.cluster.namespaces.iter().any(|n| n.name == "a.b"));
    }

    #[test]
    fn peers_the_api_server_rejects_are_reported() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: [{from: [{}, {podSelector: {}}]}]\n  egress: [{to: [{ipBlock: ~}, {ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}}]}]\n";
        let l = one(text);
        let found: Vec<(&str, &str)> = l
            .diagnostics
            .iter()
            .map(|d| {
                let at = written(text, d);
                (d.primary.message.as_str(), at)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("empty peer", "{}"),
                ("empty peer", "{ipBlock: ~}"),
                (
                    "ipBlock and selectors in one peer",
                    "{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}"
                ),
            ]
        );
        assert_eq!(l.cluster.policies.len(), 1);
    }

    #[test]
    fn objects_need_a_name_and_templates_valid_labels() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: shop}\nspec: {podSelector: {}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {generateName: web-, namespace: shop}\nspec: {containers: [{name: c}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  template:\n    metadata: {labels: {app: web, 'bad key': 'bad value'}}\n    spec: {containers: [{name: c}]}\n";
        let l = one(text);
        let found: Vec<(&str, Option<&str>, &str)> = l
            .diagnostics
            .iter()
            .map(|d| {
                let at = written(text, d);
                (d.primary.message.as_str(), d.object.as_deref(), at)
            })
            .collect();
        assert_eq!(
            found,
            [
                ("no name", Some("NetworkPolicy shop/?"), "{namespace: shop}"),
                (
                    "not a valid label key",
                    Some("Deployment shop/web"),
                    "'bad key'"
                ),
                (
                    "not a valid label value",
                    Some("Deployment shop/web"),
                    "'bad value'"
                ),
            ]
        );
    }

    #[test]
    fn an_empty_namespace_is_the_default_namespace() {
        let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: ''}\nspec: {podSelector: {}}\nstatus: {}\nextra: 1\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: ''}\nspec: {containers: [{name: c}]}\n---\napiVersion: app.redislabs.com/v1\nkind: RedisEnterpriseCluster\nmetadata: {name: rec, namespace: ''}\nspec: {nodes: 3}\n---\napiVersion: networking.k8s.io/v9\nkind: NetworkPolicy\nmetadata: {name: q, namespace: ''}\n";
        let l = one(text);
        let names: Vec<_> = l
            .cluster
            .namespaces
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(names, ["default"]);
        let p = &l.cluster.policies[0];
        assert_eq!(p.qualified_name(), "default/p");
        assert!(!p.namespace_explicit);
        let workloads: Vec<_> = l
            .cluster
            .workloads
            .iter()
            .map(|w| w.display_name())
            .collect();
        assert_eq!(workloads, ["default/rec[StatefulSet]", "default/web[Pod]"]);
        let objects: Vec<_> = l
            .diagnostics
            .iter()
            .map(|d| d.object.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(
            objects,
            ["NetworkPolicy default/p", "NetworkPolicy default/q"]
        );
    }

    #[test]
    fn jobs_label_their_pods_with_the_job_name_unless_the_selector_is_manual() {
        let job = |name: &str, extra: &str| {
            format!(
                "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}, namespace: j}}\nspec:\n{extra}  template:\n    metadata: {{labels: {{app: backup}}}}\n    spec: {{containers: [{{name: c}}], restartPolicy: Never}}\n"
            )
        };
        let text = [
            job("auto", ""),
            job(
                "manual",
                "  manualSelector: true\n  selector: {matchLabels: {app: backup}}\n",
            ),
            job("nightly", "  manualSelector: false\n"),
        ]
        .join("---\n");
        let l = one(&text);
        assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
        let labels: Vec<(&str, Vec<(&str, &str)>)> = l
            .cluster
            .workloads
            .iter()
            .map(|w| {
                let kv = w.labels.iter().map(|(k, v)| (k.as_str(), v.as_str()));
                (w.name.as_str(), kv.collect())
            })
            .collect();
        assert_eq!(
            labels,
            [
                (
                    "auto",
                    vec![
                        ("app", "backup"),
                        ("batch.kubernetes.io/job-name", "auto"),
                        ("job-name", "auto")
                    ]
                ),
                ("manual", vec![("app", "backup")]),
                (
                    "nightly",
                    vec![
                        ("app", "backup"),
                        ("batch.kubernetes.io/job-name", "nightly"),
                        ("job-name", "nightly")
                    ]
                ),
            ]
        );
    }

    #[test]
    fn cronjob_template_labels() {
        let text = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: j}\nspec:\n  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {app: backup}}\n        spec: {containers: [{name: c}]}\n";
        let l = one(text);
        assert_eq!(l.cluster.workloads[0].labels["app"], "backup");
        // The Jobs it creates have generated names: no job-name labels.
        assert_eq!(l.cluster.workloads[0].labels.len(), 1);
    }

    #[test]
    fn wrong_types_and_shapes_are_located() {
        let l = one(&format!(
            "{NP}  ingress:\n  - ports:\n    - port: 99999999999\n"
        ));
        assert_eq!(l.diagnostics.len(), 1);
        assert_eq!(at(&l, &l.diagnostics[0]), (10, 13));
        assert!(
            l.diagnostics[0]
                .message
                .contains("spec.ingress[0].ports[0].port"),
            "{}",
            l.diagnostics[0].message
        );
        let l = one(
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: \"x\"\nspec: 42\n",
        );
        assert_eq!(l.diagnostics[0].rule, codes::INVALID_FIELD);
        assert_eq!(at(&l, &l.diagnostics[0]), (3, 11));
        let l = one("- a\n- b\n");
        assert_eq!(l.diagnostics[0].rule, codes::NOT_A_MANIFEST);
    }

    #[test]
    fn unknown_policy_versions_are_reported_and_other_groups_skipped() {
        let l = one(&NP.replace("networking.k8s.io/v1", "networking.k8s.io/v2"));
        assert_eq!(l.diagnostics[0].rule, codes::INVALID_FIELD);
        assert_eq!(at(&l, &l.diagnostics[0]), (1, 13));
        let l = one(&NP.replace("networking.k8s.io/v1", "projectcalico.org/v3"));
        assert!(l.diagnostics.is_empty());
        assert!(l.cluster.policies.is_empty());
        let l = one(&NP.replace("networking.k8s.io/v1", "extensions/v1beta1"));
        assert_eq!(l.cluster.policies.len(), 1);
    }

    #[test]
    fn binary_and_duplicate_keys() {
        let l = one("a: 1\0\n");
        assert_eq!(l.diagnostics[0].rule, codes::YAML_SYNTAX);
        let l = one(&format!("{NP}  podSelector: {{}}\n"));
        assert_eq!(l.diagnostics[0].rule, codes::DUPLICATE_KEY);
        assert_eq!(at(&l, &l.diagnostics[0]), (8, 3));
    }

    #[test]
    fn operator_resources_imply_pods() {
        let l = one(
            "apiVersion: app.redislabs.com/v1\nkind: RedisEnterpriseCluster\nmetadata: {name: rec, namespace: redis}\nspec: {nodes: 3}\n",
        );
        let w = &l.cluster.workloads[0];
        assert_eq!(w.display_name(), "redis/rec[StatefulSet]");
        assert_eq!(w.labels["redis.io/role"], "node");
    }
}
