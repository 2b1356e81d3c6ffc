//! `netpol-lint completions SHELL` and `netpol-lint man`: shell completion
//! scripts and a roff man page, both generated from the clap definitions
//! so that they never drift from the real flags.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, EXIT_ERROR, EXIT_OK, emit};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    netpol-lint completions bash > ~/.local/share/bash-completion/completions/netpol-lint\n  \
    netpol-lint completions zsh > ~/.zfunc/_netpol-lint\n  \
    netpol-lint completions fish > ~/.config/fish/completions/netpol-lint.fish")]
pub struct CompletionsArgs {
    /// The shell to write the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  netpol-lint man > netpol-lint.1 && man ./netpol-lint.1")]
pub struct ManArgs {
    /// Print the page of this subcommand (`netpol-lint-check(1)`) instead of
    /// the main page.
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// The name the binary is installed under; completions are keyed on it.
const BIN: &str = "netpol-lint";

pub fn run_completions(args: &CompletionsArgs) -> u8 {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN, &mut script);
    write(&String::from_utf8_lossy(&script))
}

pub fn run_man(args: &ManArgs) -> u8 {
    let mut cmd = Cli::command();
    // Propagates global flags (`-v`, `-q`) and version into subcommands.
    cmd.build();
    let page = match &args.command {
        None => cmd,
        Some(name) => match cmd.find_subcommand(name) {
            // `build` named it `netpol-lint-check`, the page's title.
            Some(sub) => sub.clone().version(env!("CARGO_PKG_VERSION")),
            None => {
                let known: Vec<_> = cmd.get_subcommands().map(|c| c.get_name()).collect();
                eprintln!("error: no command `{name}`; commands: {}", known.join(", "));
                return EXIT_ERROR;
            }
        },
    };
    let mut roff = Vec::new();
    if let Err(e) = clap_mangen::Man::new(page).render(&mut roff) {
        eprintln!("error: cannot render the man page: {e}");
        return EXIT_ERROR;
    }
    write(&String::from_utf8_lossy(&roff))
}

fn write(text: &str) -> u8 {
    match emit(text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            EXIT_ERROR
        }
    }
}
