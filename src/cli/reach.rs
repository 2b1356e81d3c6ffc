//! `netpol-lint reach`: the whole connectivity map, in five formats.
//!
//! `txt` is line-compatible with netpol-analyzer's `list` output so its users
//! can diff the two; the other formats carry the same lines (and the same
//! order) in shapes other tools read. Rendering never decides what is
//! connected: that is the engine's job.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Cli, EXIT_ERROR, EXIT_OK, emit, inputs};
use crate::engine::Engine;
use crate::engine::reach::{Endpoint, Line};
use crate::load::{Loaded, load};
use crate::report::{RenderOptions, Summary, short};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReachFormat {
    /// netpol-analyzer `list` lines: `src => dst : conn`.
    Txt,
    /// An array of `{"src", "dst", "conn", "ports"}`, ports structured.
    Json,
    /// `src,dst,conn` with a header row.
    Csv,
    /// A Markdown table.
    Md,
    /// A Graphviz digraph: one node per endpoint, one labelled edge per line.
    Dot,
}

#[derive(Debug, Args)]
pub struct ReachArgs {
    /// Files or directories to read (`-` for stdin; default: current directory).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, short = 'o', value_enum, default_value_t = ReachFormat::Txt)]
    pub format: ReachFormat,
    /// Refuse inputs whose map may hold more pairs than this (0: no limit).
    /// A pair costs about 1 KB of memory; namespaces without policies
    /// connect every pod to every pod.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_PAIRS)]
    pub max_pairs: u64,
}

/// About 1 GB of memory at the measured cost of a pair.
pub const DEFAULT_MAX_PAIRS: u64 = 1_000_000;

/// Prints the loader's findings on stderr (they explain missing objects).
pub(crate) fn report_load_problems(cli: &Cli, loaded: &Loaded) {
    if cli.quiet || loaded.diagnostics.is_empty() {
        return;
    }
    let summary = Summary::new(
        loaded.stats.files,
        loaded.stats.objects,
        &loaded.diagnostics,
    );
    let mut diags = loaded.diagnostics.clone();
    crate::report::sort(&mut diags, &loaded.sources);
    let text = short::render(&diags, &loaded.sources, &summary, &RenderOptions::default());
    eprint!("{text}");
}

pub fn run(cli: &Cli, args: &ReachArgs) -> u8 {
    let loaded = load(&inputs(&args.paths));
    report_load_problems(cli, &loaded);
    if loaded.stats.files == 0 {
        eprintln!("error: no input files found");
        return EXIT_ERROR;
    }
    let engine = Engine::new(&loaded.cluster);
    let limit = (args.max_pairs != 0).then_some(args.max_pairs);
    let conn = match engine.connectivity_within(limit) {
        Ok(conn) => conn,
        Err(bound) => {
            eprintln!(
                "error: the connectivity map of this input may hold up to {bound} pairs, \
                 more than the limit of {limit} (about 1 KB of memory each)\n\
                 help: pods in namespaces without policies reach every pod; ask about \
                 one flow with `netpol-lint query`, give fewer namespaces, or raise the \
                 limit with `--max-pairs {bound}` (0 for none)",
                limit = args.max_pairs
            );
            return EXIT_ERROR;
        }
    };
    let lines = conn.lines(&engine);
    // Every workload is a node of the graph even when nothing reaches it;
    // address ranges only when some line names them.
    let nodes: Vec<String> = conn
        .graph
        .node_weights()
        .filter(|e| matches!(e, Endpoint::Workload(_)))
        .map(|&e| conn.name(&engine, e))
        .collect();
    let text = render(&lines, &nodes, args.format);
    match emit(&text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_ERROR
        }
    }
}

/// Renders sorted lines. `nodes` are endpoints to show even without lines
/// (only the `dot` format draws them).
pub fn render(lines: &[Line], nodes: &[String], format: ReachFormat) -> String {
    match format {
        ReachFormat::Txt => render_txt(lines),
        ReachFormat::Json => render_json(lines),
        ReachFormat::Csv => render_csv(lines),
        ReachFormat::Md => render_md(lines),
        ReachFormat::Dot => render_dot(lines, nodes),
    }
}

/// `src => dst : conn`, one per line; no lines is an empty text.
pub fn render_txt(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| format!("{} => {} : {}\n", l.src, l.dst, l.conn))
        .collect()
}

/// Pretty-printed with a 2-space indent, as netpol-analyzer's `-o json`,
/// plus a final newline.
pub fn render_json(lines: &[Line]) -> String {
    match serde_json::to_string_pretty(lines) {
        Ok(mut s) => {
            s.push('\n');
            s
        }
        // Lines are strings and integers; serde_json cannot fail on them.
        Err(e) => unreachable!("serializing reach lines failed: {e}"),
    }
}

