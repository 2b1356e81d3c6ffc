//! Reports.

pub mod diagnostic;
pub use diagnostic::{Diagnostic, Label, Severity};
