//! What happens to findings after the rules ran: selection, skipped
//! namespaces, severity overrides and suppressions, in that order, then
//! `unused-suppression` for the suppressions that silenced nothing.
//!
//! Users silence a finding where it arises, two ways:
//!
//! - an annotation on the object, `netpol-lint.io/ignore: "rule-a,rule-b"`
//!   (or `all`), with an optional `netpol-lint.io/ignore-reason`; it covers
//!   findings whose primary span lies inside the object's document;
//! - a comment, `# netpol-lint: ignore[rule-a,rule-b] reason`, at the end of
//!   the line a finding starts on, or alone on a line before it (only other
//!   comment lines in between).
//!
//! The YAML parser drops comments, so they are found in the text of every
//! source: manifests, requirements files, anything a finding can point
//! into. This module decides what is reported; it does not render, sort or
//! choose the exit code.

use std::collections::HashMap;

use crate::config::{Settings, did_you_mean, known_rules, rule_name};
use crate::model::{Cluster, Namespace, Origin, Policy, Workload};
use crate::report::Diagnostic;
use crate::rules::unused_suppression;
use crate::source::{FileId, Sources, Span};

/// The annotation that lists the rules to silence on an object.
pub const IGNORE_ANNOTATION: &str = "netpol-lint.io/ignore";
/// Why they are silenced; free text for the reader, not checked.
pub const REASON_ANNOTATION: &str = "netpol-lint.io/ignore-reason";
/// What a suppression comment starts with, after `#`.
pub const COMMENT_MARKER: &str = "netpol-lint:";
/// In a suppression: every rule.
pub const ALL: &str = "all";

/// Applies the settings and the suppressions to the findings of one run
/// and adds the `unused-suppression` findings. The result is unsorted.
pub fn apply(
    settings: &Settings,
    cluster: &Cluster,
    sources: &Sources,
    diags: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let objects = Objects::new(cluster);
    let skipped = |d: &Diagnostic| {
        !settings.skip_namespaces.is_empty()
            && objects
                .containing(d.primary.span)
                .is_some_and(|o| settings.skip_namespaces.contains(o.namespace))
    };
    let mut suppressions = Suppressions::collect(&objects, sources);
    let mut out: Vec<Diagnostic> = diags
        .into_iter()
        .filter(|d| settings.is_enabled(d.rule) && !skipped(d))
        .map(|mut d| {
            d.severity = settings.severity_of(d.rule, d.severity);
            d
        })
        .filter(|d| !suppressions.silence(d, &objects, sources))
        .collect();
    let rule = &unused_suppression::META;
    if settings.is_enabled(rule.name) {
        let severity = settings.severity_of(rule.name, rule.default_severity);
        out.extend(
            suppressions
                .unused(settings, sources)
                .into_iter()
                .filter(|d| !skipped(d))
                .map(|mut d| {
                    d.severity = severity;
                    d
                }),
        );
    }
    out
}

/// An object of the model, for annotations and namespaces.
struct Object<'a> {
    span: Span,
    namespace: &'a str,
    origin: &'a Origin,
    what: What<'a>,
    /// A NetworkPolicy definition a later one replaces.
    replaced: bool,
}

enum What<'a> {
    Namespace(&'a Namespace),
    Workload(&'a Workload),
    Policy(&'a Policy),
}

impl Object<'_> {
    /// `Deployment shop/web`, as the rules name objects.
    fn display(&self) -> String {
        match self.what {
            What::Namespace(ns) => format!("Namespace {}", ns.name),
            What::Workload(w) => format!("{} {}/{}", w.kind, w.namespace, w.name),
            What::Policy(p) => p.object(),
        }
    }
}

/// The modelled objects by position, to find the one a span lies in.
struct Objects<'a> {
    /// Sorted by file and start; documents and list items do not overlap.
    list: Vec<Object<'a>>,
}

