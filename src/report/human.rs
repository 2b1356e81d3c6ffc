//! The default format: miette's graphical report for each finding, then a
//! summary line.
//!
//! Each finding becomes a miette diagnostic headed `severity[rule] in
//! object`, with the YAML around the primary span and every secondary label
//! in the same file. miette shows one source per diagnostic, so secondary labels
//! in other files are drawn as related notes, one per file, each with its
//! own snippet. Colour and width come from [`RenderOptions`]; hyperlink
//! escapes are off so that logs and snapshots stay plain text.

use std::collections::BTreeMap;
use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use rayon::prelude::*;

use super::{Diagnostic, Label, RenderOptions, Severity, Summary, locate};
use crate::source::{FileId, SourceFile, Sources, Span};

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
    opts: &RenderOptions,
) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(opts.width)
        .with_show_related_as_nested(true);
    // Input text reaches the terminal: control characters in it (an escape
    // sequence in a label value) are replaced, byte length kept, so spans
    // stay valid and the input cannot drive the terminal.
    let cleaned;
    let sources = if sources.iter().any(|(_, f)| needs_cleaning(&f.text)) {
        cleaned = terminal_safe_sources(sources);
        &cleaned
    } else {
        sources
    };
    // Whether each file has a carriage return; see [`Window`].
    let has_cr: Vec<bool> = sources.iter().map(|(_, f)| f.text.contains('\r')).collect();
    // miette takes most of the time of a large report, and each finding
    // renders on its own: render them on all cores, then join in order.
    let parts: Vec<String> = diags
        .par_iter()
        .map(|d| render_one(&handler, d, sources, summary, opts, &has_cr))
        .collect();
    let mut out = String::with_capacity(parts.iter().map(String::len).sum::<usize>() + 80);
    for part in &parts {
        out.push_str(part);
    }
    out.push_str(&summary.line());
    out.push('\n');
    if opts.color {
        out
    } else {
        // Without colour no escape sequence belongs in the output at all;
        // this also covers input text quoted in messages, labels and help.
        let cleaned = match terminal_safe(&out) {
            std::borrow::Cow::Owned(cleaned) => Some(cleaned),
            std::borrow::Cow::Borrowed(_) => None,
        };
        cleaned.unwrap_or(out)
    }
}

/// One finding and the blank line after it.
fn render_one(
    handler: &GraphicalReportHandler,
    d: &Diagnostic,
    sources: &Sources,
    summary: &Summary,
    opts: &RenderOptions,
    has_cr: &[bool],
) -> String {
    let report = Report::new(d, sources, has_cr);
    let mut one = String::new();
    let mut out = String::new();
    if handler.render_report(&mut one, &report).is_ok() {
        // miette indents the empty lines of a multi-line help; trailing
        // blanks would only upset editors and snapshot diffs.
        for line in one.lines() {
            out.push_str(line.trim_end_matches(' '));
            out.push('\n');
        }
    } else {
        // Rendering into a String fails only if a Display impl does; fall
        // back to the one-line form rather than drop the finding.
        out.push_str(&super::short::render(
            std::slice::from_ref(d),
            sources,
            summary,
            opts,
        ));
    }
    out.push('\n');
    out
}

/// One finding (or one related note) as miette wants it.
struct Report<'a> {
    message: String,
    /// `severity[rule]`, and the object when the finding names one; miette
    /// prints it as the header of the report.
    code: Option<String>,
    severity: miette::Severity,
    help: Option<&'a str>,
    /// None when a label is on a line too long to draw.
    source: Option<Window<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'a>>,
}

impl<'a> Report<'a> {
    fn new(d: &'a Diagnostic, sources: &'a Sources, has_cr: &[bool]) -> Self {
        let file = d.primary.span.file;
        // miette draws one snippet per report, every line from the first
        // label to the last: secondary labels far from the primary one (a
        // policy 300 lines down the same file) or in another file are drawn
        // as notes of their own, labels close to each other together.
        let mut by_file: BTreeMap<FileId, Vec<&Label>> = BTreeMap::new();
        for l in &d.secondary {
            by_file.entry(l.span.file).or_default().push(l);
        }
        let mut main = vec![labeled(sources, &d.primary, true)];
        let mut near_primary: Vec<&Label> = Vec::new();
        let mut related = Vec::new();
        // The finding's own file first, then the others in load order.
        let own = by_file.remove(&file);
        for (f, labels) in own.map(|l| (file, l)).into_iter().chain(by_file) {
            let anchor = (f == file).then_some(&d.primary);
            for group in nearby_groups(sources, anchor, labels) {
                match group {
                    Group::WithPrimary(ls) => near_primary = ls,
                    Group::Apart(ls) => related.push(Report::related(f, &ls, sources, has_cr)),
                }
            }
        }
        main.extend(near_primary.iter().map(|l| labeled(sources, l, false)));
        let mut report = Report {
            message: d.message.clone(),
            code: Some(header(d)),
            severity: severity(d.severity),
            help: d.help.as_deref(),
            source: Some(named(sources, file, has_cr)),
            labels: main,
            related,
        };
        report.drop_snippet_of_long_lines(sources, d.primary.span);
        report
    }

