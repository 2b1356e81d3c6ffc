//! netpol-lint: a static linter and reachability analyzer for Kubernetes
//! NetworkPolicy.
//!
//! The modules follow the pipeline: [`source`] reads files into span trees,
//! [`load`] turns documents into typed Kubernetes objects, [`model`] builds
//! the cluster (namespaces, pods, policies), [`engine`] computes who may talk
//! to whom, [`rules`] turn all of it into [`report::Diagnostic`]s, and
//! [`report`] renders them. [`config`] reads `.netpol-lint.yaml`, and
//! [`suppress`] applies it and the users' suppressions to the findings.

pub mod cli;
pub mod config;
pub mod engine;
pub mod load;
pub mod model;
pub mod operators;
pub mod report;
pub mod requirements;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod synth;
