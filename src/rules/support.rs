//! Small helpers several checks share: which namespaces the input knows the
//! pods of, how to describe those pods in a help text, how to quote a
//! selector as the user wrote it, how to say which ports a rule opens.
//! Nothing here decides whether something is a finding.

use k8s_openapi::api::networking::v1::NetworkPolicyPort;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::model::selector::Op;
use crate::model::{NAME_LABEL, Selector, Workload};
use crate::source::Sources;
use crate::source::yaml::{Node, NodeKind};

use super::Context;

/// For each namespace (by index in `cluster.namespaces`), whether the input
/// has a workload in it. Only then do we know which pods it runs.
pub fn namespaces_with_workloads(cx: &Context<'_>) -> Vec<bool> {
    let mut has = vec![false; cx.cluster.namespaces.len()];
    for class in &cx.engine.classes {
        has[class.namespace] = true;
    }
    has
}

/// For each pod class, whether a workload of it runs on the host network.
pub fn host_classes(cx: &Context<'_>) -> Vec<bool> {
    cx.engine
        .classes
        .iter()
        .map(|c| {
            c.workloads
                .iter()
                .any(|&w| cx.cluster.workloads[w].host_network)
        })
        .collect()
}

/// `Deployment shop/web`, the `object` of a workload's diagnostics.
pub fn workload_object(w: &Workload) -> String {
    format!("{} {}/{}", w.kind, w.namespace, w.name)
}

/// A help clause listing the pods of some namespaces with their labels, so
/// that a selector can be compared with what is really there.
pub fn pods_hint(cx: &Context<'_>, namespaces: &[usize]) -> String {
    const SHOWN: usize = 5;
    let names: Vec<&str> = namespaces
        .iter()
        .map(|&i| cx.cluster.namespaces[i].name.as_str())
        .collect();
    let pods: Vec<String> = cx
        .cluster
        .workloads
        .iter()
        .filter(|w| names.contains(&w.namespace.as_str()))
        .map(|w| format!("{} `{}` ({})", w.kind, w.name, labels_text(w)))
        .collect();
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    if pods.is_empty() {
        return format!("the input runs no pods in {}", quoted.join(", "));
    }
    let mut text = format!(
        "the pods in {} are {}",
        quoted.join(", "),
        pods[..pods.len().min(SHOWN)].join(", ")
    );
    if pods.len() > SHOWN {
        text.push_str(&format!(" and {} more", pods.len() - SHOWN));
    }
    text
}

/// Labels that controllers or the API server set on each pod, with values
/// the manifests cannot show, and who sets them. The model leaves them out
/// (README, "What is modelled"), so a selector that requires one matches no
/// pod of the input, though it may match pods in the cluster.
const UNMODELLED_POD_LABELS: [(&str, &str); 8] = [
    (
        "statefulset.kubernetes.io/pod-name",
        "the StatefulSet controller",
    ),
    ("apps.kubernetes.io/pod-index", "the StatefulSet controller"),
    ("pod-template-hash", "the Deployment controller"),
    (
        "controller-revision-hash",
        "the StatefulSet and DaemonSet controllers",
    ),
    ("pod-template-generation", "the DaemonSet controller"),
    ("controller-uid", "the Job controller"),
    ("batch.kubernetes.io/controller-uid", "the Job controller"),
    (
        "batch.kubernetes.io/job-completion-index",
        "the Job controller",
    ),
];

/// When `pods` requires a label the model leaves out, says so: the
/// selector may well match pods in the cluster.
pub fn unmodelled_label_note(pods: &Selector) -> Option<String> {
    pods.requirements.iter().find_map(|r| {
        if !matches!(r.op, Op::In(_) | Op::Exists) {
            return None;
        }
        let (key, who) = UNMODELLED_POD_LABELS.iter().find(|(k, _)| *k == r.key)?;
        Some(format!(
            "; `{key}` is set on each pod by {who}, which the manifests do not show, \
             so the cluster's pods may match where the input's cannot"
        ))
    })
}

fn labels_text(w: &Workload) -> String {
    if w.labels.is_empty() {
        return "no labels".into();
    }
    let labels: Vec<String> = w.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("`{}`", labels.join(","))
}

/// The namespace names a selector pins through `kubernetes.io/metadata.name`
/// (`matchLabels` or an `In` expression), if it does.
pub fn named_namespaces(sel: &Selector) -> Option<&[String]> {
    sel.requirements.iter().find_map(|r| match &r.op {
        Op::In(values) if r.key == NAME_LABEL => Some(values.as_slice()),
        _ => None,
    })
}

/// Whether a selector requires some label to be present. One that only
/// excludes (`NotIn`, `DoesNotExist`) or is empty also matches the many
/// namespaces every cluster has and no input defines (`kube-system`, ...).
pub fn requires_a_label(sel: &Selector) -> bool {
    sel.requirements
        .iter()
        .any(|r| matches!(r.op, Op::In(_) | Op::Exists))
}

/// The text of a mapping value as written, re-indented so that it can be
/// printed as the value of a key at `indent` columns. Flow values (`{}`)
/// stay on the key's line.
pub fn value_yaml(sources: &Sources, node: &Node, indent: usize) -> String {
    let text = sources.text(node.span);
    let flow =
        !matches!(node.kind, NodeKind::Map(_) | NodeKind::Seq(_)) || text.starts_with(['{', '[']);
    if flow {
        return format!(" {text}");
    }
    // Continuation lines carry the file's indentation; the first line starts
    // at the node's column. Strip that much so the block keeps its shape.
    let base = sources.range(node.span).0.column.saturating_sub(1) as usize;
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = if i == 0 {
            line
        } else {
            let spaces = line.len() - line.trim_start_matches(' ').len();
            &line[spaces.min(base)..]
        };
        out.push('\n');
        out.push_str(&pad);
        out.push_str(line.trim_end());
    }
    out
}

/// The ports of a rule as a reader would say them: `all ports`, or
/// `53/UDP, 53/TCP`, `8000-8100/TCP`, `http/TCP`, `all UDP ports`.
pub fn ports_text(ports: Option<&[NetworkPolicyPort]>) -> String {
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return "all ports".into();
    };
    let items: Vec<String> = ports
        .iter()
        .map(|p| {
            let proto = p.protocol.as_deref().unwrap_or("TCP");
            match (&p.port, p.end_port) {
                (None, _) => format!("all {proto} ports"),
                (Some(IntOrString::Int(n)), Some(end)) => format!("{n}-{end}/{proto}"),
                (Some(IntOrString::Int(n)), None) => format!("{n}/{proto}"),
                (Some(IntOrString::String(name)), _) => format!("{name}/{proto}"),
            }
        })
        .collect();
    items.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_described_as_written() {
        let port = |proto: Option<&str>, p: Option<IntOrString>, end| NetworkPolicyPort {
            protocol: proto.map(str::to_string),
            port: p,
            end_port: end,
        };
        assert_eq!(ports_text(None), "all ports");
        assert_eq!(ports_text(Some(&[])), "all ports");
        let ports = [
            port(Some("UDP"), Some(IntOrString::Int(53)), None),
            port(None, Some(IntOrString::Int(8000)), Some(8100)),
            port(None, Some(IntOrString::String("http".into())), None),
            port(Some("SCTP"), None, None),
        ];
        assert_eq!(
            ports_text(Some(&ports)),
            "53/UDP, 8000-8100/TCP, http/TCP, all SCTP ports"
        );
    }
}
