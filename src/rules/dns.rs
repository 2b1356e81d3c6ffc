//! The cluster DNS service as the DNS checks see it, and what each workload's
//! egress lets it send there.
//!
//! Pods resolve names through the cluster DNS Service; with kube-proxy and
//! most CNIs the policy sees the traffic after the Service address has been
//! rewritten to a DNS pod's address, so what matters is whether the client's
//! egress rules match those pods. When the input defines the DNS pods we
//! evaluate against them; otherwise against a pod imagined from the usual
//! kube-dns / CoreDNS deployment, which exists in every cluster whether or
//! not the input shows it.

use crate::engine::{Peerish, PodView, RuleRef};
use crate::model::policy::Direction;
use crate::model::{ContainerPort, Labels, NAME_LABEL, Peer, PortSet, Protocol, Selector};

use super::Context;

/// Where the cluster DNS runs: the kube-dns default, or the `dns` section
/// of the configuration file (OpenShift serves DNS from `openshift-dns` on
/// 5353, for instance).
#[derive(Debug, Clone)]
pub struct DnsService {
    pub namespace: String,
    /// Selects the DNS pods among the pods of `namespace`.
    pub pod_selector: Selector,
    /// Labels of the imagined DNS pod when the input defines none: a set
    /// that `pod_selector` matches.
    pub pod_labels: Labels,
    /// The port DNS is served on.
    pub port: u16,
    /// The protocols DNS is served over: UDP, and TCP unless configured
    /// away. Over a protocol it does not serve there is nothing to reach.
    pub protocols: Vec<Protocol>,
    /// Container ports of the imagined DNS pod, for named policy ports.
    pub container_ports: Vec<ContainerPort>,
}

impl Default for DnsService {
    /// kube-dns and CoreDNS as kubeadm and the managed offerings deploy them.
    fn default() -> Self {
        let labels: Labels = [("k8s-app".to_string(), "kube-dns".to_string())].into();
        let mut dns = DnsService::new(
            "kube-system".into(),
            selector_of(&labels),
            labels,
            53,
            vec![Protocol::Udp, Protocol::Tcp],
        );
        // CoreDNS also exposes its metrics port; a policy may name it.
        dns.container_ports.push(ContainerPort {
            name: Some("metrics".into()),
            port: 9153,
            protocol: Protocol::Tcp,
        });
        dns
    }
}

/// `matchLabels` only.
fn selector_of(labels: &Labels) -> Selector {
    Selector::from_k8s(
        &k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector {
            match_labels: Some(labels.clone()),
            match_expressions: None,
        },
    )
}

impl DnsService {
    /// A DNS service whose imagined pod serves `port` over `protocols`
    /// under the conventional CoreDNS port names (`dns`, `dns-tcp`).
    pub fn new(
        namespace: String,
        pod_selector: Selector,
        pod_labels: Labels,
        port: u16,
        protocols: Vec<Protocol>,
    ) -> Self {
        let container_ports = protocols
            .iter()
            .map(|&protocol| {
                let name = match protocol {
                    Protocol::Tcp => "dns-tcp",
                    _ => "dns",
                };
                ContainerPort {
                    name: Some(name.into()),
                    port,
                    protocol,
                }
            })
            .collect();
        DnsService {
            namespace,
            pod_selector,
            pod_labels,
            port,
            protocols,
            container_ports,
        }
    }

    /// `` `kube-system` pods `k8s-app=kube-dns` ``, for messages.
    pub fn describe(&self) -> String {
        format!("`{}` pods `{}`", self.namespace, self.pod_selector)
    }

    fn is_dns_pod(&self, namespace: &str, labels: &Labels) -> bool {
        namespace == self.namespace && self.pod_selector.matches(labels)
    }
}

/// A DNS pod to evaluate against.
struct Target {
    namespace: String,
    namespace_labels: Labels,
    labels: Labels,
    ports: Vec<ContainerPort>,
    /// The container ports DNS is served on. Policies see the port after
    /// the Service has mapped 53 to it (CoreDNS running as non-root listens
    /// on 1053, for instance).
    udp_port: u16,
    tcp_port: u16,
}

impl Target {
    fn view(&self) -> PodView<'_> {
        PodView {
            namespace: &self.namespace,
            namespace_labels: &self.namespace_labels,
            labels: &self.labels,
            ports: &self.ports,
        }
    }
}

/// The DNS pods of the input, or the imagined one.
fn targets(cx: &Context<'_>, dns: &DnsService) -> Vec<Target> {
    let real: Vec<Target> = cx
        .engine
        .classes
        .iter()
        .filter(|c| dns.is_dns_pod(&cx.cluster.namespaces[c.namespace].name, &c.labels))
        .map(|c| {
            let ns = &cx.cluster.namespaces[c.namespace];
            let udp_port = serving_port(&c.ports, Protocol::Udp, "dns").unwrap_or(dns.port);
            let tcp_port = serving_port(&c.ports, Protocol::Tcp, "dns-tcp").unwrap_or(udp_port);
            Target {
                namespace: ns.name.clone(),
                namespace_labels: ns.labels.clone(),
                labels: c.labels.clone(),
                ports: c.ports.clone(),
                udp_port,
                tcp_port,
            }
        })
        .collect();
    if !real.is_empty() {
        return real;
    }
    // The DNS namespace carries the labels the input gives it, or only its
    // name label, which Kubernetes sets on every namespace.
    let namespace_labels = cx
        .cluster
        .namespace(&dns.namespace)
        .map(|n| n.labels.clone())
        .unwrap_or_else(|| [(NAME_LABEL.to_string(), dns.namespace.clone())].into());
    vec![Target {
        namespace: dns.namespace.clone(),
        namespace_labels,
        labels: dns.pod_labels.clone(),
        ports: dns.container_ports.clone(),
        udp_port: dns.port,
        tcp_port: dns.port,
    }]
}

