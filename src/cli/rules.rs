//! `netpol-lint rules`: list the checks, or print one check's documentation.
//!
//! The text comes from each rule's [`RuleMeta`](crate::rules::RuleMeta); the
//! page printed for one rule is the one the catalog in `rules/` holds.

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Cli, EXIT_ERROR, EXIT_OK, emit};
use crate::rules::{self, RuleMeta, catalog};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// Aligned columns; for one rule, its Markdown page.
    Txt,
    /// JSON: an array of `{name, severity, summary}`; for one rule, an
    /// object that also has `doc`.
    Json,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// The rule to document (default: list every rule).
    pub name: Option<String>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = RulesFormat::Txt)]
    pub format: RulesFormat,
}

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    severity: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    doc: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn of(meta: &'a RuleMeta, with_doc: bool) -> Self {
        Entry {
            name: meta.name,
            severity: meta.default_severity.as_str(),
            summary: meta.summary,
            doc: with_doc.then_some(meta.doc),
        }
    }
}

pub fn run(_cli: &Cli, args: &RulesArgs) -> u8 {
    let text = match &args.name {
        None => list(args.format),
        Some(name) => match rules::find(name) {
            Some(rule) => one(rule.meta(), args.format),
            None => {
                unknown(name);
                return EXIT_ERROR;
            }
        },
    };
    match emit(&text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: cannot write the output: {e}");
            EXIT_ERROR
        }
    }
}

fn list(format: RulesFormat) -> String {
    let metas: Vec<&RuleMeta> = rules::registry().iter().map(|r| r.meta()).collect();
    match format {
        RulesFormat::Json => {
            let entries: Vec<Entry<'_>> = metas.iter().map(|m| Entry::of(m, false)).collect();
            json(&entries)
        }
        RulesFormat::Txt => {
            let width = metas.iter().map(|m| m.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for m in metas {
                out.push_str(&format!(
                    "{:width$}  {:7}  {}\n",
                    m.name,
                    m.default_severity.as_str(),
                    m.summary
                ));
            }
            out
        }
    }
}

fn one(meta: &RuleMeta, format: RulesFormat) -> String {
    match format {
        RulesFormat::Txt => catalog::page(meta),
        RulesFormat::Json => json(&Entry::of(meta, true)),
    }
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    // Serializing plain strings and lists cannot fail.
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

fn unknown(name: &str) {
    eprintln!("error: unknown rule `{name}`");
    let names: Vec<&str> = rules::registry().iter().map(|r| r.meta().name).collect();
    if let Some(close) = suggestion(name, &names) {
        eprintln!("  did you mean `{close}`?");
    }
    eprintln!("  `netpol-lint rules` lists every rule");
}

/// The known name closest to `name`, if one is close enough to be a typo.
fn suggestion<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let wanted = name.to_ascii_lowercase().replace('_', "-");
    let best = names
        .iter()
        .map(|n| (edit_distance(&wanted, n), *n))
        .min_by_key(|(d, _)| *d)?;
    let allowed = (wanted.chars().count() / 3).max(2);
    if best.0 <= allowed {
        return Some(best.1);
    }
    // A fragment of a name (`isolated` for `pod-not-isolated`).
    (wanted.len() >= 4)
        .then(|| names.iter().copied().find(|n| n.contains(wanted.as_str())))
        .flatten()
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_and_fragments() {
        let names = ["pod-not-isolated", "invalid-ipblock", "invalid-selector"];
        assert_eq!(
            suggestion("pod-not-isolate", &names),
            Some("pod-not-isolated")
        );
        assert_eq!(
            suggestion("invalid_ipblock", &names),
            Some("invalid-ipblock")
        );
        assert_eq!(
            suggestion("invalid-ip-block", &names),
            Some("invalid-ipblock")
        );
        assert_eq!(
            suggestion("Invalid-Selector", &names),
            Some("invalid-selector")
        );
        assert_eq!(suggestion("isolated", &names), Some("pod-not-isolated"));
        assert_eq!(suggestion("frobnicate", &names), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn the_list_is_aligned_and_complete() {
        let text = list(RulesFormat::Txt);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), rules::registry().len());
        let width = rules::registry()
            .iter()
            .map(|r| r.meta().name.len())
            .max()
            .unwrap_or(0);
        for line in &lines {
            let severity = &line[width + 2..];
            assert!(
                ["error", "warning", "info"]
                    .iter()
                    .any(|s| severity.starts_with(s)),
                "{line}"
            );
        }
        let json: serde_json::Value = serde_json::from_str(&list(RulesFormat::Json)).expect("json");
        let array = json.as_array().expect("array");
        assert_eq!(array.len(), lines.len());
        assert!(array.iter().all(|e| e["name"].is_string()
            && e["severity"].is_string()
            && e["summary"].is_string()
            && e.get("doc").is_none()));
    }
}
