//! The cluster model: namespaces, pods (from workloads) and policies, in a
//! form the engine and the rules can evaluate without looking at YAML.

pub mod ip;
pub mod ports;
