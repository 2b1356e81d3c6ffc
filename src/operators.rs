//! Pods that operators create from custom resources.
//!
//! A custom resource such as a `RedisEnterpriseCluster` defines no pods
//! itself; its operator creates them. An operator table (one YAML file per
//! resource kind, see `operators/`) says which workloads a resource implies,
//! with their pod labels and container ports, so that selectors and the
//! engine see the real pods. Tables are data: users add their own with
//! `--operators FILE`, and the bundled ones are compiled in.

use serde::Deserialize;

use crate::model::{ContainerPort, Labels, Protocol};
use crate::source::FileId;
use crate::source::de::from_node;
use crate::source::yaml::parse_stream;

/// Bundled tables: (file name, text).
pub const BUILTIN: &[(&str, &str)] = &[(
    "redis-enterprise-cluster.yaml",
    include_str!("../operators/redis-enterprise-cluster.yaml"),
)];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OperatorTable {
    pub api_version: String,
    pub kind: String,
    #[serde(rename = "match")]
    pub matches: Match,
    pub workloads: Vec<ImpliedWorkload>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Match {
    /// The API group of the resource (`app.redislabs.com`), any version.
    pub api_group: String,
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpliedWorkload {
    /// How the workload is shown (`StatefulSet`, `Deployment`).
    pub kind: String,
    /// Name template; `{name}` is the resource's name.
    pub name: String,
    #[serde(default)]
    pub labels: Labels,
    #[serde(default)]
    pub ports: Vec<PortEntry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PortEntry {
    pub name: Option<String>,
    pub port: u16,
    #[serde(default = "tcp")]
    pub protocol: String,
}

fn tcp() -> String {
    "TCP".into()
}

/// A workload a resource implies, with templates filled in.
#[derive(Debug, Clone)]
pub struct Expanded {
    pub kind: String,
    pub name: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
}

impl OperatorTable {
    /// Parses a table; errors are plain messages with the line when known.
    pub fn parse(text: &str) -> Result<OperatorTable, String> {
        let docs = parse_stream(FileId(0), text);
        if let Some(issue) = docs.iter().flat_map(|d| &d.issues).next() {
            return Err(issue.message.clone());
        }
        let Some(root) = docs.into_iter().find_map(|d| d.root) else {
            return Err("empty operator table".into());
        };
        let table: OperatorTable = from_node(&root).map_err(|e| e.message)?;
        if table.api_version != "netpol-lint/v1" || table.kind != "OperatorPods" {
            return Err("expected `apiVersion: netpol-lint/v1` and `kind: OperatorPods`".into());
        }
        for w in &table.workloads {
            for p in &w.ports {
                if Protocol::parse(&p.protocol).is_none() || p.port == 0 {
                    return Err(format!("invalid port {}/{}", p.port, p.protocol));
                }
            }
        }
        Ok(table)
    }

    /// Does this table describe the object?
    pub fn matches(&self, api_version: &str, kind: &str) -> bool {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        kind == self.matches.kind && group == self.matches.api_group
    }

    /// The workloads for one resource.
    pub fn expand(&self, name: &str, namespace: &str) -> Vec<Expanded> {
        let fill = |s: &str| s.replace("{name}", name).replace("{namespace}", namespace);
        self.workloads
            .iter()
            .map(|w| {
                let mut ports: Vec<ContainerPort> = w
                    .ports
                    .iter()
                    .filter_map(|p| {
                        Some(ContainerPort {
                            name: p.name.clone(),
                            port: p.port,
                            protocol: Protocol::parse(&p.protocol)?,
                        })
                    })
                    .collect();
                ports.sort();
                Expanded {
                    kind: w.kind.clone(),
                    name: fill(&w.name),
                    labels: w.labels.iter().map(|(k, v)| (k.clone(), fill(v))).collect(),
                    ports,
                }
            })
            .collect()
    }
}

/// The bundled tables.
pub fn builtin() -> Vec<OperatorTable> {
    BUILTIN
        .iter()
        .map(|(file, text)| match OperatorTable::parse(text) {
            Ok(t) => t,
            Err(e) => unreachable!("bundled operator table {file} is checked by tests: {e}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_tables_parse() {
        let tables = builtin();
        assert!(tables[0].matches("app.redislabs.com/v1", "RedisEnterpriseCluster"));
        assert!(!tables[0].matches("other.io/v1", "RedisEnterpriseCluster"));
        let w = tables[0].expand("rec", "redis-enterprise");
        assert_eq!(w[0].name, "rec");
        assert_eq!(
            w[0].labels.get("redis.io/cluster").map(String::as_str),
            Some("rec")
        );
    }

    #[test]
    fn bad_tables_are_rejected() {
        assert!(OperatorTable::parse("apiVersion: x\nkind: y\n").is_err());
        let typo = "apiVersion: netpol-lint/v1\nkind: OperatorPods\nmatch: {apiGroup: a, kind: B}\nworkloads: []\nextra: 1\n";
        assert!(OperatorTable::parse(typo).is_err());
    }
}
