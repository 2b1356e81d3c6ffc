//! Bundled requirements profiles: documented traffic of well-known software.
//!
//! A profile is a requirements file with `${name}` placeholders, embedded in
//! the binary. Every value is substituted as a JSON string, which is also a
//! YAML double-quoted scalar, so no parameter can change the structure of
//! the file (a newline or a `#` in a namespace stays inside its string). The
//! rendered text is parsed like any requirements file, so a bad parameter
//! (a CIDR that does not parse) is a located finding in the rendered file.

use super::Requirement;
use crate::report::Diagnostic;
use crate::source::Sources;

/// Names of the bundled profiles.
pub const PROFILES: &[&str] = &["redis-enterprise"];

const REDIS_ENTERPRISE: &str = include_str!("../../profiles/redis-enterprise.yaml");

/// Parameters of the bundled profiles; each has a documented default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileParams {
    /// Namespace of the operator and the cluster.
    pub namespace: String,
    /// Name of the RedisEnterpriseCluster (the `redis.io/cluster` label).
    pub cluster: String,
    /// Label that marks client namespaces, as (key, value).
    pub client_label: (String, String),
    /// Namespace of Prometheus.
    pub prometheus_namespace: String,
    /// Label of the Prometheus pods, as (key, value).
    pub prometheus_label: (String, String),
    /// Where the Kubernetes API server's endpoints are.
    pub api_server_cidr: String,
    /// The API server's endpoint port (443 on managed services, 6443 on
    /// kubeadm-style clusters).
    pub api_server_port: u16,
    /// Database endpoint ports, as requirement ports (`12000/TCP`).
    pub database_ports: Vec<String>,
}

impl Default for ProfileParams {
    fn default() -> Self {
        ProfileParams {
            namespace: "redis-enterprise".into(),
            cluster: "rec".into(),
            client_label: ("redis-client".into(), "true".into()),
            prometheus_namespace: "monitoring".into(),
            prometheus_label: ("app.kubernetes.io/name".into(), "prometheus".into()),
            api_server_cidr: "0.0.0.0/0".into(),
            api_server_port: 443,
            // Redis Software assigns database endpoints ports from 10000 to
            // 19999; 10050 is taken by its Zabbix agent.
            database_ports: vec!["10000-10049/TCP".into(), "10051-19999/TCP".into()],
        }
    }
}

/// The YAML text of a bundled profile, or `None` for an unknown name.
pub fn profile(name: &str, params: &ProfileParams) -> Option<String> {
    let template = match name {
        "redis-enterprise" => REDIS_ENTERPRISE,
        _ => return None,
    };
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let ports: Vec<String> = params.database_ports.iter().map(|p| q(p)).collect();
    let values = [
        ("namespace", q(&params.namespace)),
        ("cluster", q(&params.cluster)),
        ("client_key", q(&params.client_label.0)),
        ("client_value", q(&params.client_label.1)),
        ("prometheus_namespace", q(&params.prometheus_namespace)),
        ("prometheus_key", q(&params.prometheus_label.0)),
        ("prometheus_value", q(&params.prometheus_label.1)),
        ("api_server_cidr", q(&params.api_server_cidr)),
        (
            "api_server_port",
            q(&format!("{}/TCP", params.api_server_port)),
        ),
        ("database_ports", format!("[{}]", ports.join(", "))),
    ];
    let mut text = template.to_string();
    for (key, value) in values {
        text = text.replace(&format!("${{{key}}}"), &value);
    }
    Some(text)
}

/// Renders a profile and parses it; the rendered text is added to `sources`
/// as `<profile NAME>` so findings can point into it.
pub fn load_profile(
    name: &str,
    params: &ProfileParams,
    sources: &mut Sources,
) -> Option<(Vec<Requirement>, Vec<Diagnostic>)> {
    let text = profile(name, params)?;
    Some(super::load_requirements_text(
        &format!("<profile {name}>"),
        &text,
        sources,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled() {
        for name in PROFILES {
            let text = profile(name, &ProfileParams::default()).unwrap();
            assert!(!text.contains("${"), "{name}: unfilled placeholder");
        }
    }

    #[test]
    fn values_cannot_break_the_yaml() {
        let params = ProfileParams {
            namespace: "a\"\n# b: c".into(),
            ..Default::default()
        };
        let text = profile("redis-enterprise", &params).unwrap();
        assert!(text.contains(r#""a\"\n# b: c""#));
    }
}
