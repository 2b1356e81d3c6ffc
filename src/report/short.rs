//! `--format short`: `path:line:col: severity[rule]: message`, one finding
//! per line, the shape compilers print and editors jump to.
//!
//! Positions are the 1-based start of the primary span. Secondary labels,
//! help and the summary are not part of this format.

use super::{Diagnostic, RenderOptions, Summary, locate};
use crate::source::Sources;

pub fn render(
    diags: &[Diagnostic],
    sources: &Sources,
    _summary: &Summary,
    _opts: &RenderOptions,
) -> String {
    let mut out = String::new();
    for d in diags {
        let at = locate(sources, d.primary.span);
        // A message is one line by convention; a stray newline (a YAML
        // parser message, say) must not break the one-finding-per-line shape.
        let message = d.message.replace('\n', " ");
        out.push_str(&format!(
            "{}:{}:{}: {}[{}]: {}\n",
            at.file,
            at.line,
            at.column,
            d.severity.as_str(),
            d.rule,
            message
        ));
    }
    out
}
