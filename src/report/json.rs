//! `--format json`: one JSON document with every finding and the summary.
//!
//! The field names and their meaning are a contract documented in the
//! README ("JSON output"); add fields, never rename or remove them.

use serde::Serialize;

use super::{Diagnostic, Label, RenderOptions, Summary, locate};
use crate::source::Sources;

#[derive(Serialize)]
struct Report<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    object: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    message: &'a str,
}

fn related<'a>(sources: &'a Sources, label: &'a Label) -> JsonRelated<'a> {
    let at = locate(sources, label.span);
    JsonRelated {
        file: at.file,
        line: at.line,
        column: at.column,
        end_line: at.end_line,
        end_column: at.end_column,
        message: &label.message,
    }
}

fn diagnostic<'a>(sources: &'a Sources, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let at = locate(sources, d.primary.span);
    JsonDiagnostic {
        rule: d.rule,
        severity: d.severity.as_str(),
        message: &d.message,
        file: at.file,
        line: at.line,
        column: at.column,
        end_line: at.end_line,
        end_column: at.end_column,
        object: d.object.as_deref(),
        help: d.help.as_deref(),
        related: d.secondary.iter().map(|l| related(sources, l)).collect(),
    }
}

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
    _opts: &RenderOptions,
) -> String {
    let report = Report {
        diagnostics: diags.iter().map(|d| diagnostic(sources, d)).collect(),
        summary,
    };
    match serde_json::to_string_pretty(&report) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        // Serialising plain strings and integers cannot fail.
        Err(e) => unreachable!("a report of strings and integers serialises: {e}"),
    }
}
