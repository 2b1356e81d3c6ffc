//! The rule catalog as Markdown, generated from each rule's [`RuleMeta`]:
//! one page per rule (`rules/NAME.md`), an index (`rules/README.md`) and
//! the rule table of the top-level README. `netpol-lint rules NAME` prints
//! the same page. The files are committed; a test fails when they differ
//! from what this module generates, and
//! `cargo run --example gen_rules_catalog` rewrites them.

use std::io;
use std::path::Path;

use super::{RuleMeta, registry};

/// Directory of the catalog, relative to the repository root.
pub const DIR: &str = "rules";
/// The command that regenerates the catalog.
pub const REGENERATE: &str = "cargo run --example gen_rules_catalog";

const README_START: &str = "<!-- RULE TABLE";
const README_END: &str = "<!-- END RULE TABLE -->";

/// The page of one rule.
pub fn page(meta: &RuleMeta) -> String {
    format!(
        "# {}\n\nDefault severity: **{}**\n\nSummary: {}\n\n{}\n",
        meta.name,
        meta.default_severity.as_str(),
        meta.summary,
        meta.doc.trim_end()
    )
}

/// The rows of the rule table, `link` making each name a link to its page.
fn table(link: bool) -> String {
    let mut out = String::from("| rule | default | fires when |\n|---|---|---|\n");
    for rule in registry() {
        let m = rule.meta();
        let name = if link {
            format!("[`{0}`]({0}.md)", m.name)
        } else {
            format!("`{}`", m.name)
        };
        out.push_str(&format!(
            "| {name} | {} | {} |\n",
            m.default_severity.as_str(),
            m.summary.replace('|', "\\|")
        ));
    }
    out
}

/// The index page.
pub fn index() -> String {
    format!(
        "# Rules\n\nEvery check netpol-lint runs, in catalog order. `netpol-lint rules` \
         lists them and\n`netpol-lint rules NAME` prints a page. These pages are generated \
         from the\ndocumentation in `src/rules/`: edit it there and run `{REGENERATE}`.\n\n{}",
        table(true)
    )
}

/// Every catalog file: `(path relative to the repository root, text)`.
pub fn files() -> Vec<(String, String)> {
    let mut out = vec![(format!("{DIR}/README.md"), index())];
    for rule in registry() {
        let meta = rule.meta();
        out.push((format!("{DIR}/{}.md", meta.name), page(meta)));
    }
    out
}

/// The README with its rule table (between the `RULE TABLE` markers)
/// replaced by the current one; `None` when the markers are missing.
pub fn readme_with_table(readme: &str) -> Option<String> {
    let start = readme.find(README_START)?;
    let body = start + readme[start..].find('\n')? + 1;
    let end = body + readme[body..].find(README_END)?;
    Some(format!(
        "{}\n{}\n{}",
        &readme[..body],
        table(false),
        &readme[end..]
    ))
}

/// Writes the catalog under `root` (the repository root): every page, the
/// index, the README table; removes pages of rules that no longer exist.
pub fn write(root: &Path) -> io::Result<()> {
    let dir = root.join(DIR);
    std::fs::create_dir_all(&dir)?;
    let files = files();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        let rel = format!(
            "{DIR}/{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        );
        let generated = files.iter().any(|(p, _)| *p == rel);
        if path.extension().is_some_and(|e| e == "md") && !generated {
            std::fs::remove_file(&path)?;
        }
    }
    for (rel, text) in &files {
        std::fs::write(root.join(rel), text)?;
    }
    let readme_path = root.join("README.md");
    let readme = std::fs::read_to_string(&readme_path)?;
    let updated = readme_with_table(&readme).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "README.md has no `<!-- RULE TABLE` ... `<!-- END RULE TABLE -->` markers",
        )
    })?;
    std::fs::write(readme_path, updated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_table_is_replaced_between_the_markers() {
        let readme =
            "intro\n<!-- RULE TABLE: generated -->\n\n| old |\n\n<!-- END RULE TABLE -->\nrest\n";
        let new = readme_with_table(readme).expect("markers");
        assert!(new.starts_with("intro\n<!-- RULE TABLE: generated -->\n\n| rule |"));
        assert!(
            new.ends_with("|\n\n<!-- END RULE TABLE -->\nrest\n"),
            "{new}"
        );
        assert!(!new.contains("| old |"));
        assert_eq!(readme_with_table(&new).as_deref(), Some(new.as_str()));
        assert_eq!(readme_with_table("no markers"), None);
    }

    #[test]
    fn pages_start_with_the_name_and_keep_the_doc() {
        for rule in registry() {
            let meta = rule.meta();
            let page = page(meta);
            assert!(page.starts_with(&format!("# {}\n", meta.name)));
            assert!(page.contains(meta.doc.trim_end()));
            assert!(page.ends_with('\n') && !page.ends_with("\n\n"));
        }
    }
}