/// The port a real DNS pod serves on for one protocol: the container port
/// with the conventional name, else the only one of that protocol. `None`
/// when the pod declares no such port (declaring ports is optional).
fn serving_port(ports: &[ContainerPort], protocol: Protocol, name: &str) -> Option<u16> {
    let of_protocol: Vec<&ContainerPort> =
        ports.iter().filter(|p| p.protocol == protocol).collect();
    of_protocol
        .iter()
        .find(|p| p.name.as_deref() == Some(name))
        .or(of_protocol.first().filter(|_| of_protocol.len() == 1))
        .map(|p| p.port)
}

/// What one workload's egress allows towards the cluster DNS.
#[derive(Debug, Clone)]
pub struct DnsAccess {
    /// Index into `cluster.workloads`.
    pub workload: usize,
    /// UDP to the DNS port is allowed (to every DNS pod).
    pub udp: bool,
    /// TCP to the DNS port is allowed (to every DNS pod).
    pub tcp: bool,
    /// The ports checked (of the first DNS pod, when the input has several).
    pub udp_port: u16,
    pub tcp_port: u16,
    /// Policies that isolate the workload's egress.
    pub isolating: Vec<usize>,
    /// Rules that allow UDP to the DNS port.
    pub udp_rules: Vec<RuleRef>,
}

/// DNS access of every workload whose egress is isolated, in workload order.
/// Workloads on the host network are left out: NetworkPolicy does not
/// govern their traffic in most implementations.
pub fn access(cx: &Context<'_>, dns: &DnsService) -> Vec<DnsAccess> {
    let targets = targets(cx, dns);
    let mut out = Vec::new();
    for (ci, class) in cx.engine.classes.iter().enumerate() {
        let isolating = cx.engine.isolating(ci, Direction::Egress);
        if isolating.is_empty() {
            continue;
        }
        let (mut udp, mut tcp) = (true, true);
        let mut udp_rules = Vec::new();
        for target in &targets {
            let (ports, rules) = egress_to(cx, ci, target);
            udp &= ports.contains(Protocol::Udp, target.udp_port);
            tcp &= ports.contains(Protocol::Tcp, target.tcp_port);
            udp_rules.extend(rules);
        }
        if !dns.protocols.contains(&Protocol::Tcp) {
            // A DNS that does not serve TCP cannot be reached over it by
            // anyone: there is no TCP access to miss.
            tcp = true;
        }
        let (udp_port, tcp_port) = targets
            .first()
            .map_or((dns.port, dns.port), |t| (t.udp_port, t.tcp_port));
        udp_rules.sort();
        udp_rules.dedup();
        for &wi in &class.workloads {
            if cx.cluster.workloads[wi].host_network {
                continue;
            }
            out.push(DnsAccess {
                workload: wi,
                udp,
                tcp,
                udp_port,
                tcp_port,
                isolating: isolating.to_vec(),
                udp_rules: udp_rules.clone(),
            });
        }
    }
    out.sort_by_key(|a| a.workload);
    out
}

/// The ports a class's egress allows to one DNS pod, and the rules that
/// allow UDP on its DNS port.
fn egress_to(cx: &Context<'_>, class: usize, target: &Target) -> (PortSet, Vec<RuleRef>) {
    let subject = cx.engine.class_view(class);
    let verdict = cx.engine.side(
        Direction::Egress,
        subject,
        Peerish::Pod(target.view()),
        &target.ports,
    );
    let mut ports = verdict.ports.clone();
    let mut allowing = verdict.allowing.clone();
    // The engine matches ipBlocks against external addresses only. A block
    // that covers a whole address family holds the DNS pod's address whatever
    // the pod network is, so it reaches DNS too (we take either family: the
    // input does not say which one the cluster uses). Narrower blocks might
    // or might not hold it, which the input does not say either.
    for &pi in &verdict.selecting {
        let policy = &cx.cluster.policies[pi];
        for (ri, rule) in policy.egress.iter().enumerate() {
            let whole_family = rule
                .peers
                .iter()
                .flatten()
                .any(|p| matches!(p, Peer::IpBlock { set } if set.is_all()));
            if whole_family {
                let allowed = crate::engine::rule_ports(rule, &target.ports);
                if !allowed.is_empty() {
                    ports.union_with(&allowed);
                    allowing.push(RuleRef {
                        policy: pi,
                        direction: Direction::Egress,
                        rule: ri,
                    });
                }
            }
        }
    }
    let udp_rules = allowing
        .into_iter()
        .filter(|r| {
            let rule = &cx.cluster.policies[r.policy].egress[r.rule];
            crate::engine::rule_ports(rule, &target.ports).contains(Protocol::Udp, target.udp_port)
        })
        .collect();
    (ports, udp_rules)
}