impl<'a> Objects<'a> {
    fn new(cluster: &'a Cluster) -> Self {
        let mut list = Vec::new();
        for ns in &cluster.namespaces {
            if let Some(origin) = &ns.origin {
                list.push(Object {
                    span: origin.node.span,
                    namespace: &ns.name,
                    origin,
                    what: What::Namespace(ns),
                    replaced: false,
                });
            }
        }
        for w in &cluster.workloads {
            list.push(Object {
                span: w.origin.node.span,
                namespace: &w.namespace,
                origin: &w.origin,
                what: What::Workload(w),
                replaced: false,
            });
        }
        // Replaced definitions too: the checks of objects as written still
        // report inside them.
        let policies = (cluster.policies.iter().map(|p| (p, false)))
            .chain(cluster.replaced.iter().map(|p| (p, true)));
        for (p, replaced) in policies {
            list.push(Object {
                span: p.origin.node.span,
                namespace: &p.namespace,
                origin: &p.origin,
                what: What::Policy(p),
                replaced,
            });
        }
        list.sort_by_key(|o| (o.span.file, o.span.start, o.span.end));
        // One custom resource can imply several workloads: one object.
        list.dedup_by_key(|o| o.span);
        Objects { list }
    }

    fn containing(&self, span: Span) -> Option<&Object<'a>> {
        self.index_of(span).map(|i| &self.list[i])
    }

    /// The object whose document holds `span`: the last one starting at or
    /// before it, if it also ends after it.
    fn index_of(&self, span: Span) -> Option<usize> {
        let after = self
            .list
            .partition_point(|o| (o.span.file, o.span.start) <= (span.file, span.start));
        let i = after.checked_sub(1)?;
        let o = &self.list[i];
        (o.span.file == span.file && o.span.end >= span.end).then_some(i)
    }
}

/// One rule name in a suppression.
struct Name {
    text: String,
    span: Span,
    used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Findings inside the object with this index in [`Objects`].
    Object(usize),
    /// Findings that start on this 1-based line.
    Line(FileId, u32),
}

struct Suppression {
    scope: Scope,
    names: Vec<Name>,
    object: Option<String>,
    /// In a NetworkPolicy definition a later one replaces. Only the checks
    /// of objects as written look at such a definition, so the findings the
    /// suppression was written for may no longer arise: its names that
    /// silence nothing are not reported.
    in_replaced: bool,
}

struct Suppressions {
    list: Vec<Suppression>,
    by_object: HashMap<usize, Vec<usize>>,
    by_line: HashMap<(FileId, u32), Vec<usize>>,
    /// `# netpol-lint:` comments that are not suppressions.
    malformed: Vec<Span>,
}

impl Suppressions {
    fn collect(objects: &Objects<'_>, sources: &Sources) -> Self {
        let mut s = Suppressions {
            list: Vec::new(),
            by_object: HashMap::new(),
            by_line: HashMap::new(),
            malformed: Vec::new(),
        };
        for (i, o) in objects.list.iter().enumerate() {
            if let Some(sup) = annotation(i, o, sources) {
                s.by_object.entry(i).or_default().push(s.list.len());
                s.list.push(sup);
            }
        }
        // The lines of the replaced definitions, for the comments in them;
        // sorted and disjoint, as the objects are.
        let replaced: Vec<(FileId, u32, u32)> = objects
            .list
            .iter()
            .filter(|o| o.replaced)
            .map(|o| {
                let source = sources.get(o.span.file);
                let last = o.span.end.saturating_sub(1).max(o.span.start);
                (
                    o.span.file,
                    source.line_col(o.span.start).line,
                    source.line_col(last).line,
                )
            })
            .collect();
        for (file, source) in sources.iter() {
            // Most files have no suppression comment: skip the line scan.
            if !source.text.contains(COMMENT_MARKER) {
                continue;
            }
            for found in comments(file, &source.text) {
                match found {
                    Found::Suppression(mut sup) => {
                        if let Scope::Line(f, l) = sup.scope {
                            sup.in_replaced = in_lines(&replaced, f, l);
                            s.by_line.entry((f, l)).or_default().push(s.list.len());
                        }
                        s.list.push(sup);
                    }
                    Found::Malformed(span) => s.malformed.push(span),
                }
            }
        }
        s
    }