    /// Minified JSON puts a whole cluster on one line: such a snippet is of
    /// no use in a terminal, and miette pads to a label's column with a
    /// format width, which cannot exceed 65,535. A report with a label on a
    /// line longer than [`MAX_DRAWN_LINE`] says where the label is instead.
    fn drop_snippet_of_long_lines(&mut self, sources: &Sources, at: Span) {
        // Bytes: a span need not fall on character boundaries.
        let text = sources.get(at.file).text.as_bytes();
        let long = self.labels.iter().any(|l| {
            let start = l.offset().min(text.len());
            let end = (l.offset() + l.len()).clamp(start, text.len());
            // The label's lines and the context line on each side, which
            // miette draws too.
            let line_start = |at: usize| {
                text[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1)
            };
            let line_end = |at: usize| {
                text[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(text.len(), |i| at + i)
            };
            let first = line_start(line_start(start).saturating_sub(1));
            let last = line_end((line_end(end) + 1).min(text.len()));
            text[first..last]
                .split(|&b| b == b'\n')
                .any(|line| line.len() > MAX_DRAWN_LINE)
        });
        if !long {
            return;
        }
        let loc = locate(sources, at);
        // The label of the located span says what is there.
        let said = self
            .labels
            .iter()
            .find(|l| l.offset() == at.start as usize)
            .and_then(|l| l.label())
            .map_or(String::new(), |l| format!(": {l}"));
        self.message = format!(
            "{}\n  at {}:{}:{}{said} (the line is too long to show)",
            self.message, loc.file, loc.line, loc.column
        );
        self.source = None;
        self.labels.clear();
    }

    /// A note showing labels away from the finding's snippet: in another
    /// file, or far from it in the same file.
    fn related(file: FileId, labels: &[&Label], sources: &'a Sources, has_cr: &[bool]) -> Self {
        let mut report = Report {
            // The snippet header names the file and position.
            message: "see also".to_string(),
            code: None,
            severity: miette::Severity::Advice,
            help: None,
            source: Some(named(sources, file, has_cr)),
            labels: labels.iter().map(|l| labeled(sources, l, false)).collect(),
            related: Vec::new(),
        };
        if let Some(first) = labels.first() {
            report.drop_snippet_of_long_lines(sources, first.span);
        }
        report
    }
}

/// Labels whose lines are at most this far apart share a snippet.
const NEARBY_LINES: u32 = 8;

/// Secondary labels of one file, drawn together.
enum Group<'l> {
    /// Close to the primary label: drawn in the finding's own snippet.
    WithPrimary(Vec<&'l Label>),
    /// A snippet of its own.
    Apart(Vec<&'l Label>),
}

/// Splits the secondary labels of one file into runs of nearby lines, in
/// line order; `primary` (in this file) takes the run it is close to.
fn nearby_groups<'l>(
    sources: &Sources,
    primary: Option<&Label>,
    mut labels: Vec<&'l Label>,
) -> Vec<Group<'l>> {
    let lines = |l: &Label| {
        let at = locate(sources, l.span);
        // A long label is drawn on its first line only (see `labeled`).
        let last = if at.end_line - at.line + 1 > MAX_LABEL_LINES {
            at.line
        } else {
            at.end_line
        };
        (at.line, last)
    };
    labels.sort_by_key(|l| (l.span.start, l.span.end));
    let mut runs: Vec<(u32, u32, Vec<&'l Label>)> = Vec::new();
    for l in labels {
        let (first, last) = lines(l);
        match runs.last_mut() {
            Some((_, end, run)) if first <= *end + NEARBY_LINES => {
                *end = (*end).max(last);
                run.push(l);
            }
            _ => runs.push((first, last, vec![l])),
        }
    }
    let close = primary.map(lines).map(|(first, last)| {
        move |lo: u32, hi: u32| lo <= last + NEARBY_LINES && first <= hi + NEARBY_LINES
    });
    let mut taken = false;
    let mut groups = Vec::new();
    let mut with_primary: Vec<&Label> = Vec::new();
    for (lo, hi, run) in runs {
        if close.as_ref().is_some_and(|near| near(lo, hi)) {
            // Runs on both sides of the primary label join it.
            with_primary.extend(run);
            taken = true;
        } else {
            groups.push(Group::Apart(run));
        }
    }
    if taken {
        groups.insert(0, Group::WithPrimary(with_primary));
    }
    groups
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\t' | '\r')
}

fn needs_cleaning(text: &str) -> bool {
    text.chars().any(is_unsafe)
}

/// `text` with control characters replaced by characters of the same UTF-8
/// length (`?` for C0 and DEL, `¿` for C1).
fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    if !needs_cleaning(text) {
        return std::borrow::Cow::Borrowed(text);
    }
    let cleaned = text
        .chars()
        .map(|c| match (is_unsafe(c), c.len_utf8()) {
            (false, _) => c,
            (true, 1) => '?',
            (true, _) => '\u{bf}',
        })
        .collect();
    std::borrow::Cow::Owned(cleaned)
}

