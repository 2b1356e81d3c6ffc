//! What the input shows of the pods a peer can reach, for checks that judge
//! a rule by the pods on its other end and must stay quiet when some of
//! those pods are not in the input. Nothing here decides whether something
//! is a finding.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::engine::Engine;
use crate::model::{NamespaceSel, Peer, Policy, Selector};

use super::Context;
use super::support::{named_namespaces, requires_a_label};

/// Whether the input shows every pod a peer's namespace part can reach:
/// its own namespace, or namespaces named by `kubernetes.io/metadata.name`
/// that the input defines, or, when the input defines Namespace objects, a
/// selector that requires some label; and every namespace it matches runs a
/// workload of the input. An empty selector, or one that only excludes,
/// also matches namespaces no input shows (`kube-system`, `openshift-dns`).
pub fn peer_pods_known(
    cx: &Context<'_>,
    policy: &Policy,
    namespaces: &NamespaceSel,
    has_workloads: &[bool],
) -> bool {
    let cluster = cx.cluster;
    let selector_known = match namespaces {
        NamespaceSel::Own => true,
        NamespaceSel::Select(sel) => match named_namespaces(sel) {
            Some(names) => names.iter().all(|n| cluster.namespace(n).is_some()),
            None => requires_a_label(sel) && cluster.namespaces.iter().any(|n| n.origin.is_some()),
        },
    };
    selector_known
        && cx
            .engine
            .peer_namespaces(policy, namespaces)
            .iter()
            .all(|&n| has_workloads[n])
}

/// The pod classes of peers, computed once per distinct peer: policies
/// repeat the same peers (`kubernetes.io/metadata.name: kube-system`) and
/// each lookup walks every namespace.
#[derive(Default)]
pub struct PeerClasses<'c> {
    memo: RefCell<HashMap<PeerKey<'c>, Rc<Vec<usize>>>>,
}

/// A pod peer: the policy's namespace when the peer has no
/// `namespaceSelector` (empty otherwise), its namespace part, its pod part.
type PeerKey<'c> = (&'c str, &'c NamespaceSel, &'c Selector);

impl<'c> PeerClasses<'c> {
    /// The classes a pod peer of `policy` matches, sorted; empty for other
    /// peers.
    pub fn of(&self, engine: &Engine<'_>, policy: &'c Policy, peer: &'c Peer) -> Rc<Vec<usize>> {
        let Peer::Pods { namespaces, pods } = peer else {
            return Rc::default();
        };
        // Only a peer without `namespaceSelector` depends on the policy's
        // namespace.
        let scope = match namespaces {
            NamespaceSel::Own => policy.namespace.as_str(),
            NamespaceSel::Select(_) => "",
        };
        let key = (scope, namespaces, pods);
        if let Some(found) = self.memo.borrow().get(&key) {
            return Rc::clone(found);
        }
        let mut classes = engine.peer_classes(policy, peer);
        classes.sort_unstable();
        classes.dedup();
        let classes = Rc::new(classes);
        self.memo.borrow_mut().insert(key, Rc::clone(&classes));
        classes
    }
}
