//! Reports: findings as data, and the renderers that turn them into text.
//!
//! Owns the order of findings, the resolution of spans into file, line and
//! column (one place, [`locate`], that every format uses), the summary
//! counts, and one module per output format. A renderer takes the sorted
//! findings, the sources and the summary and returns text; it does not
//! decide what is a finding, read configuration or choose the exit code.
//! A new format is a new module plus one arm in [`render`].

pub mod diagnostic;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod short;

pub use diagnostic::{Diagnostic, Label, Severity};

use std::path::{Component, Path, PathBuf};

use crate::source::{Sources, Span};

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Annotated YAML snippets for a person at a terminal.
    Human,
    /// One `path:line:col: severity[rule]: message` line per finding.
    Short,
    /// One JSON document; the fields are a documented contract.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the changed files.
    Github,
    /// JUnit XML, for CI systems that only show test reports.
    Junit,
    /// GitLab Code Quality JSON.
    Gitlab,
}

impl Format {
    /// Does the summary line go to stderr? Formats whose stdout carries no
    /// summary of their own, or only counts (JUnit, SARIF), print it there
    /// so that a CI log still shows it.
    pub fn summary_on_stderr(self) -> bool {
        !matches!(self, Format::Human | Format::Json)
    }
}

/// How a renderer draws; only the human format uses these today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours.
    pub color: bool,
    /// Width that text wraps at, in columns.
    pub width: usize,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            color: false,
            width: 100,
        }
    }
}

/// Counts shown at the end of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Summary {
    pub files: usize,
    pub objects: usize,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Summary {
    /// Counts `diags` by severity.
    pub fn new(files: usize, objects: usize, diags: &[Diagnostic]) -> Self {
        let count = |s: Severity| diags.iter().filter(|d| d.severity == s).count();
        Summary {
            files,
            objects,
            errors: count(Severity::Error),
            warnings: count(Severity::Warning),
            infos: count(Severity::Info),
        }
    }

    /// `2 files, 5 objects: 1 error, 3 warnings, 0 infos`.
    pub fn line(&self) -> String {
        fn n(count: usize, one: &str, many: &str) -> String {
            format!("{count} {}", if count == 1 { one } else { many })
        }
        format!(
            "{}, {}: {}, {}, {}",
            n(self.files, "file", "files"),
            n(self.objects, "object", "objects"),
            n(self.errors, "error", "errors"),
            n(self.warnings, "warning", "warnings"),
            n(self.infos, "info", "infos"),
        )
    }
}

/// Where a span is, as every format shows it: the file's display path and
/// 1-based start and end positions (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location<'a> {
    pub file: &'a str,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// Resolves a span; the only place that turns spans into positions.
pub fn locate(sources: &Sources, span: Span) -> Location<'_> {
    let (start, end) = sources.range(span);
    Location {
        file: &sources.get(span.file).path,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

/// A finding's file as CI systems match it against a checkout: they want
/// paths relative to the repository root, which is the working directory
/// the tool runs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Artifact {
    /// Inside the working directory: relative, `/`-separated, no `.` or `..`.
    Relative(String),
    /// Outside it: absolute and normalised (or as given when the working
    /// directory is unknown).
    Outside(PathBuf),
    /// Input that is no file, named in angle brackets: standard input
    /// (`<stdin>`) or a requirements profile built into the tool
    /// (`<profile NAME>`).
    NoFile(String),
}

/// Resolves a display path (see [`Location::file`]) against `cwd`, the
/// working directory. Lexical only: symbolic links are not followed, so a
/// path that reaches the working directory through a link counts as
/// outside.
pub fn artifact(file: &str, cwd: Option<&Path>) -> Artifact {
    // The loader names standard input `<stdin>` (`load::read_input`), and
    // bundled profiles are `<profile NAME>` (`requirements::profile`).
    if file.starts_with('<') && file.ends_with('>') {
        return Artifact::NoFile(file.to_string());
    }
    let path = Path::new(file);
    let Some(cwd) = cwd else {
        let normal = normalise(path);
        return match normal.components().next() {
            Some(Component::Normal(_)) => Artifact::Relative(slashed(&normal)),
            _ => Artifact::Outside(normal),
        };
    };
    let absolute = normalise(&cwd.join(path));
    match absolute.strip_prefix(normalise(cwd)) {
        Ok(rel) if rel.as_os_str().is_empty() => Artifact::Relative(".".to_string()),
        Ok(rel) => Artifact::Relative(slashed(rel)),
        Err(_) => Artifact::Outside(absolute),
    }
}

impl Artifact {
    /// The path a person or a CI annotation reads: relative inside the
    /// working directory, absolute outside, `<stdin>` for standard input.
    pub fn display(&self) -> String {
        match self {
            Artifact::Relative(p) => p.clone(),
            Artifact::Outside(p) => p.to_string_lossy().into_owned(),
            Artifact::NoFile(name) => name.clone(),
        }
    }
}

