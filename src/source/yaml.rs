//! The YAML adapter: granit-parser events in, a span tree out.
//!
//! This is the only module that touches the YAML parser. It builds a small
//! tree of [`Node`]s that keeps, for every scalar, sequence and mapping, its
//! byte span and (for scalars) the raw text and quoting style, so that the
//! Kubernetes-specific scalar resolution in [`super::de`] and every rule can
//! see exactly what the user wrote. It enforces the input limits (alias
//! expansion, nesting depth) and recovers after a broken document at the next
//! `---`. It never interprets Kubernetes objects.

use std::collections::HashMap;

use granit_parser::{Event, Options, Parser, ScalarStyle as GStyle, ScanError};

use super::{FileId, Span};

/// Nodes an alias may expand to in one document (the billion-laughs guard).
pub const MAX_ALIAS_NODES: usize = 100_000;
/// Deepest nesting of sequences and mappings accepted in a document.
pub const MAX_DEPTH: usize = 128;

/// How a scalar was written; quoted scalars are always strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

impl ScalarStyle {
    pub fn is_plain(self) -> bool {
        self == ScalarStyle::Plain
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Text after escape processing. A `!!str` tag makes a plain scalar quoted.
    Scalar(String, ScalarStyle),
    Seq(Vec<Node>),
    /// Entries in source order; keys are nodes so they keep their spans.
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub kind: NodeKind,
}

/// One step of a path into a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

impl From<&'static str> for Seg<'static> {
    fn from(k: &'static str) -> Self {
        Seg::Key(k)
    }
}

impl From<usize> for Seg<'static> {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

impl Node {
    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        match &self.kind {
            NodeKind::Scalar(s, ScalarStyle::Plain) => super::de::is_null(s),
            _ => false,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The key node and value node of `key` in a mapping (the first, if
    /// duplicated).
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn index(&self, i: usize) -> Option<&Node> {
        self.as_seq()?.get(i)
    }

    /// Follows a path of keys and indices.
    pub fn at(&self, path: &[Seg<'_>]) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match seg {
                Seg::Key(k) => node.get(k)?,
                Seg::Index(i) => node.index(*i)?,
            };
        }
        Some(node)
    }

    /// The span of the deepest node on `path` that exists: a diagnostic about
    /// an absent field points at its parent.
    pub fn span_at(&self, path: &[Seg<'_>]) -> Span {
        let mut node = self;
        for seg in path {
            let next = match seg {
                Seg::Key(k) => node.get(k),
                Seg::Index(i) => node.index(*i),
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        node.span
    }

    /// The span of the key of the last segment (`ingress:` rather than the
    /// whole list), falling back to [`Node::span_at`].
    pub fn key_span_at(&self, path: &[Seg<'_>]) -> Span {
        if let Some((Seg::Key(k), parent)) = path.split_last()
            && let Some((key, _)) = self.at(parent).and_then(|p| p.entry(k))
        {
            return key.span;
        }
        self.span_at(path)
    }
}

/// A problem found while reading the YAML itself.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlIssue {
    pub span: Span,
    pub message: String,
    pub kind: YamlIssueKind,
    /// A related place (the first occurrence of a duplicated key).
    pub related: Option<Span>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlIssueKind {
    /// Not valid YAML: the rest of the document is lost.
    Syntax,
    /// A configured limit was hit: the document is dropped.
    Limit,
    /// The same key twice in one mapping.
    DuplicateKey,
}

/// One document of a stream. `root` is `None` for a document holding only
/// comments (or nothing) and for a document lost to an error.
#[derive(Debug)]
pub struct Document {
    pub root: Option<Node>,
    pub issues: Vec<YamlIssue>,
}

/// Parses every document of `text`. Never fails: errors become issues and
/// parsing resumes at the next document.
pub fn parse_stream(file: FileId, text: &str) -> Vec<Document> {
    let mut options = Options::default();
    options.block_nesting_limit = MAX_DEPTH * 2;
    options.flow_nesting_limit = MAX_DEPTH * 2;
    let mut parser = Parser::new_from_str_with_options(text, options);
    let mut docs = Vec::new();
    let mut builder = Builder::new(file);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => match builder.event(event, span) {
                Step::Continue => {}
                Step::DocumentDone => docs.push(builder.take_document()),
                Step::StreamEnd => break,
                Step::Abort(issue) => {
                    builder.abandon(issue);
                    docs.push(builder.take_document());
                    if !matches!(parser.proceed_next_document(), Ok(true)) {
                        break;
                    }
                }
            },
            Some(Err(err)) => {
                builder.abandon(scan_issue(file, text, &err));
                docs.push(builder.take_document());
                if !matches!(parser.proceed_next_document(), Ok(true)) {
                    break;
                }
            }
        }
    }
    if builder.in_document {
        docs.push(builder.take_document());
    }
    docs
}

fn scan_issue(file: FileId, text: &str, err: &ScanError) -> YamlIssue {
    let marker = err.marker();
    let start = marker
        .byte_offset()
        .unwrap_or_else(|| char_to_byte(text, marker.index()));
    let start = start.min(text.len());
    let end = text[start..]
        .chars()
        .next()
        .map_or(start, |c| start + c.len_utf8());
    if matches!(err.kind(), granit_parser::ErrorKind::RecursionLimitExceeded) {
        return YamlIssue {
            span: Span::new(file, start, end),
            message: format!("nesting deeper than {MAX_DEPTH} levels; the document is skipped"),
            kind: YamlIssueKind::Limit,
            related: None,
        };
    }
    let mut message = err.info();
    if message.is_empty() {
        message = err.to_string();
    }
    // The scanner reports a tab where it stops, after the tab or at the
    // token before it: point at the tab itself.
    let (start, end) = if message.contains("tab") {
        let before = text[..start]
            .bytes()
            .rev()
            .take_while(|&b| b == b'\t')
            .count();
        match (before, indentation_tab(text, start)) {
            (1.., _) => (start - before, start),
            (0, Some(tab)) => (tab, tab + 1),
            (0, None) => (start, end),
        }
    } else {
        (start, end)
    };
    YamlIssue {
        span: Span::new(file, start, end),
        message,
        kind: YamlIssueKind::Syntax,
        related: None,
    }
}

/// The first tab in the indentation of the line holding `at` or of the two
/// lines after it.
fn indentation_tab(text: &str, at: usize) -> Option<usize> {
    let mut line = text[..at].rfind('\n').map_or(0, |i| i + 1);
    for _ in 0..3 {
        let indent = text[line..]
            .bytes()
            .take_while(|&b| b == b' ' || b == b'\t');
        if let Some(i) = indent.clone().position(|b| b == b'\t') {
            return Some(line + i);
        }
        line += text[line..].find('\n')? + 1;
    }
    None
}

fn char_to_byte(text: &str, index: usize) -> usize {
    text.char_indices()
        .nth(index)
        .map_or(text.len(), |(b, _)| b)
}

enum Step {
    Continue,
    DocumentDone,
    StreamEnd,
    Abort(YamlIssue),
}

enum Frame {
    Seq {
        start: usize,
        flow: bool,
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        start: usize,
        flow: bool,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        anchor: usize,
        /// Values of `<<` merge keys, applied when the mapping ends.
        merged: Vec<Node>,
    },
}

struct Builder {
    file: FileId,
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    issues: Vec<YamlIssue>,
    in_document: bool,
}

impl Builder {
    fn new(file: FileId) -> Self {
        Builder {
            file,
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_nodes: 0,
            issues: Vec::new(),
            in_document: false,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn event(&mut self, event: Event<'_>, span: granit_parser::Span) -> Step {
        let start = span.start.byte_offset().unwrap_or(0);
        let end = span.end.byte_offset().unwrap_or(start);
        match event {
            Event::StreamStart => Step::Continue,
            Event::StreamEnd => Step::StreamEnd,
            Event::DocumentStart(..) => {
                self.in_document = true;
                Step::Continue
            }
            Event::DocumentEnd => Step::DocumentDone,
            Event::Scalar(text, style, anchor, tag) => {
                let mut style = match style {
                    GStyle::Plain => ScalarStyle::Plain,
                    GStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    GStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    GStyle::Literal => ScalarStyle::Literal,
                    GStyle::Folded => ScalarStyle::Folded,
                };
                if style == ScalarStyle::Plain
                    && tag
                        .as_ref()
                        .is_some_and(|t| t.is_yaml_core_schema_tag("str"))
                {
                    style = ScalarStyle::DoubleQuoted;
                }
                let node = Node {
                    span: self.span(start, end),
                    kind: NodeKind::Scalar(text.into_owned(), style),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Event::SequenceStart(style, anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Step::Abort(self.depth_issue(start, end));
                }
                let flow = matches!(style, granit_parser::StructureStyle::Flow);
                self.stack.push(Frame::Seq {
                    start,
                    flow,
                    items: Vec::new(),
                    anchor,
                });
                Step::Continue
            }
            Event::MappingStart(style, anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Step::Abort(self.depth_issue(start, end));
                }
                let flow = matches!(style, granit_parser::StructureStyle::Flow);
                self.stack.push(Frame::Map {
                    start,
                    flow,
                    entries: Vec::new(),
                    key: None,
                    anchor,
                    merged: Vec::new(),
                });
                Step::Continue
            }
            Event::SequenceEnd => {
                let Some(Frame::Seq {
                    start: s,
                    flow,
                    items,
                    anchor,
                }) = self.stack.pop()
                else {
                    unreachable!("the parser balances sequence start and end events")
                };
                let e = collection_end(flow, end, items.last().map(|n| n.span.end as usize), s);
                let node = Node {
                    span: self.span(s, e),
                    kind: NodeKind::Seq(items),
                };
                self.finish_collection(node, anchor)
            }
            Event::MappingEnd => {
                let Some(Frame::Map {
                    start: s,
                    flow,
                    mut entries,
                    anchor,
                    merged,
                    ..
                }) = self.stack.pop()
                else {
                    unreachable!("the parser balances mapping start and end events")
                };
                let last = entries.last().map(|(_, v)| v.span.end as usize);
                for value in merged {
                    merge_into(&mut entries, value);
                }
                let e = collection_end(flow, end, last, s);
                let node = Node {
                    span: self.span(s, e),
                    kind: NodeKind::Map(entries),
                };
                self.finish_collection(node, anchor)
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id) else {
                    return Step::Abort(YamlIssue {
                        span: self.span(start, end),
                        message: "alias refers to an unknown anchor".into(),
                        kind: YamlIssueKind::Syntax,
                        related: None,
                    });
                };
                let count = count_nodes(target);
                self.alias_nodes = self.alias_nodes.saturating_add(count);
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Step::Abort(YamlIssue {
                        span: self.span(start, end),
                        message: format!(
                            "aliases expand to more than {MAX_ALIAS_NODES} nodes in this \
                             document (alias bomb?); the document is skipped"
                        ),
                        kind: YamlIssueKind::Limit,
                        related: None,
                    });
                }
                let mut node = target.clone();
                // Point diagnostics about an aliased value at the alias itself.
                node.span = self.span(start, end);
                self.push(node)
            }
            _ => Step::Continue,
        }
    }

    fn depth_issue(&self, start: usize, end: usize) -> YamlIssue {
        YamlIssue {
            span: self.span(start, end.max(start + 1)),
            message: format!("nesting deeper than {MAX_DEPTH} levels; the document is skipped"),
            kind: YamlIssueKind::Limit,
            related: None,
        }
    }

    fn finish_collection(&mut self, node: Node, anchor: usize) -> Step {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.push(node)
    }

    fn push(&mut self, node: Node) -> Step {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Step::Continue
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Step::Continue
            }
            Some(Frame::Map {
                entries,
                key,
                merged,
                ..
            }) => {
                match key.take() {
                    None => *key = Some(node),
                    Some(k) => {
                        if k.as_str() == Some("<<") && k.kind_is_plain() {
                            merged.push(node);
                        } else {
                            if let Some(name) = k.as_str()
                                && let Some((first, _)) =
                                    entries.iter().find(|(e, _)| e.as_str() == Some(name))
                            {
                                let first = first.span;
                                self.issues.push(YamlIssue {
                                    span: k.span,
                                    message: format!(
                                        "duplicate key `{name}`; the API server rejects \
                                             it and which value wins is undefined"
                                    ),
                                    kind: YamlIssueKind::DuplicateKey,
                                    related: Some(first),
                                });
                            }
                            entries.push((k, node));
                        }
                    }
                }
                Step::Continue
            }
        }
    }

    /// Drops a partially built document after an error.
    fn abandon(&mut self, issue: YamlIssue) {
        self.stack.clear();
        self.root = None;
        self.issues.push(issue);
        self.in_document = true;
    }

    fn take_document(&mut self) -> Document {
        self.stack.clear();
        self.anchors.clear();
        self.alias_nodes = 0;
        self.in_document = false;
        let root = self.root.take().filter(|n| !is_empty_document(n));
        Document {
            root,
            issues: std::mem::take(&mut self.issues),
        }
    }
}

impl Node {
    fn kind_is_plain(&self) -> bool {
        matches!(self.kind, NodeKind::Scalar(_, ScalarStyle::Plain))
    }
}

/// A document with nothing but comments parses as an empty plain scalar.
fn is_empty_document(node: &Node) -> bool {
    matches!(&node.kind, NodeKind::Scalar(s, ScalarStyle::Plain) if s.is_empty() || s == "~")
}

/// Block collections end where their last child ends, not at the next token.
fn collection_end(flow: bool, event_end: usize, last_child: Option<usize>, start: usize) -> usize {
    if flow {
        event_end.max(start)
    } else {
        last_child.unwrap_or(start).max(start)
    }
}

/// YAML 1.1 merge keys (`<<: *base`), which the Kubernetes decoder honours:
/// keys already present win over merged ones.
fn merge_into(entries: &mut Vec<(Node, Node)>, value: Node) {
    let sources = match value.kind {
        NodeKind::Map(m) => vec![m],
        NodeKind::Seq(items) => items
            .into_iter()
            .filter_map(|n| match n.kind {
                NodeKind::Map(m) => Some(m),
                _ => None,
            })
            .collect(),
        NodeKind::Scalar(..) => Vec::new(),
    };
    for source in sources {
        for (k, v) in source {
            if !entries
                .iter()
                .any(|(e, _)| e.as_str().is_some() && e.as_str() == k.as_str())
            {
                entries.push((k, v));
            }
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar(..) => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Document> {
        parse_stream(FileId(0), text)
    }

    #[test]
    fn spans_slice_back_to_scalars() {
        let text =
            "# café\nkind: NetworkPolicy\nspec:\n  podSelector: {}\n  ports: [80, \"http\"]\n";
        let docs = parse(text);
        assert_eq!(docs.len(), 1);
        let root = docs[0].root.as_ref().unwrap();
        let kind = root.get("kind").unwrap();
        assert_eq!(
            &text[kind.span.start as usize..kind.span.end as usize],
            "NetworkPolicy"
        );
        let port = root.at(&["spec".into(), "ports".into(), 1.into()]).unwrap();
        assert_eq!(
            &text[port.span.start as usize..port.span.end as usize],
            "\"http\""
        );
        assert!(
            matches!(port.kind, NodeKind::Scalar(ref s, ScalarStyle::DoubleQuoted) if s == "http")
        );
        let spec = root.get("spec").unwrap();
        assert!(text[spec.span.start as usize..spec.span.end as usize].ends_with("\"http\"]"));
    }

    #[test]
    fn comment_only_documents_are_empty() {
        let docs = parse("a: 1\n---\n# only a comment\n---\nb: 2\n");
        let roots: Vec<_> = docs.iter().filter_map(|d| d.root.as_ref()).collect();
        assert_eq!(roots.len(), 2);
    }

    #[test]
    fn recovers_after_a_broken_document() {
        let docs = parse("a: 1\n---\nb: [1, 2\n---\nc: 3\n");
        let roots: Vec<_> = docs.iter().filter_map(|d| d.root.as_ref()).collect();
        assert_eq!(roots.len(), 2);
        assert_eq!(roots[1].get("c").and_then(Node::as_str), Some("3"));
        let syntax: Vec<_> = docs
            .iter()
            .flat_map(|d| &d.issues)
            .filter(|i| i.kind == YamlIssueKind::Syntax)
            .collect();
        assert_eq!(syntax.len(), 1);
    }

    #[test]
    fn alias_bomb_hits_the_budget() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'] {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
            prev = name;
        }
        let docs = parse(&text);
        assert!(
            docs.iter()
                .flat_map(|d| &d.issues)
                .any(|i| i.kind == YamlIssueKind::Limit)
        );
    }

    #[test]
    fn deep_nesting_hits_the_limit() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let docs = parse(&text);
        assert!(docs.iter().all(|d| d.root.is_none()));
        let issues: Vec<_> = docs.iter().flat_map(|d| &d.issues).collect();
        assert!(
            issues.iter().any(|i| i.kind == YamlIssueKind::Limit),
            "{issues:?}"
        );
        let block: String = (0..1000)
            .map(|i| format!("{}- \n", " ".repeat(i)))
            .collect();
        let docs = parse(&block);
        let issues: Vec<_> = docs.iter().flat_map(|d| &d.issues).collect();
        assert!(
            issues.iter().any(|i| i.kind == YamlIssueKind::Limit),
            "{issues:?}"
        );
    }

    #[test]
    fn duplicate_keys_are_reported() {
        let docs = parse("a: 1\nb: 2\na: 3\n");
        assert_eq!(docs[0].issues.len(), 1);
        assert_eq!(docs[0].issues[0].kind, YamlIssueKind::DuplicateKey);
    }

    #[test]
    fn merge_keys_merge() {
        let docs = parse("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n");
        let m = docs[0].root.as_ref().unwrap().get("m").unwrap();
        assert_eq!(m.get("x").and_then(Node::as_str), Some("1"));
        assert_eq!(m.get("y").and_then(Node::as_str), Some("3"));
    }
}
