//! `netpol-lint check`: read manifests, analyse them, run every rule and
//! report the findings.
//!
//! The pipeline is [`Settings`] (configuration file and flags) → [`load`] →
//! [`Engine::new`] → requirements evaluated and the enabled rules run →
//! loader diagnostics appended → [`suppress::apply`] → [`report::sort`] → a
//! renderer. This file owns the flags, the exit code and what goes to
//! stderr; what a finding is belongs to the rules, how it looks to
//! [`report`].

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::{Args, ValueEnum};
use rayon::prelude::*;

use super::requirements::ProfileArgs;
use super::{Cli, EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, emit, inputs};
use crate::config::{self, Overrides, Settings};
use crate::engine::Engine;
use crate::load::{Input, Loaded, load_with};
use crate::report::{self, Diagnostic, Format, RenderOptions, Severity, Summary};
use crate::requirements::PROFILES;
use crate::rules::{self, Context};
use crate::source::Sources;
use crate::suppress;

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
    /// Exit 1 when a finding has at least this severity [default: `fail-on`
    /// of the configuration, else warning].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// When to colour the human format.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    #[command(flatten)]
    pub settings: Box<SettingsArgs>,
}

/// Rule selection, configuration and requirements: what `check` looks for.
/// Each flag overrides the configuration file.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Configuration")]
pub struct SettingsArgs {
    /// Read this configuration file instead of looking for
    /// `.netpol-lint.yaml` in the current directory and its parents.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Read no configuration file.
    #[arg(long)]
    pub no_config: bool,
    /// Run only these rules (repeatable, comma-separated; `all` for every
    /// rule). Replaces the selection of the configuration.
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Do not run these rules (repeatable, comma-separated).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Report a rule's findings at LEVEL: error, warning or info
    /// (repeatable, comma-separated).
    #[arg(long, value_name = "RULE=LEVEL", value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Check the traffic requirements in this file (repeatable; added to
    /// those of the configuration).
    #[arg(long, value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// Check a bundled requirements profile (repeatable).
    #[arg(long, value_name = "NAME", value_parser = PossibleValuesParser::new(PROFILES))]
    pub profile: Vec<String>,
    /// Operator table for a custom resource whose operator creates pods
    /// (repeatable).
    #[arg(long, value_name = "FILE")]
    pub operators: Vec<PathBuf>,
    #[command(flatten, next_help_heading = "Profile parameters")]
    pub profile_params: ProfileArgs,
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
    analyse_with(loaded, &Settings::default())
}

/// [`analyse`] under settings: requirements files and profiles are read
/// into the same sources and evaluated, only the enabled rules run, and
/// severities, skipped namespaces and suppressions apply.
pub fn analyse_with(loaded: Loaded, settings: &Settings) -> Checked {
    let Loaded {
        mut sources,
        cluster,
        diagnostics: loader_diags,
        stats,
    } = loaded;
    let (requirements, mut diagnostics) = settings.load_requirements(&mut sources);
    let engine = Engine::new(&cluster);
    diagnostics.extend(crate::requirements::evaluate(&engine, &requirements));
    let cx = Context {
        cluster: &cluster,
        engine: &engine,
        sources: &sources,
        dns: &settings.dns,
    };
    // Rules only read the model: run them on all cores and keep their
    // findings in catalog order.
    let enabled: Vec<_> = rules::registry()
        .into_iter()
        .filter(|r| settings.is_enabled(r.meta().name))
        .collect();
    let found: Vec<Vec<Diagnostic>> = enabled
        .par_iter()
        .map(|rule| {
            let mut out = Vec::new();
            rule.check(&cx, &mut out);
            out
        })
        .collect();
    diagnostics.extend(found.into_iter().flatten());
    diagnostics.extend(loader_diags);
    let mut diagnostics = suppress::apply(settings, &cluster, &sources, diagnostics);
    report::sort(&mut diagnostics, &sources);
    let summary = Summary::new(stats.files, stats.objects, &diagnostics);
    Checked {
        sources,
        diagnostics,
        summary,
    }
}