    /// Whether a suppression covers the finding; marks every one that does.
    fn silence(&mut self, d: &Diagnostic, objects: &Objects<'_>, sources: &Sources) -> bool {
        if self.list.is_empty() {
            return false;
        }
        let span = d.primary.span;
        let line = sources.get(span.file).line_col(span.start).line;
        let mut candidates: Vec<usize> = Vec::new();
        if let Some(list) = self.by_line.get(&(span.file, line)) {
            candidates.extend(list);
        }
        if let Some(list) = objects.index_of(span).and_then(|i| self.by_object.get(&i)) {
            candidates.extend(list);
        }
        let mut silenced = false;
        for i in candidates {
            for name in &mut self.list[i].names {
                if name.text == ALL || name.text == d.rule {
                    name.used = true;
                    silenced = true;
                }
            }
        }
        silenced
    }

    /// Findings for names that silenced nothing, unknown names and
    /// malformed comments.
    fn unused(&self, settings: &Settings, sources: &Sources) -> Vec<Diagnostic> {
        let rule = &unused_suppression::META;
        let known: Vec<&str> = known_rules().iter().map(|m| m.name).collect();
        let mut out = Vec::new();
        for sup in &self.list {
            for name in &sup.names {
                let d = if name.text == ALL {
                    if name.used || sup.in_replaced {
                        continue;
                    }
                    Diagnostic::new(
                        rule.name,
                        rule.default_severity,
                        name.span,
                        "this suppression of `all` rules silenced no finding",
                    )
                    .label("nothing to silence here")
                    .help(remove_help(sup))
                } else if rule_name(&name.text).is_none() {
                    let help = match did_you_mean(&name.text, &known) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "`netpol-lint rules` lists the rules".to_string(),
                    };
                    Diagnostic::new(
                        rule.name,
                        rule.default_severity,
                        name.span,
                        format!("`{}` in this suppression is not a rule", name.text),
                    )
                    .label("unknown rule")
                    .help(help)
                } else if name.used || !settings.is_enabled(&name.text) || sup.in_replaced {
                    // A rule that did not run could not have been silenced.
                    continue;
                } else {
                    Diagnostic::new(
                        rule.name,
                        rule.default_severity,
                        name.span,
                        format!("the suppression of `{}` silenced no finding", name.text),
                    )
                    .label("nothing to silence here")
                    .help(remove_help(sup))
                };
                out.push(match &sup.object {
                    Some(o) => d.object(o.clone()),
                    None => d,
                });
            }
        }
        for &span in &self.malformed {
            let text = sources.text(span);
            out.push(
                Diagnostic::new(
                    rule.name,
                    rule.default_severity,
                    span,
                    format!("`{text}` is not a suppression netpol-lint understands"),
                )
                .label("not a suppression")
                .help("write `# netpol-lint: ignore[RULE,...] reason`"),
            );
        }
        out
    }
}

/// Whether line `line` of `file` is in one of the sorted, disjoint
/// `(file, first line, last line)` ranges.
fn in_lines(ranges: &[(FileId, u32, u32)], file: FileId, line: u32) -> bool {
    let after = ranges.partition_point(|&(f, first, _)| (f, first) <= (file, line));
    after
        .checked_sub(1)
        .is_some_and(|i| ranges[i].0 == file && line <= ranges[i].2)
}

fn remove_help(sup: &Suppression) -> &'static str {
    match sup.scope {
        Scope::Object(_) => {
            "remove the name from the annotation; an annotation covers findings inside its object"
        }
        Scope::Line(..) => {
            "remove the name from the comment; a comment covers findings that start on its own \
             line, or on the next line when the comment stands alone"
        }
    }
}

