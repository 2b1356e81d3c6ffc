//! `--format gitlab`: a GitLab Code Quality report, a JSON array with one
//! issue per finding, which GitLab shows in merge requests.
//!
//! GitLab tells a new finding from an old one by its `fingerprint`, so the
//! fingerprint must be the same on every run and every machine for the
//! same finding, and unique within a report: a hash of rule, path, line
//! and message with our own FNV-1a (the standard library's hasher is
//! seeded per process), and an occurrence number when two findings would
//! otherwise share one.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::{Artifact, Diagnostic, RenderOptions, Severity, Summary, artifact, locate};
use crate::source::Sources;

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'a str,
    fingerprint: String,
    severity: &'static str,
    location: IssueLocation,
}

#[derive(Serialize)]
struct IssueLocation {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    _summary: &Summary,
    _opts: &RenderOptions,
) -> String {
    let cwd = std::env::current_dir().ok();
    let issues = issues(diags, sources, cwd.as_deref());
    match serde_json::to_string_pretty(&issues) {
        Ok(mut text) => {
            text.push('\n');
            text
        }
        Err(e) => unreachable!("a report of strings and integers serialises: {e}"),
    }
}

fn issues<'a>(diags: &'a [Diagnostic], sources: &Sources, cwd: Option<&Path>) -> Vec<Issue<'a>> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    diags
        .iter()
        .map(|d| {
            let at = locate(sources, d.primary.span);
            let path = match artifact(at.file, cwd) {
                a @ (Artifact::Relative(_) | Artifact::Outside(_)) => a.display(),
                Artifact::NoFile(_) => "-".to_string(),
            };
            let key = format!("{}\0{}\0{}\0{}", d.rule, path, at.line, d.message);
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            // The first occurrence keeps the plain key, so a finding's
            // fingerprint changes only when a twin appears before it.
            let keyed = if *n == 1 { key } else { format!("{key}\0{n}") };
            Issue {
                description: &d.message,
                check_name: d.rule,
                fingerprint: format!("{:016x}", fnv1a64(keyed.as_bytes())),
                severity: severity(d.severity),
                location: IssueLocation {
                    path,
                    lines: Lines {
                        begin: at.line,
                        end: at.end_line,
                    },
                },
            }
        })
        .collect()
}

/// Code Quality severities are `info`, `minor`, `major`, `critical` and
/// `blocker`; ours map to the lower three, as other linters' reports do.
fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "info",
        Severity::Warning => "minor",
        Severity::Error => "major",
    }
}

/// 64-bit FNV-1a: small, stable across runs and platforms.
fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_values() {
        // Reference values of the FNV-1a 64-bit test suite.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn twins_get_distinct_fingerprints_and_the_first_keeps_its_own() {
        use crate::source::{FileId, SourceFile, Span};
        let mut sources = Sources::default();
        sources.add(SourceFile::new("a.yaml", "key: one two\n"));
        let at = |start| Span::new(FileId(0), start, start + 3);
        let d = |start| Diagnostic::new("r", Severity::Warning, at(start), "same");
        let (one, two) = ([d(5)], [d(5), d(9)]);
        let alone = issues(&one, &sources, None);
        let twins = issues(&two, &sources, None);
        assert_eq!(twins[0].fingerprint, alone[0].fingerprint);
        assert_ne!(twins[0].fingerprint, twins[1].fingerprint);
    }
}
