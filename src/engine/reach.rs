//! The whole connectivity map, at workload level, and its renderings. The
//! computation is in [`super::bulk`].
//!
//! External addresses are shown as ranges: the address space of each family
//! is cut at every `cidr` and `except` of the policies' ipBlocks (sources by
//! ingress blocks, destinations by egress blocks), and each piece gets its
//! own line, as netpol-analyzer does. IPv6 pieces appear only when some
//! policy mentions an IPv6 block.

use petgraph::graph::DiGraph;
use serde::Serialize;

use super::Engine;
use crate::model::PortSet;
use crate::model::ip::{Family, format_range};

/// A vertex of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Workload(usize),
    External { family: Family, lo: u128, hi: u128 },
}

/// The map: a petgraph graph whose edges carry connection sets.
pub struct Connectivity {
    pub graph: DiGraph<Endpoint, PortSet>,
}

/// One line of output, with names resolved.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Line {
    pub src: String,
    pub dst: String,
    pub conn: String,
    /// The same connections, structured (see [`PortSet`]'s JSON form).
    pub ports: PortSet,
}

impl Connectivity {
    /// Name of an endpoint in netpol-analyzer's spelling.
    pub fn name(&self, engine: &Engine<'_>, e: Endpoint) -> String {
        match e {
            Endpoint::Workload(w) => engine.cluster.workloads[w].display_name(),
            Endpoint::External { family, lo, hi } => {
                format!("{}[External]", format_range(family, lo, hi))
            }
        }
    }

    /// Every edge as a line, sorted byte-wise by source, then destination.
    pub fn lines(&self, engine: &Engine<'_>) -> Vec<Line> {
        let mut lines: Vec<Line> = self
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (s, d) = self.graph.edge_endpoints(e)?;
                let ports = self.graph[e].clone();
                Some(Line {
                    src: self.name(engine, self.graph[s]),
                    dst: self.name(engine, self.graph[d]),
                    conn: ports.to_conn_string(),
                    ports,
                })
            })
            .collect();
        lines.sort_by(|a, b| (&a.src, &a.dst).cmp(&(&b.src, &b.dst)));
        // Two workloads can share a display name (a bare pod and a controller
        // of the same name); keep one line per pair, their connections merged.
        lines.dedup_by(|b, a| {
            if a.src == b.src && a.dst == b.dst {
                a.ports.union_with(&b.ports);
                a.conn = a.ports.to_conn_string();
                true
            } else {
                false
            }
        });
        lines
    }
}
