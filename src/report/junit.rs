//! `--format junit`: JUnit XML, for CI systems that only show test reports.
//!
//! One test suite per rule, in catalog order, so that the report lists the
//! whole catalog. In a suite, one test case per file with findings of that
//! rule, in report order, failing with one line per finding (location,
//! severity, message, related locations, help); a rule without findings
//! gets one passing test case. JUnit allows one `<failure>` per test case,
//! hence the grouping. Every finding fails its case whatever its severity:
//! the report shows what the other formats show, and `--fail-on` decides
//! the exit code.

use std::fmt::Write;

use super::{Diagnostic, RenderOptions, Summary, locate};
use crate::rules;
use crate::source::Sources;

/// The test case name of a rule without findings.
const CLEAN_CASE: &str = "all files";

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    _summary: &Summary,
    _opts: &RenderOptions,
) -> String {
    let suites: Vec<Suite> = rule_names(diags)
        .into_iter()
        .map(|r| suite(r, diags, sources))
        .collect();
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(Suite::failures).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"netpol-lint\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" \
         skipped=\"0\">"
    );
    for s in &suites {
        write_suite(&mut out, s, sources);
    }
    out.push_str("</testsuites>\n");
    out
}

struct Suite<'a> {
    rule: &'a str,
    cases: Vec<Case<'a>>,
}

impl Suite<'_> {
    fn failures(&self) -> usize {
        self.cases.iter().filter(|c| !c.findings.is_empty()).count()
    }
}

struct Case<'a> {
    name: &'a str,
    findings: Vec<&'a Diagnostic>,
}

/// The registry in catalog order, then rule names found only in `diags`,
/// sorted.
fn rule_names(diags: &[Diagnostic]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = rules::registry().iter().map(|r| r.meta().name).collect();
    let mut extra: Vec<&'static str> = diags
        .iter()
        .map(|d| d.rule)
        .filter(|r| !names.contains(r))
        .collect();
    extra.sort_unstable();
    extra.dedup();
    names.extend(extra);
    names
}

fn suite<'a>(rule: &'a str, diags: &'a [Diagnostic], sources: &'a Sources) -> Suite<'a> {
    let mut cases: Vec<Case<'a>> = Vec::new();
    // `diags` is in report order, so files come sorted and a file's
    // findings are contiguous.
    for d in diags.iter().filter(|d| d.rule == rule) {
        let file = locate(sources, d.primary.span).file;
        match cases.last_mut() {
            Some(case) if case.name == file => case.findings.push(d),
            _ => cases.push(Case {
                name: file,
                findings: vec![d],
            }),
        }
    }
    if cases.is_empty() {
        cases.push(Case {
            name: CLEAN_CASE,
            findings: Vec::new(),
        });
    }
    Suite { rule, cases }
}

fn write_suite(out: &mut String, s: &Suite<'_>, sources: &Sources) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
        attr(s.rule),
        s.cases.len(),
        s.failures()
    );
    for case in &s.cases {
        write_case(out, s.rule, case, sources);
    }
    out.push_str("  </testsuite>\n");
}

fn write_case(out: &mut String, rule: &str, case: &Case<'_>, sources: &Sources) {
    let open = format!(
        "    <testcase classname=\"{}\" name=\"{}\"",
        attr(rule),
        attr(case.name)
    );
    let Some(worst) = case.findings.iter().map(|d| d.severity).max() else {
        let _ = writeln!(out, "{open}/>");
        return;
    };
    let message = match case.findings.as_slice() {
        [one] => one.message.clone(),
        many => format!("{} findings", many.len()),
    };
    let _ = writeln!(out, "{open}>");
    let _ = write!(
        out,
        "      <failure message=\"{}\" type=\"{}\">",
        attr(&message),
        worst.as_str()
    );
    for d in &case.findings {
        out.push_str(&text(&finding_text(d, sources)));
    }
    out.push_str("</failure>\n    </testcase>\n");
}

/// One finding in the failure text, in the shape of `--format short` with
/// the related locations and the help indented below.
fn finding_text(d: &Diagnostic, sources: &Sources) -> String {
    let at = locate(sources, d.primary.span);
    let mut out = format!(
        "{}:{}:{}: {}[{}]: {}\n",
        at.file,
        at.line,
        at.column,
        d.severity.as_str(),
        d.rule,
        d.message
    );
    for label in &d.secondary {
        let r = locate(sources, label.span);
        let _ = writeln!(
            out,
            "  {}:{}:{}: related: {}",
            r.file, r.line, r.column, label.message
        );
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "  help: {}", help.replace('\n', "\n        "));
    }
    out
}

/// Escapes element content. Characters that XML 1.0 cannot hold at all
/// (control characters other than tab and line breaks) become U+FFFD.
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' => out.push(c),
            // A bare carriage return would be normalised to a line feed.
            '\r' => out.push_str("&#13;"),
            c if c < ' ' || matches!(c, '\u{FFFE}' | '\u{FFFF}') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value: as [`text`], plus quotes, and whitespace
/// as character references, which attribute normalisation would
/// otherwise turn into spaces.
fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            c => out.push_str(&text(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            text("a < b && c > d\tx\ny\u{1}"),
            "a &lt; b &amp;&amp; c &gt; d\tx\ny\u{FFFD}"
        );
        assert_eq!(
            attr("say \"hi\"\n'x'"),
            "say &quot;hi&quot;&#10;&apos;x&apos;"
        );
        assert_eq!(attr("\r"), "&#13;");
    }
}