pub fn run(cli: &Cli, args: &CheckArgs) -> u8 {
    let Some(settings) = settings(cli, args) else {
        return EXIT_ERROR;
    };
    let inputs = inputs(&args.paths);
    if !missing_paths(&inputs).is_empty() {
        return EXIT_ERROR;
    }
    let loaded = load_with(&inputs, &settings.load_options());
    if cli.verbose > 0 && !cli.quiet {
        log_input(&loaded);
    }
    if loaded.stats.files == 0 {
        nothing_read(&loaded, &args.paths);
        return EXIT_ERROR;
    }
    let checked = analyse_with(loaded, &settings);
    if cli.verbose > 0 && !cli.quiet {
        eprintln!(
            "netpol-lint: {} rules run, {} findings",
            rules::registry()
                .iter()
                .filter(|r| settings.is_enabled(r.meta().name))
                .count(),
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
    // others keep stdout to what their consumer parses.
    if args.format.summary_on_stderr() && !cli.quiet {
        eprintln!("{}", checked.summary.line());
    }
    if settings.fail_on.fails(&checked.diagnostics) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// The configuration file (unless `--no-config`) merged with the flags.
/// `None` after printing why when either cannot be used.
fn settings(cli: &Cli, args: &CheckArgs) -> Option<Settings> {
    let flags = &args.settings;
    let path = if flags.no_config {
        None
    } else if let Some(path) = &flags.config {
        if !path.is_file() {
            eprintln!("error: {}: no such configuration file", path.display());
            return None;
        }
        Some(path.clone())
    } else {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| config::discover(&cwd))
    };
    let config = match path {
        None => None,
        Some(path) => {
            if cli.verbose > 0 && !cli.quiet {
                eprintln!("netpol-lint: configuration from {}", path.display());
            }
            let mut sources = Sources::default();
            match config::load_config(&path, &mut sources) {
                Ok(c) => Some(c),
                Err(diags) => {
                    config_errors(args, &diags, &sources);
                    return None;
                }
            }
        }
    };
    let overrides = Overrides {
        select: flags.select.clone(),
        ignore: flags.ignore.clone(),
        severity: flags.severity.clone(),
        fail_on: args.fail_on,
        requirements: flags.requirements.clone(),
        profiles: flags.profile.clone(),
        profile_params: flags.profile_params.clone(),
        operators: flags.operators.clone(),
    };
    match Settings::resolve(config, &overrides) {
        Ok(s) => Some(s),
        Err(errors) => {
            for e in errors {
                eprintln!("error: {e}");
            }
            None
        }
    }
}

/// Findings in the configuration file, on stderr: the short format when
/// asked for, the annotated one otherwise.
fn config_errors(args: &CheckArgs, diags: &[Diagnostic], sources: &Sources) {
    let mut diags = diags.to_vec();
    report::sort(&mut diags, sources);
    let summary = Summary::new(1, 0, &diags);
    let opts = RenderOptions {
        color: false,
        width: width(),
    };
    let format = if args.format == Format::Short {
        Format::Short
    } else {
        Format::Human
    };
    let text = report::render(format, &diags, sources, &summary, &opts);
    let text = text
        .strip_suffix(&format!("{}\n", summary.line()))
        .unwrap_or(&text);
    eprint!("{text}");
    eprintln!("error: the configuration cannot be used; nothing was checked");
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
        "netpol-lint: read {}, {}, {} ({} unreadable)",
        count(s.files, "file"),
        count(s.documents, "document"),
        count(s.objects, "object"),
        s.unreadable
    );
    let c = &loaded.cluster;
    let replaced = match c.replaced.len() {
        0 => String::new(),
        n => format!(" ({n} more replaced by a later definition)"),
    };
    eprintln!(
        "netpol-lint: {}, {}, {}{replaced}",
        count(c.namespaces.len(), "namespace"),
        count(c.workloads.len(), "workload"),
        count(c.policies.len(), "NetworkPolicy"),
    );
    for (kind, n) in &s.skipped_kinds {
        eprintln!("netpol-lint: skipped {n} x {kind} (not analysed)");
    }
}

/// `1 file`, `2 files`; `NetworkPolicy` takes `NetworkPolicies`.
fn count(n: usize, noun: &str) -> String {
    match (n, noun.strip_suffix('y')) {
        (1, _) => format!("{n} {noun}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {noun}s"),
    }
}

fn width() -> usize {
    std::env::var(WIDTH_ENV)
        .ok()
        .and_then(|w| w.trim().parse::<usize>().ok())
        .filter(|&w| w >= 40)
        .unwrap_or(DEFAULT_WIDTH)
}
