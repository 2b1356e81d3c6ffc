//! `netpol-lint requirements`: the schema of requirements files and the
//! bundled profiles to start one from.

use clap::builder::PossibleValuesParser;
use clap::{Args, Subcommand};

use super::{Cli, EXIT_ERROR, EXIT_OK, emit};
use crate::requirements::parse::parse_port;
use crate::requirements::{PROFILES, ProfileParams, profile, schema};

#[derive(Debug, Args)]
pub struct RequirementsArgs {
    #[command(subcommand)]
    pub command: RequirementsCommand,
}

#[derive(Debug, Subcommand)]
pub enum RequirementsCommand {
    /// Print the JSON Schema (draft 2020-12) of requirements files.
    Schema,
    /// Print a bundled requirements file for well-known software.
    Init(Box<InitArgs>),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The bundled profile to print.
    #[arg(long, value_parser = PossibleValuesParser::new(PROFILES))]
    pub profile: String,
    #[command(flatten)]
    pub params: ProfileArgs,
}

/// Parameters of the bundled profiles; unset ones take the profile's
/// defaults.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileArgs {
    /// Namespace of the operator and the cluster [default: redis-enterprise].
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// Name of the RedisEnterpriseCluster [default: rec].
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// Label of the client namespaces [default: redis-client=true].
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_label)]
    pub client_label: Option<(String, String)>,
    /// Namespace of Prometheus [default: monitoring].
    #[arg(long, value_name = "NS")]
    pub prometheus_namespace: Option<String>,
    /// Label of the Prometheus pods [default: app.kubernetes.io/name=prometheus].
    #[arg(long, value_name = "KEY=VALUE", value_parser = parse_label)]
    pub prometheus_label: Option<(String, String)>,
    /// Address range of the Kubernetes API server's endpoints [default: 0.0.0.0/0].
    #[arg(long, value_name = "CIDR")]
    pub api_server_cidr: Option<String>,
    /// Port of the API server's endpoints: 443 on managed services, 6443 on
    /// kubeadm, k3s and OpenShift [default: 443].
    #[arg(long, value_name = "PORT")]
    pub api_server_port: Option<u16>,
    /// Database endpoint ports, repeatable [default: 10000-10049/TCP and
    /// 10051-19999/TCP].
    #[arg(long = "database-port", value_name = "PORT", value_parser = parse_port_arg)]
    pub database_ports: Vec<String>,
}

impl ProfileArgs {
    /// The profile parameters, defaults filled in.
    pub fn params(&self) -> ProfileParams {
        let d = ProfileParams::default();
        ProfileParams {
            namespace: self.namespace.clone().unwrap_or(d.namespace),
            cluster: self.cluster.clone().unwrap_or(d.cluster),
            client_label: self.client_label.clone().unwrap_or(d.client_label),
            prometheus_namespace: self
                .prometheus_namespace
                .clone()
                .unwrap_or(d.prometheus_namespace),
            prometheus_label: self.prometheus_label.clone().unwrap_or(d.prometheus_label),
            api_server_cidr: self.api_server_cidr.clone().unwrap_or(d.api_server_cidr),
            api_server_port: self.api_server_port.unwrap_or(d.api_server_port),
            database_ports: if self.database_ports.is_empty() {
                d.database_ports
            } else {
                self.database_ports.clone()
            },
        }
    }
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, found `{s}`")),
    }
}

fn parse_port_arg(s: &str) -> Result<String, String> {
    parse_port(s).map(|_| s.to_string())
}

pub fn run(_cli: &Cli, args: &RequirementsArgs) -> u8 {
    let text = match &args.command {
        RequirementsCommand::Schema => match serde_json::to_string_pretty(&schema()) {
            Ok(s) => s + "\n",
            Err(e) => {
                eprintln!("error: {e}");
                return EXIT_ERROR;
            }
        },
        RequirementsCommand::Init(init) => match profile(&init.profile, &init.params.params()) {
            Some(text) => text,
            None => {
                eprintln!("error: unknown profile `{}`", init.profile);
                return EXIT_ERROR;
            }
        },
    };
    match emit(&text) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_ERROR
        }
    }
}
