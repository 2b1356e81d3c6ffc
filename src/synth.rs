//! A synthetic cluster generator for benchmarks and scale tests.
//!
//! Seeded and deterministic: the same parameters give byte-identical YAML.
//! The mix imitates real platform repositories: each namespace has a
//! Namespace object with team/env labels, workloads of several kinds with
//! tier labels and named container ports, a default deny, DNS egress, and
//! per-tier allow policies using pod and namespace selectors (some with
//! `matchExpressions`), named ports, `endPort` ranges and ipBlocks with
//! excepts.

use std::fmt::Write;

/// Size of a generated cluster.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    pub namespaces: usize,
    pub workloads: usize,
    pub policies: usize,
    pub seed: u64,
}

/// SplitMix64: tiny, fast, good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TIERS: &[&str] = &["web", "api", "worker", "db", "cache"];
const TEAMS: &[&str] = &[
    "payments", "search", "identity", "checkout", "platform", "data",
];
const ENVS: &[&str] = &["prod", "staging", "dev"];
const KINDS: &[&str] = &[
    "Deployment",
    "Deployment",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Job",
];

/// One file of output: (relative path, YAML text).
pub type File = (String, String);

/// Generates the cluster and loads it, as if read from its files.
pub fn load(p: &Params) -> crate::load::Loaded {
    let files = generate(p);
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    crate::load::load_texts(&refs)
}

/// Generates the cluster, one file per namespace.
pub fn generate(p: &Params) -> Vec<File> {
    let mut rng = Rng(p.seed);
    let ns_count = p.namespaces.max(1);
    let mut files = Vec::with_capacity(ns_count);
    for n in 0..ns_count {
        let ns = format!("ns-{n:04}");
        let team = TEAMS[n % TEAMS.len()];
        let env = ENVS[n % ENVS.len()];
        let mut y = String::new();
        let _ = write!(
            y,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n  labels:\n    team: {team}\n    env: {env}\n"
        );
        // Spread the totals evenly; the first namespaces take the remainder.
        let share = |total: usize| total / ns_count + usize::from(n < total % ns_count);
        for w in 0..share(p.workloads) {
            workload(&mut y, &mut rng, &ns, team, w);
        }
        for k in 0..share(p.policies) {
            policy(&mut y, &mut rng, &ns, k);
        }
        files.push((format!("{ns}.yaml"), y));
    }
    files
}

fn workload(y: &mut String, rng: &mut Rng, ns: &str, team: &str, i: usize) {
    let tier = TIERS[i % TIERS.len()];
    let kind = rng.pick(KINDS);
    let name = format!("{tier}-{i}");
    let _ = write!(
        y,
        "---\napiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
    );
    if kind != "Job" && kind != "DaemonSet" {
        let _ = writeln!(y, "  replicas: {}", 1 + rng.below(3));
    }
    let _ = write!(
        y,
        "  template:\n    metadata:\n      labels:\n        app: {name}\n        tier: {tier}\n        team: {team}\n        version: v{}\n    spec:\n      containers:\n      - name: main\n        image: registry.example/{tier}:1.{}\n        ports:\n        - name: http\n          containerPort: {}\n        - name: metrics\n          containerPort: 9090\n",
        rng.below(3),
        rng.below(20),
        8000 + rng.below(100)
    );
    if tier == "db" {
        y.push_str("        - name: sql\n          containerPort: 5432\n");
    }
    if tier == "cache" {
        y.push_str(
            "        - name: dns-cache\n          containerPort: 5353\n          protocol: UDP\n",
        );
    }
    // What real manifests carry besides ports: resources, probes, env.
    let _ = write!(
        y,
        "        resources:\n          requests: {{cpu: {}m, memory: {}Mi}}\n          limits: {{memory: {}Mi}}\n        readinessProbe:\n          httpGet: {{path: /healthz, port: http}}\n          periodSeconds: 10\n        env:\n        - name: LOG_LEVEL\n          value: info\n        - name: SERVICE_NAME\n          value: {name}\n",
        50 + rng.below(400),
        64 + rng.below(512),
        128 + rng.below(1024)
    );
}

fn policy(y: &mut String, rng: &mut Rng, ns: &str, k: usize) {
    let head = |y: &mut String, name: &str| {
        let _ = write!(
            y,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n"
        );
    };
    match k {
        0 => {
            head(y, "default-deny");
            y.push_str("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n");
        }
        1 => {
            head(y, "allow-dns");
            y.push_str("  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - {port: 53, protocol: UDP}\n    - {port: 53, protocol: TCP}\n");
        }
        _ => {
            let tier = TIERS[k % TIERS.len()];
            let from_tier = TIERS[(k + 4) % TIERS.len()];
            head(y, &format!("allow-{tier}-{k}"));
            let _ = write!(y, "  podSelector:\n    matchLabels:\n      tier: {tier}\n");
            match rng.below(5) {
                0 => {
                    let team = rng.pick(TEAMS);
                    let _ = write!(
                        y,
                        "  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n          team: {team}\n      podSelector:\n        matchExpressions:\n        - {{key: tier, operator: In, values: [{from_tier}, web]}}\n    ports:\n    - port: http\n"
                    );
                }
                1 => {
                    let _ = write!(
                        y,
                        "  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n          tier: {from_tier}\n    ports:\n    - port: http\n    - port: metrics\n"
                    );
                }
                2 => {
                    let lo = 30000 + rng.below(100);
                    let _ = write!(
                        y,
                        "  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - namespaceSelector:\n        matchExpressions:\n        - {{key: env, operator: NotIn, values: [dev]}}\n    ports:\n    - {{port: {lo}, endPort: {}, protocol: TCP}}\n  egress:\n  - to:\n    - podSelector:\n        matchLabels:\n          tier: {from_tier}\n    ports:\n    - port: http\n",
                        lo + 100
                    );
                }
                3 => {
                    let b = rng.below(4);
                    let _ = write!(
                        y,
                        "  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n        except:\n        - 10.{b}.0.0/16\n    - ipBlock:\n        cidr: 172.16.{b}.0/24\n    ports:\n    - {{port: 443, protocol: TCP}}\n"
                    );
                }
                _ => {
                    let _ = write!(
                        y,
                        "  ingress:\n  - from:\n    - podSelector:\n        matchExpressions:\n        - {{key: team, operator: Exists}}\n        - {{key: legacy, operator: DoesNotExist}}\n    ports:\n    - {{port: 9090, protocol: TCP}}\n    - {{port: sql}}\n"
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_loadable() {
        let p = Params {
            namespaces: 3,
            workloads: 12,
            policies: 15,
            seed: 7,
        };
        let a = generate(&p);
        assert_eq!(a, generate(&p));
        let refs: Vec<(&str, &str)> = a.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        let loaded = crate::load::load_texts(&refs);
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        assert_eq!(loaded.cluster.workloads.len(), 12);
        assert_eq!(loaded.cluster.policies.len(), 15);
    }
}
