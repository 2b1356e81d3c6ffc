//! The command line: argument definitions and the commands they run.
//!
//! Findings go to stdout, logs to stderr. Exit codes: 0 clean, 1 findings
//! (or a denied `query`), 2 the tool could not run.

pub mod check;
pub mod completions;
pub mod config_cmd;
pub mod query;
pub mod reach;
pub mod requirements;
pub mod rules;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::load::Input;

/// Exit code: nothing at or above the threshold.
pub const EXIT_OK: u8 = 0;
/// Exit code: findings (or a denied flow for `query`).
pub const EXIT_FINDINGS: u8 = 1;
/// Exit code: the tool could not run.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "netpol-lint",
    version,
    about = "Lint and analyze Kubernetes NetworkPolicies",
    after_help = "Exit codes: 0 clean, 1 findings at or above --fail-on (query: denied), \
                  2 the tool could not run."
)]
pub struct Cli {
    /// More log output on stderr (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The end of `check --help`.
const CHECK_EXIT_CODES: &str = "Exit codes: 0 no finding at or above --fail-on, 1 findings at or \
    above --fail-on, 2 the tool could not run (bad arguments, a missing path, nothing to read, an \
    unreadable config). A closed pipe (`| head`) is not an error.";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lint manifests: report mistakes in NetworkPolicies, each at its line.
    #[command(after_help = CHECK_EXIT_CODES)]
    Check(check::CheckArgs),
    /// Print the connectivity map of every workload.
    Reach(reach::ReachArgs),
    /// Explain one flow: allowed or denied, and by which policies and rules.
    Query(query::QueryArgs),
    /// Requirements files: print their schema or a bundled profile.
    Requirements(requirements::RequirementsArgs),
    /// List the checks, or print the documentation of one.
    Rules(rules::RulesArgs),
    /// The configuration file: print its JSON Schema.
    Config(config_cmd::ConfigArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) of netpol-lint or of one command.
    Man(completions::ManArgs),
}

/// Paths from the command line: `-` is stdin, none is the current directory.
pub fn inputs(paths: &[PathBuf]) -> Vec<Input> {
    if paths.is_empty() {
        return vec![Input::Path(PathBuf::from("."))];
    }
    paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::Path(p.clone())
            }
        })
        .collect()
}

/// Writes to stdout; a closed pipe (`| head`) ends quietly.
pub fn emit(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::Check(args) => check::run(&cli, args),
        Command::Reach(args) => reach::run(&cli, args),
        Command::Query(args) => query::run(&cli, args),
        Command::Requirements(args) => requirements::run(&cli, args),
        Command::Rules(args) => rules::run(&cli, args),
        Command::Config(args) => config_cmd::run(&cli, args),
        Command::Completions(args) => completions::run_completions(args),
        Command::Man(args) => completions::run_man(args),
    };
    ExitCode::from(code)
}
