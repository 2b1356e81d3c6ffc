//! Regenerates the rule catalog: `rules/*.md`, `rules/README.md` and the
//! rule table of `README.md`, from the documentation of every rule.
//!
//! ```sh
//! cargo run --example gen_rules_catalog
//! ```

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    match netpol_lint::rules::catalog::write(root) {
        Ok(()) => {
            println!(
                "wrote {} files under {}/",
                netpol_lint::rules::catalog::files().len(),
                netpol_lint::rules::catalog::DIR
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: cannot write the rule catalog: {e}");
            ExitCode::FAILURE
        }
    }
}
