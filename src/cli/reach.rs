//! `netpol-lint reach`: the whole connectivity map.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Cli, EXIT_ERROR, EXIT_OK, emit, inputs};
use crate::engine::Engine;
use crate::engine::reach::Line;
use crate::load::load;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachFormat {
    /// netpol-analyzer `list` lines: `src => dst : conn`.
    Txt,
    Json,
    Csv,
    Md,
    Dot,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Files or directories to read (`-` for stdin; default: current directory).
    pub paths: Vec<PathBuf>,
    #[arg(long, short = 'o', value_enum, default_value_t = ReachFormat::Txt)]
    pub format: ReachFormat,
}

pub fn run(cli: &Cli, args: &ReachArgs) -> u8 {
    let loaded = load(&inputs(&args.paths));
    if !cli.quiet {
        for d in &loaded.diagnostics {
            let file = loaded.sources.get(d.primary.span.file);
            let (start, _) = loaded.sources.range(d.primary.span);
            eprintln!("{}:{}:{}: {}[{}]: {}", file.path, start.line, start.column, d.severity.as_str(), d.rule, d.message);
        }
    }
    if loaded.stats.files == 0 {
        eprintln!("error: no input files found");
        return EXIT_ERROR;
    }
    let engine = Engine::new(&loaded.cluster);
    let conn = engine.connectivity();
    let lines = conn.lines(&engine);
    let text = render(&lines, args.format);
    match emit(&text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_ERROR
        }
    }
}

pub fn render(lines: &[Line], format: ReachFormat) -> String {
    match format {
        ReachFormat::Txt => lines.iter().map(|l| format!("{} => {} : {}\n", l.src, l.dst, l.conn)).collect(),
        _ => serde_json::to_string_pretty(lines).unwrap_or_default(),
    }
}
