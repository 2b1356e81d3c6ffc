//! `netpol-lint check`: read manifests, analyse them, run every rule and
//! report the findings.
//!
//! The pipeline is [`load`] → [`Engine::new`] → [`rules::run_all`] → loader
//! diagnostics appended → [`report::sort`] → a renderer. This file owns the
//! flags, the exit code and what goes to stderr; what a finding is belongs
//! to the rules, how it looks to [`report`].

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Cli, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, emit, inputs};
use crate::engine::Engine;
use crate::load::{Input, Loaded, load};
use crate::report::{self, Diagnostic, Format, RenderOptions, Severity, Summary};
use crate::rules::{self, Context};
use crate::source::Sources;

/// Environment variable that fixes the width of the human format.
pub const WIDTH_ENV: &str = "NETPOL_LINT_WIDTH";
/// Width of the human format when [`WIDTH_ENV`] is not set.
pub const DEFAULT_WIDTH: usize = 100;

/// The lowest severity that makes `check` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Errors only.
    Error,
    /// Warnings and errors.
    Warning,
    /// Any finding.
    Info,
    /// Always exit 0 when the tool could run.
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }

    /// Does any finding reach the threshold?
    pub fn fails(self, diags: &[Diagnostic]) -> bool {
        self.threshold()
            .is_some_and(|t| diags.iter().any(|d| d.severity >= t))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Colour even when piped or with `NO_COLOR`.
    Always,
    Never,
}

impl ColorChoice {
    fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                // https://no-color.org: set and non-empty means no colour.
                let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
                !no_color && std::io::stdout().is_terminal()
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to read (`-` for stdin; default: current directory).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Warning)]
    pub fail_on: FailOn,
    /// When to colour the human format.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// What one check produced, ready to render.
#[derive(Debug)]
pub struct Checked {
    pub sources: Sources,
    /// Sorted in report order.
    pub diagnostics: Vec<Diagnostic>,
    pub summary: Summary,
}

/// Runs every rule over loaded input and puts all findings, the loader's
/// included, in report order. No printing, no exit code: tests and other
/// front ends call this.
pub fn analyse(loaded: Loaded) -> Checked {
    let Loaded {
        sources,
        cluster,
        diagnostics: loader_diags,
        stats,
    } = loaded;
    let engine = Engine::new(&cluster);
    let cx = Context {
        cluster: &cluster,
        engine: &engine,
        sources: &sources,
    };
    let mut diagnostics = rules::run_all(&cx);
    diagnostics.extend(loader_diags);
    report::sort(&mut diagnostics, &sources);
    let summary = Summary::new(stats.files, stats.objects, &diagnostics);
    Checked {
        sources,
        diagnostics,
        summary,
    }
}

pub fn run(cli: &Cli, args: &CheckArgs) -> u8 {
    let inputs = inputs(&args.paths);
    if !missing_paths(&inputs).is_empty() {
        return EXIT_ERROR;
    }
    let loaded = load(&inputs);
    if cli.verbose > 0 && !cli.quiet {
        log_input(&loaded);
    }
    if loaded.stats.files == 0 {
        nothing_read(&loaded, &args.paths);
        return EXIT_ERROR;
    }
    let checked = analyse(loaded);
    if cli.verbose > 0 && !cli.quiet {
        eprintln!(
            "netpol-lint: {} rules run, {} findings",
            rules::registry().len(),
            checked.diagnostics.len()
        );
    }
    let opts = RenderOptions {
        color: args.color.enabled(),
        width: width(),
    };
    let text = report::render(
        args.format,
        &checked.diagnostics,
        &checked.sources,
        &checked.summary,
        &opts,
    );
    if let Err(e) = emit(&text) {
        eprintln!("error: cannot write the report: {e}");
        return EXIT_ERROR;
    }
    // The human format ends with the summary and JSON carries it; the
    // one-line-per-finding format keeps stdout to findings only.
    if args.format == Format::Short && !cli.quiet {
        eprintln!("{}", checked.summary.line());
    }
    if args.fail_on.fails(&checked.diagnostics) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Reports named paths that do not exist; a typo in a path must not pass
/// as "no findings".
fn missing_paths(inputs: &[Input]) -> Vec<PathBuf> {
    let mut missing = Vec::new();
    for input in inputs {
        if let Input::Path(p) = input {
            // A path whose existence cannot be checked (permissions) is left
            // to the loader, which reports it as unreadable.
            if matches!(p.try_exists(), Ok(false)) {
                eprintln!("error: {}: no such file or directory", p.display());
                missing.push(p.clone());
            }
        }
    }
    missing
}

fn nothing_read(loaded: &Loaded, paths: &[PathBuf]) {
    for d in &loaded.diagnostics {
        let at = report::locate(&loaded.sources, d.primary.span);
        eprintln!("error: {}: {}", at.file, d.message);
    }
    if loaded.stats.unreadable > 0 {
        eprintln!("error: no input could be read");
    } else {
        let shown: Vec<String> = if paths.is_empty() {
            vec![".".to_string()]
        } else {
            paths.iter().map(|p| p.display().to_string()).collect()
        };
        eprintln!(
            "error: no .yaml, .yml or .json files found in {}",
            shown.join(", ")
        );
    }
}

/// `-v`: what was read and what was passed over.
fn log_input(loaded: &Loaded) {
    let s = &loaded.stats;
    eprintln!(
        "netpol-lint: read {} files, {} documents, {} objects ({} unreadable)",
        s.files, s.documents, s.objects, s.unreadable
    );
    let c = &loaded.cluster;
    eprintln!(
        "netpol-lint: {} namespaces, {} workloads, {} NetworkPolicies",
        c.namespaces.len(),
        c.workloads.len(),
        c.policies.len()
    );
    for (kind, n) in &s.skipped_kinds {
        eprintln!("netpol-lint: skipped {n} x {kind} (not analysed)");
    }
}

fn width() -> usize {
    std::env::var(WIDTH_ENV)
        .ok()
        .and_then(|w| w.trim().parse::<usize>().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(DEFAULT_WIDTH)
}