/// The `netpol-lint.io/ignore` annotation of an object.
fn annotation(index: usize, object: &Object<'_>, sources: &Sources) -> Option<Suppression> {
    let node = object.origin.node.at(&[
        "metadata".into(),
        "annotations".into(),
        IGNORE_ANNOTATION.into(),
    ])?;
    let value = node.as_str()?;
    // The names as written in the file, to point at each one: a plain or
    // quoted scalar on one line holds them verbatim.
    let raw = sources.text(node.span);
    let mut names = Vec::new();
    let mut search_from = 0;
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let span = match raw[search_from..].find(part) {
            Some(at) => {
                let start = node.span.start as usize + search_from + at;
                search_from += at + part.len();
                Span::new(node.span.file, start, start + part.len())
            }
            None => node.span,
        };
        names.push(Name {
            text: part.to_string(),
            span,
            used: false,
        });
    }
    if names.is_empty() {
        return None;
    }
    Some(Suppression {
        scope: Scope::Object(index),
        names,
        object: Some(object.display()),
        in_replaced: object.replaced,
    })
}

enum Found {
    Suppression(Suppression),
    Malformed(Span),
}

/// The suppression comments of one file.
fn comments(file: FileId, text: &str) -> Vec<Found> {
    let lines: Vec<(usize, &str)> = line_offsets(text);
    let comment_only = |l: &str| l.trim_start().starts_with('#');
    let mut out = Vec::new();
    for (i, &(offset, line)) in lines.iter().enumerate() {
        let Some(hash) = comment_start(line) else {
            continue;
        };
        let body = &line[hash + 1..];
        let lead = body.len() - body.trim_start().len();
        let Some(rest) = body.trim_start().strip_prefix(COMMENT_MARKER) else {
            continue;
        };
        let marker_at = offset + hash + 1 + lead;
        let rest_at = marker_at + COMMENT_MARKER.len();
        let comment_span = Span::new(file, offset + hash, offset + line.trim_end().len());
        // Alone on its line: it covers the next line that is not a comment.
        let target = if line[..hash].trim().is_empty() {
            lines[i + 1..]
                .iter()
                .position(|(_, l)| !comment_only(l))
                .map_or(lines.len() + 1, |j| i + 1 + j + 1)
        } else {
            i + 1
        };
        match parse_names(rest) {
            Some(parsed) => {
                let names = parsed
                    .into_iter()
                    .map(|(at, name)| Name {
                        span: Span::new(file, rest_at + at, rest_at + at + name.len()),
                        text: name.to_string(),
                        used: false,
                    })
                    .collect();
                out.push(Found::Suppression(Suppression {
                    scope: Scope::Line(file, target as u32),
                    names,
                    object: None,
                    in_replaced: false,
                }));
            }
            None => out.push(Found::Malformed(comment_span)),
        }
    }
    out
}

/// `ignore[a, b] reason` → the names with their offsets in `rest`; `None`
/// when it is not written that way or names nothing.
fn parse_names(rest: &str) -> Option<Vec<(usize, &str)>> {
    let after = rest.trim_start().strip_prefix("ignore")?;
    let list = after.trim_start().strip_prefix('[')?;
    let close = list.find(']')?;
    // `list` is a suffix of `rest`: this is where it starts.
    let mut at = rest.len() - list.len();
    let mut names = Vec::new();
    for part in list[..close].split(',') {
        let lead = part.len() - part.trim_start().len();
        let name = part.trim();
        if !name.is_empty() {
            names.push((at + lead, name));
        }
        at += part.len() + 1;
    }
    (!names.is_empty()).then_some(names)
}

/// Each line with the byte offset it starts at, without its line break.
fn line_offsets(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.strip_suffix('\n').unwrap_or(line);
        let body = body.strip_suffix('\r').unwrap_or(body);
        out.push((offset, body));
        offset += line.len();
    }
    out
}

