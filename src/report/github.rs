//! `--format github`: one GitHub Actions workflow command per finding, which
//! the runner turns into an annotation on the file and line.
//!
//! `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::MESSAGE`,
//! with `warning` and `notice` for the lower severities. The message is the
//! finding's message, then the help on the next line. The runner splits a
//! command at `::` and its properties at `,` and `=` after undoing the
//! escapes below, so every value is escaped before it is written.

use std::path::Path;

use super::{Artifact, Diagnostic, RenderOptions, Severity, Summary, artifact, locate};
use crate::source::Sources;

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    _summary: &Summary,
    _opts: &RenderOptions,
) -> String {
    let cwd = std::env::current_dir().ok();
    diags
        .iter()
        .map(|d| command(d, sources, cwd.as_deref()))
        .collect()
}

fn command(d: &Diagnostic, sources: &Sources, cwd: Option<&Path>) -> String {
    let at = locate(sources, d.primary.span);
    let mut props = Vec::new();
    // Standard input has no file to annotate: the annotation goes on the
    // workflow run instead.
    if let a @ (Artifact::Relative(_) | Artifact::Outside(_)) = artifact(at.file, cwd) {
        props.push(format!("file={}", property(&a.display())));
    }
    props.push(format!("line={}", at.line));
    // GitHub's annotations take columns only when they start and end on
    // the same line (its API says to omit them otherwise).
    if at.end_line == at.line {
        props.push(format!("col={}", at.column));
        props.push(format!("endLine={}", at.end_line));
        props.push(format!("endColumn={}", at.end_column));
    } else {
        props.push(format!("endLine={}", at.end_line));
    }
    props.push(format!("title={}", property(d.rule)));
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}\n",
        command_name(d.severity),
        props.join(","),
        data(&message)
    )
}

fn command_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

/// Escapes the message part of a command: the runner reads `%25`, `%0D`
/// and `%0A` back as `%`, carriage return and line feed.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as [`data`], plus `:` and `,`, which would
/// otherwise end the value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_first() {
        assert_eq!(data("100%\r\nnext"), "100%25%0D%0Anext");
        assert_eq!(data("%0A"), "%250A");
    }

    #[test]
    fn property_escapes_colon_and_comma() {
        assert_eq!(property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }
}