/// RFC 4180: a field with a comma, quote or line break is quoted, quotes
/// doubled. Connection strings usually hold commas (`TCP 80,UDP 53`).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

pub fn render_csv(lines: &[Line]) -> String {
    let mut out = String::from("src,dst,conn\n");
    for l in lines {
        let _ = writeln!(
            out,
            "{},{},{}",
            csv_field(&l.src),
            csv_field(&l.dst),
            csv_field(&l.conn)
        );
    }
    out
}

/// A pipe would end the cell; names and port lists never hold one, but
/// escaping keeps the table intact whatever a name holds.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn render_md(lines: &[Line]) -> String {
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for l in lines {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            md_cell(&l.src),
            md_cell(&l.dst),
            md_cell(&l.conn)
        );
    }
    out
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Nodes sorted by name, edges in line order, so equal input gives equal
/// text. Address ranges are drawn differently from workloads.
pub fn render_dot(lines: &[Line], nodes: &[String]) -> String {
    let mut all: BTreeSet<&str> = nodes.iter().map(String::as_str).collect();
    for l in lines {
        all.insert(&l.src);
        all.insert(&l.dst);
    }
    let mut out = String::from("digraph reach {\n");
    out.push_str("  rankdir=LR;\n  node [shape=box, fontsize=10];\n  edge [fontsize=9];\n");
    for name in all {
        let style = if name.ends_with("[External]") {
            " [shape=ellipse, style=dashed]"
        } else {
            ""
        };
        let _ = writeln!(out, "  {}{style};", dot_id(name));
    }
    for l in lines {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            dot_id(&l.src),
            dot_id(&l.dst),
            dot_id(&l.conn)
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{PortSet, Protocol};

    fn line(src: &str, dst: &str, ports: PortSet) -> Line {
        Line {
            src: src.into(),
            dst: dst.into(),
            conn: ports.to_conn_string(),
            ports,
        }
    }

    fn sample() -> Vec<Line> {
        let mut tcp_udp = PortSet::single(Protocol::Tcp, 80);
        tcp_udp.union_with(&PortSet::single(Protocol::Udp, 53));
        vec![
            line(
                "0.0.0.0-255.255.255.255[External]",
                "a/web[Deployment]",
                PortSet::all(),
            ),
            line("a/web[Deployment]", "b/db[StatefulSet]", tcp_udp),
        ]
    }

    #[test]
    fn csv_quotes_fields_with_commas() {
        let text = render_csv(&sample());
        assert_eq!(
            text,
            "src,dst,conn\n\
             0.0.0.0-255.255.255.255[External],a/web[Deployment],All Connections\n\
             a/web[Deployment],b/db[StatefulSet],\"TCP 80,UDP 53\"\n"
        );
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn md_is_a_table() {
        let text = render_md(&sample());
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows[0], "| src | dst | conn |");
        assert_eq!(
            rows[2],
            "| 0.0.0.0-255.255.255.255[External] | a/web[Deployment] | All Connections |"
        );
        assert_eq!(rows.len(), 4);
        assert_eq!(md_cell("a|b"), "a\\|b");
    }

    #[test]
    fn dot_lists_lonely_workloads_and_labels_edges() {
        let nodes = vec!["c/idle[Pod]".to_string(), "a/web[Deployment]".to_string()];
        let text = render_dot(&sample(), &nodes);
        assert!(text.starts_with("digraph reach {\n"));
        assert!(text.contains("  \"c/idle[Pod]\";\n"));
        assert!(
            text.contains(
                "  \"0.0.0.0-255.255.255.255[External]\" [shape=ellipse, style=dashed];\n"
            )
        );
        assert!(text.contains(
            "  \"a/web[Deployment]\" -> \"b/db[StatefulSet]\" [label=\"TCP 80,UDP 53\"];\n"
        ));
        // Nodes come sorted, each once.
        let a = text.find("\"0.0.0.0").unwrap_or(usize::MAX);
        let c = text.find("\"c/idle").unwrap_or(0);
        assert!(a < c);
        assert_eq!(text.matches("  \"a/web[Deployment]\";").count(), 1);
    }

    #[test]
    fn json_has_structured_ports() {
        let text = render_json(&sample());
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[1]["conn"], "TCP 80,UDP 53");
        assert_eq!(v[1]["ports"][0]["protocol"], "TCP");
        assert_eq!(v[1]["ports"][0]["ranges"][0]["from"], 80);
        assert!(text.starts_with("[\n  {\n    \"src\": "));
        assert_eq!(render_json(&[]), "[]\n");
    }
}