fn terminal_safe_sources(sources: &Sources) -> Sources {
    let mut out = Sources::default();
    for (_, f) in sources.iter() {
        out.add(SourceFile::new(
            terminal_safe(&f.path),
            terminal_safe(&f.text).into_owned(),
        ));
    }
    out
}

fn header(d: &Diagnostic) -> String {
    let mut h = format!("{}[{}]", d.severity.as_str(), d.rule);
    if let Some(object) = &d.object {
        h.push_str(" in ");
        h.push_str(&terminal_safe(object));
    }
    h
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Lines longer than this many bytes are not drawn.
const MAX_DRAWN_LINE: usize = 4096;

/// Labels longer than this many lines are drawn on their first line only.
const MAX_LABEL_LINES: u32 = 6;

/// A label as miette draws it. miette prints every line a label covers, so
/// a label over a whole object (a 200-line Deployment) would flood the
/// terminal: such a label is drawn on its first line and says where it
/// ends. The other formats keep the full span.
fn labeled(sources: &Sources, label: &Label, primary: bool) -> LabeledSpan {
    let at = locate(sources, label.span);
    let mut span = label.span;
    let mut message = label.message.clone();
    if at.end_line - at.line + 1 > MAX_LABEL_LINES {
        let text = &sources.get(span.file).text;
        let start = span.start as usize;
        let line_end = text
            .get(start..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |n| start + n);
        span = Span::new(span.file, start, line_end.min(span.end as usize));
        let through = format!("lines {}-{}", at.line, at.end_line);
        message = if message.is_empty() {
            through
        } else {
            format!("{message} ({through})")
        };
    }
    let message = (!message.is_empty()).then_some(message);
    let span = SourceSpan::from((span.start as usize, span.len()));
    if primary {
        LabeledSpan::new_primary_with_span(message, span)
    } else {
        LabeledSpan::new_with_span(message, span)
    }
}

fn named<'a>(sources: &'a Sources, id: FileId, has_cr: &[bool]) -> Window<'a> {
    Window {
        file: sources.get(id),
        has_cr: has_cr.get(id.0 as usize).copied().unwrap_or(true),
    }
}

/// A file as miette reads it, cut to the lines around each label.
///
/// miette locates a label by scanning the text from its first byte, once
/// per label and context: over thousands of findings in files of tens of
/// kilobytes that scan was most of the run. A window starting a few lines
/// above the label and ending a few lines below it gives miette the same
/// bytes to draw; line numbers and offsets are shifted back, so the output
/// is unchanged.
struct Window<'a> {
    file: &'a SourceFile,
    /// The file has a `\r`, which miette takes as a line end and the line
    /// index does not: such files get the whole text.
    has_cr: bool,
}

impl Window<'_> {
    /// Line margin beyond the context miette asks for, so that its scan
    /// starts and stops exactly where it would on the whole text.
    const MARGIN: usize = 2;

    /// Byte range of the window, and the number of lines before it.
    fn bounds(&self, span: &SourceSpan, before: usize, after: usize) -> (usize, usize, usize) {
        let text = self.file.text.as_bytes();
        if self.has_cr {
            return (0, text.len(), 0);
        }
        let offset = span.offset().min(text.len());
        let end = (span.offset() + span.len()).min(text.len());
        let mut start = text[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        for _ in 0..before + Self::MARGIN {
            if start == 0 {
                break;
            }
            start = text[..start - 1]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
        }
        let mut stop = end;
        for _ in 0..after + Self::MARGIN + 1 {
            match text[stop..].iter().position(|&b| b == b'\n') {
                Some(i) => stop += i + 1,
                None => {
                    stop = text.len();
                    break;
                }
            }
        }
        let lines_before = self.file.line_col(start as u32).line as usize - 1;
        (start, stop, lines_before)
    }
}

impl SourceCode for Window<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let (start, stop, lines_before) =
            self.bounds(span, context_lines_before, context_lines_after);
        let text = &self.file.text.as_bytes()[start..stop];
        // Offsets past the end stay past the end of the window.
        let local = SourceSpan::from((span.offset().saturating_sub(start), span.len()));
        let inner = text.read_span(&local, context_lines_before, context_lines_after)?;
        let shifted = SourceSpan::from((inner.span().offset() + start, inner.span().len()));
        // miette counts a column in bytes; the header it prints from it
        // should count characters, as every other format does.
        let column = self
            .file
            .text
            .get(shifted.offset().saturating_sub(inner.column())..shifted.offset())
            .map_or(inner.column(), |before| before.chars().count());
        let contents = MietteSpanContents::new_named(
            self.file.path.clone(),
            inner.data(),
            shifted,
            inner.line() + lines_before,
            column,
            inner.line_count() + lines_before,
        )
        .with_language("yaml");
        Ok(Box::new(contents))
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("message", &self.message)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
