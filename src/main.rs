//! The `netpol-lint` binary: parses arguments and hands over to the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    netpol_lint::cli::main()
}