/// Where a YAML comment starts on a line: a `#` at the start or after a
/// space or tab, outside a quoted string that opens on this line. YAML
/// only takes `#` as a comment there; `a#b` is a plain scalar.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let prev = i.checked_sub(1).map(|j| bytes[j]);
        match quote {
            Some(b'"') => match b {
                b'\\' => i += 1,
                b'"' => quote = None,
                _ => {}
            },
            Some(_) => {
                if b == b'\'' {
                    // `''` inside a single-quoted scalar is an escaped quote.
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                    }
                }
            }
            None => {
                let after_space = prev.is_none_or(|p| p == b' ' || p == b'\t');
                if b == b'#' && after_space {
                    return Some(i);
                }
                // A quote opens a quoted scalar only where a scalar can
                // start; `it's` is a plain scalar with an apostrophe.
                let scalar_start =
                    prev.is_none_or(|p| matches!(p, b' ' | b'\t' | b'[' | b'{' | b',' | b':'));
                if (b == b'"' || b == b'\'') && scalar_start {
                    quote = Some(b);
                }
            }
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_start_after_space_outside_quotes() {
        assert_eq!(comment_start("# x"), Some(0));
        assert_eq!(comment_start("  key: v # x"), Some(9));
        assert_eq!(comment_start("key: a#b"), None);
        assert_eq!(comment_start(r#"key: "a # b" # c"#), Some(13));
        assert_eq!(comment_start("key: 'it''s # no' # yes"), Some(18));
        assert_eq!(comment_start("key: it's # yes"), Some(10));
        assert_eq!(comment_start(r#"key: "a \" # b""#), None);
    }

    #[test]
    fn names_and_their_offsets() {
        let rest = " ignore[a, bb ,c] because";
        let names = parse_names(rest).unwrap();
        let got: Vec<(&str, &str)> = names
            .iter()
            .map(|&(at, n)| (n, &rest[at..at + n.len()]))
            .collect();
        assert_eq!(got, [("a", "a"), ("bb", "bb"), ("c", "c")]);
        assert!(parse_names(" ignore a").is_none());
        assert!(parse_names(" ignore[]").is_none());
        assert!(parse_names(" disable[a]").is_none());
        assert!(parse_names(" ignore [a]").is_some());
    }

    #[test]
    fn a_comment_alone_covers_the_next_line_that_is_not_a_comment() {
        let text = "a: 1\n# netpol-lint: ignore[x]\n# other\nb: 2 # netpol-lint: ignore[y]\n";
        let found = comments(FileId(0), text);
        let scopes: Vec<(Scope, Vec<String>)> = found
            .into_iter()
            .filter_map(|f| match f {
                Found::Suppression(s) => {
                    Some((s.scope, s.names.into_iter().map(|n| n.text).collect()))
                }
                Found::Malformed(_) => None,
            })
            .collect();
        assert_eq!(
            scopes,
            [
                (Scope::Line(FileId(0), 4), vec!["x".to_string()]),
                (Scope::Line(FileId(0), 4), vec!["y".to_string()]),
            ]
        );
    }

    #[test]
    fn lines_in_ranges() {
        let (a, b) = (FileId(0), FileId(1));
        let ranges = [(a, 3, 5), (a, 9, 9), (b, 1, 2)];
        let inside: Vec<(FileId, u32)> = [a, b]
            .into_iter()
            .flat_map(|f| (0..11).map(move |l| (f, l)))
            .filter(|&(f, l)| in_lines(&ranges, f, l))
            .collect();
        assert_eq!(inside, [(a, 3), (a, 4), (a, 5), (a, 9), (b, 1), (b, 2)]);
        assert!(!in_lines(&[], a, 1));
    }

    #[test]
    fn malformed_comments_are_kept() {
        let found = comments(FileId(0), "# netpol-lint: disable everything\n");
        assert!(matches!(found.as_slice(), [Found::Malformed(_)]));
        assert!(comments(FileId(0), "# netpol-lint is great\n").is_empty());
    }
}