/// Drops `.` and resolves `..` against the preceding component; a leading
/// `..` of a relative path stays.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn slashed(path: &Path) -> String {
    let parts: Vec<_> = path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect();
    parts.join("/")
}

/// Puts findings in report order: file path, line, column, rule, message,
/// then the rest of the primary span so that the order never depends on
/// the order rules ran in. A finding reported twice over, label for label
/// (a YAML alias puts one node in several rules), is kept once.
pub fn sort(diags: &mut Vec<Diagnostic>, sources: &Sources) {
    diags.sort_by(|a, b| {
        let (la, lb) = (
            locate(sources, a.primary.span),
            locate(sources, b.primary.span),
        );
        (
            la.file,
            la.line,
            la.column,
            a.rule,
            &a.message,
            la.end_line,
            la.end_column,
        )
            .cmp(&(
                lb.file,
                lb.line,
                lb.column,
                b.rule,
                &b.message,
                lb.end_line,
                lb.end_column,
            ))
    });
    diags.dedup();
}

/// Renders sorted findings in `format`.
pub fn render(
    format: Format,
    diags: &[Diagnostic],
    sources: &Sources,
    summary: &Summary,
    opts: &RenderOptions,
) -> String {
    match format {
        Format::Human => human::render(diags, sources, summary, opts),
        Format::Short => short::render(diags, sources, summary, opts),
        Format::Json => json::render(diags, sources, summary, opts),
        Format::Sarif => sarif::render(diags, sources, summary, opts),
        Format::Github => github::render(diags, sources, summary, opts),
        Format::Junit => junit::render(diags, sources, summary, opts),
        Format::Gitlab => gitlab::render(diags, sources, summary, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn two_files() -> Sources {
        let mut sources = Sources::default();
        sources.add(SourceFile::new("b.yaml", "a: 1\nb: 2\n"));
        sources.add(SourceFile::new("a.yaml", "x: 1\ny: 2\n"));
        sources
    }

    #[test]
    fn sort_orders_by_path_then_position_then_rule() {
        let sources = two_files();
        let (b, a) = (crate::source::FileId(0), crate::source::FileId(1));
        let d = |rule, file, start| {
            Diagnostic::new(
                rule,
                Severity::Warning,
                Span::new(file, start, start + 1),
                "m",
            )
        };
        let mut diags = vec![
            d("z-rule", b, 0),
            d("b-rule", a, 5),
            d("a-rule", a, 5),
            d("c", a, 0),
        ];
        sort(&mut diags, &sources);
        let order: Vec<_> = diags
            .iter()
            .map(|d| (d.rule, d.primary.span.start))
            .collect();
        assert_eq!(
            order,
            [("c", 0), ("a-rule", 5), ("b-rule", 5), ("z-rule", 0)]
        );
    }

    #[test]
    fn locate_gives_one_based_start_and_end() {
        let sources = two_files();
        let loc = locate(&sources, Span::new(crate::source::FileId(0), 5, 9));
        assert_eq!(
            loc,
            Location {
                file: "b.yaml",
                line: 2,
                column: 1,
                end_line: 2,
                end_column: 5
            }
        );
    }

    #[test]
    fn summary_line_uses_singular_for_one() {
        let s = Summary {
            files: 1,
            objects: 2,
            errors: 1,
            warnings: 0,
            infos: 3,
        };
        assert_eq!(s.line(), "1 file, 2 objects: 1 error, 0 warnings, 3 infos");
    }

    #[test]
    fn artifact_is_relative_inside_the_working_directory() {
        let cwd = Some(Path::new("/repo"));
        let rel = |p: &str| Artifact::Relative(p.to_string());
        assert_eq!(artifact("deploy/np.yaml", cwd), rel("deploy/np.yaml"));
        assert_eq!(artifact("./deploy/../np.yaml", cwd), rel("np.yaml"));
        assert_eq!(artifact("/repo/deploy/np.yaml", cwd), rel("deploy/np.yaml"));
        assert_eq!(
            artifact("../other/np.yaml", cwd),
            Artifact::Outside(PathBuf::from("/other/np.yaml"))
        );
        assert_eq!(
            artifact("/repository/np.yaml", cwd),
            Artifact::Outside("/repository/np.yaml".into())
        );
        assert_eq!(artifact("<stdin>", cwd), Artifact::NoFile("<stdin>".into()));
        assert_eq!(
            artifact("<profile redis-enterprise>", cwd),
            Artifact::NoFile("<profile redis-enterprise>".into())
        );
        assert_eq!(artifact("deploy/np.yaml", None), rel("deploy/np.yaml"));
        assert_eq!(
            artifact("../np.yaml", None),
            Artifact::Outside("../np.yaml".into())
        );
    }
}
