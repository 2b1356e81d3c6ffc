//! `netpol-lint config`: the schema of `.netpol-lint.yaml`, for editors.

use clap::{Args, Subcommand};

use super::{Cli, EXIT_ERROR, EXIT_OK, emit};

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub command: ConfigCommand,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema (draft 2020-12) of the configuration file.
    Schema,
}

pub fn run(_cli: &Cli, args: &ConfigArgs) -> u8 {
    let text = match args.command {
        ConfigCommand::Schema => match serde_json::to_string_pretty(&crate::config::schema()) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        },
    };
    match emit(&text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_ERROR
        }
    }
}
