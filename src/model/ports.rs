//! Protocols and exact sets of (protocol, port) pairs.
//!
//! A [`PortSet`] is what one NetworkPolicy rule's `ports` list admits, and what
//! the engine intersects, unions and subtracts while it folds policies together.
//! Sets are kept in a canonical form so that `==` is set equality and so that
//! [`PortSet::to_conn_string`] prints the same text as netpol-analyzer.

use std::fmt;

use serde::ser::{Serialize, Serializer};

/// A transport protocol a NetworkPolicy port can name.
///
/// The declaration order (and therefore `Ord`) is TCP, UDP, SCTP; printed
/// output orders protocols alphabetically instead, see
/// [`PortSet::to_conn_string`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub enum Protocol {
    /// Kubernetes uses TCP when a `ports` entry leaves `protocol` out.
    #[default]
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// Every protocol NetworkPolicy supports, in declaration order.
    pub const ALL: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

    /// Parses a protocol name. Kubernetes only accepts the exact upper-case
    /// spellings, so `"tcp"` is not a protocol.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The Kubernetes spelling: `"TCP"`, `"UDP"` or `"SCTP"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// Position of this protocol's intervals inside [`PortSet`].
    fn index(self) -> usize {
        match self {
            Protocol::Tcp => 0,
            Protocol::Udp => 1,
            Protocol::Sctp => 2,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serialized as its Kubernetes spelling, e.g. `"TCP"`.
impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Lowest port a NetworkPolicy can name; port 0 does not exist for it.
pub const MIN_PORT: u16 = 1;
/// Highest port.
pub const MAX_PORT: u16 = u16::MAX;

/// An inclusive port interval `(lo, hi)`.
type PortRange = (u16, u16);

/// Order in which netpol-analyzer prints protocols (alphabetical).
const PRINT_ORDER: [Protocol; 3] = [Protocol::Sctp, Protocol::Tcp, Protocol::Udp];

/// Set of (protocol, port) pairs, ports `1..=65535`.
///
/// Per protocol the set is a sorted `Vec<(u16, u16)>` of disjoint,
/// non-adjacent, inclusive intervals. Every constructor and operation keeps
/// that canonical form, so the derived `==` and `Hash` are set equality.
///
/// # JSON
///
/// Serializes as a list with one entry per protocol that has ports, in the
/// printed order (SCTP, TCP, UDP); each entry lists its inclusive ranges
/// ascending:
///
/// ```json
/// [
///   {"protocol": "TCP", "ranges": [{"from": 80, "to": 80}, {"from": 8080, "to": 8081}]},
///   {"protocol": "UDP", "ranges": [{"from": 1, "to": 65535}]}
/// ]
/// ```
///
/// The empty set is `[]`; the full set has all three protocols with
/// `1..=65535`.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct PortSet {
    /// Indexed by [`Protocol::index`].
    by_proto: [Vec<(u16, u16)>; 3],
}

impl PortSet {
    /// No ports at all.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Every port of every protocol: what a rule with no `ports` admits.
    pub fn all() -> Self {
        let full = || vec![(MIN_PORT, MAX_PORT)];
        PortSet {
            by_proto: [full(), full(), full()],
        }
    }

    /// Every port of one protocol: a `ports` entry with a protocol but no port.
    pub fn all_of(proto: Protocol) -> Self {
        Self::range(proto, MIN_PORT, MAX_PORT)
    }

    /// Ports `lo..=hi` of one protocol (`port` with `endPort`). Empty when
    /// `lo > hi`; a `lo` of 0 is treated as 1 because port 0 is not a port.
    pub fn range(proto: Protocol, lo: u16, hi: u16) -> Self {
        let mut set = Self::empty();
        let lo = lo.max(MIN_PORT);
        if lo <= hi {
            set.by_proto[proto.index()].push((lo, hi));
        }
        set
    }

    /// One port of one protocol. Port 0 gives the empty set.
    pub fn single(proto: Protocol, port: u16) -> Self {
        Self::range(proto, port, port)
    }

    /// Whether no (protocol, port) pair is in the set.
    pub fn is_empty(&self) -> bool {
        self.by_proto.iter().all(Vec::is_empty)
    }

    /// Whether every port of TCP, UDP and SCTP is in the set.
    pub fn is_all(&self) -> bool {
        self.by_proto
            .iter()
            .all(|r| r.as_slice() == [(MIN_PORT, MAX_PORT)])
    }

    /// Whether `port` of `proto` is in the set.
    pub fn contains(&self, proto: Protocol, port: u16) -> bool {
        interval::contains(self.ranges(proto), port)
    }

    /// The canonical intervals of one protocol, ascending.
    pub fn ranges(&self, proto: Protocol) -> &[(u16, u16)] {
        &self.by_proto[proto.index()]
    }

    /// Pairs in either set.
    pub fn union(&self, other: &Self) -> Self {
        self.zip_with(other, interval::union)
    }

    /// Adds every pair of `other` to `self`.
    pub fn union_with(&mut self, other: &Self) {
        for proto in Protocol::ALL {
            let i = proto.index();
            if other.by_proto[i].is_empty() {
                continue;
            }
            self.by_proto[i] = interval::union(&self.by_proto[i], &other.by_proto[i]);
        }
    }

    /// Pairs in both sets.
    pub fn intersect(&self, other: &Self) -> Self {
        self.zip_with(other, interval::intersect)
    }

    /// Pairs in `self` but not in `other`.
    pub fn difference(&self, other: &Self) -> Self {
        self.zip_with(other, interval::difference)
    }

    /// Whether every pair of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        Protocol::ALL
            .iter()
            .all(|&p| interval::is_subset(self.ranges(p), other.ranges(p)))
    }

    /// Whether the sets share at least one pair.
    pub fn intersects(&self, other: &Self) -> bool {
        Protocol::ALL
            .iter()
            .any(|&p| interval::intersects(self.ranges(p), other.ranges(p)))
    }

    /// The connection text netpol-analyzer prints in its `list` output:
    ///
    /// * `All Connections` for [`PortSet::all`],
    /// * `No Connections` for the empty set,
    /// * otherwise `<PROTO> <ports>` groups joined by `,`, protocols in
    ///   alphabetical order (SCTP, TCP, UDP) and left out when they have no
    ///   port; `<ports>` is the ascending intervals joined by `,`, each `a` or
    ///   `a-b`. Example: `SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535`.
    pub fn to_conn_string(&self) -> String {
        if self.is_all() {
            return "All Connections".to_owned();
        }
        if self.is_empty() {
            return "No Connections".to_owned();
        }
        let mut out = String::new();
        for proto in PRINT_ORDER {
            let ranges = self.ranges(proto);
            if ranges.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str(proto.as_str());
            out.push(' ');
            for (n, &(lo, hi)) in ranges.iter().enumerate() {
                if n > 0 {
                    out.push(',');
                }
                if lo == hi {
                    out.push_str(&lo.to_string());
                } else {
                    out.push_str(&format!("{lo}-{hi}"));
                }
            }
        }
        out
    }

    /// Applies a per-protocol interval operation.
    fn zip_with(&self, other: &Self, op: fn(&[PortRange], &[PortRange]) -> Vec<PortRange>) -> Self {
        PortSet {
            by_proto: std::array::from_fn(|i| op(&self.by_proto[i], &other.by_proto[i])),
        }
    }
}

impl fmt::Display for PortSet {
    /// Same text as [`PortSet::to_conn_string`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_conn_string())
    }
}

impl Serialize for PortSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Range {
            from: u16,
            to: u16,
        }
        #[derive(serde::Serialize)]
        struct Group {
            protocol: Protocol,
            ranges: Vec<Range>,
        }
        let groups = PRINT_ORDER.iter().filter_map(|&protocol| {
            let ranges = self.ranges(protocol);
            (!ranges.is_empty()).then(|| Group {
                protocol,
                ranges: ranges
                    .iter()
                    .map(|&(from, to)| Range { from, to })
                    .collect(),
            })
        });
        serializer.collect_seq(groups)
    }
}

/// Exact algebra on sets of integers stored as canonical interval lists:
/// sorted ascending, each `(lo, hi)` inclusive with `lo <= hi`, disjoint and
/// non-adjacent (`hi + 1 < next lo`). Canonical form makes the representation
/// unique, so slice equality is set equality.
///
/// Every operation is a single linear merge over its inputs and assumes they
/// are canonical; results are canonical again. Used for ports (`u16`) here and
/// for addresses (`u128`) by [`super::ip`]; it lives in this file only because
/// the model has no separate file for it.
pub(crate) mod interval {
    use std::fmt::Debug;

    /// An integer usable as an interval endpoint. Successor and predecessor
    /// are checked so the top and bottom of the type never overflow (`::/0`
    /// ends at `u128::MAX`).
    pub(crate) trait Point: Copy + Ord + Debug {
        fn succ(self) -> Option<Self>;
        fn pred(self) -> Option<Self>;
    }

    impl Point for u16 {
        fn succ(self) -> Option<Self> {
            self.checked_add(1)
        }
        fn pred(self) -> Option<Self> {
            self.checked_sub(1)
        }
    }

    impl Point for u128 {
        fn succ(self) -> Option<Self> {
            self.checked_add(1)
        }
        fn pred(self) -> Option<Self> {
            self.checked_sub(1)
        }
    }

    /// Appends `(lo, hi)` to canonical `out`, whose intervals all start at or
    /// before `lo`, merging when it overlaps or touches the last interval.
    fn push_merged<T: Point>(out: &mut Vec<(T, T)>, lo: T, hi: T) {
        if let Some(last) = out.last_mut() {
            // `[1,3]` and `[4,6]` are the same set as `[1,6]`; a last interval
            // ending at the type's maximum absorbs everything after it.
            let touches = last.1.succ().is_none_or(|next| lo <= next);
            if touches {
                last.1 = last.1.max(hi);
                return;
            }
        }
        out.push((lo, hi));
    }

    /// Canonical form of arbitrary intervals; those with `lo > hi` are dropped.
    pub(crate) fn normalize<T: Point>(mut v: Vec<(T, T)>) -> Vec<(T, T)> {
        v.retain(|&(lo, hi)| lo <= hi);
        v.sort_unstable();
        let mut out = Vec::with_capacity(v.len());
        for (lo, hi) in v {
            push_merged(&mut out, lo, hi);
        }
        out
    }

    /// Whether `v` is in canonical form.
    #[cfg(test)]
    pub(crate) fn is_canonical<T: Point>(v: &[(T, T)]) -> bool {
        v.iter().all(|&(lo, hi)| lo <= hi)
            && v.windows(2)
                .all(|w| w[0].1.succ().is_some_and(|next| next < w[1].0))
    }

    pub(crate) fn contains<T: Point>(v: &[(T, T)], x: T) -> bool {
        let i = v.partition_point(|&(_, hi)| hi < x);
        v.get(i).is_some_and(|&(lo, _)| lo <= x)
    }

    pub(crate) fn union<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
        let mut out = Vec::with_capacity(a.len() + b.len());
        let (mut i, mut j) = (0, 0);
        // Merge by start so that `push_merged` sees non-decreasing starts.
        loop {
            let next = match (a.get(i), b.get(j)) {
                (Some(&x), Some(&y)) if x.0 <= y.0 => {
                    i += 1;
                    x
                }
                (_, Some(&y)) => {
                    j += 1;
                    y
                }
                (Some(&x), None) => {
                    i += 1;
                    x
                }
                (None, None) => break,
            };
            push_merged(&mut out, next.0, next.1);
        }
        out
    }

    pub(crate) fn intersect<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (a.get(i), b.get(j)) {
            let (lo, hi) = (alo.max(blo), ahi.min(bhi));
            if lo <= hi {
                out.push((lo, hi));
            }
            // The interval that ends first cannot meet anything further on.
            if ahi < bhi {
                i += 1;
            } else {
                j += 1;
            }
        }
        out
    }

    pub(crate) fn difference<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> Vec<(T, T)> {
        let mut out = Vec::with_capacity(a.len());
        // First interval of `b` that may still overlap the current `a` one.
        let mut j = 0;
        for &(lo, hi) in a {
            while b.get(j).is_some_and(|&(_, bhi)| bhi < lo) {
                j += 1;
            }
            // `cur` is the start of what is left of `(lo, hi)` to emit.
            let mut cur = lo;
            loop {
                let Some(&(blo, bhi)) = b.get(j).filter(|&&(blo, _)| blo <= hi) else {
                    out.push((cur, hi));
                    break;
                };
                if blo > cur {
                    // `blo > cur` so it has a predecessor.
                    if let Some(end) = blo.pred() {
                        out.push((cur, end));
                    }
                }
                match bhi.succ() {
                    Some(next) if next <= hi => {
                        // This `b` interval ends inside `(lo, hi)`; later `a`
                        // intervals start after `hi`, so it is used up.
                        cur = next;
                        j += 1;
                    }
                    // It covers the rest of `(lo, hi)` and may reach into the
                    // next `a` interval, so keep `j`.
                    _ => break,
                }
            }
        }
        out
    }

    pub(crate) fn is_subset<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> bool {
        let mut j = 0;
        a.iter().all(|&(lo, hi)| {
            while b.get(j).is_some_and(|&(_, bhi)| bhi < lo) {
                j += 1;
            }
            // Canonical `b` has no touching intervals, so a contained `a`
            // interval must sit inside a single one.
            b.get(j).is_some_and(|&(blo, bhi)| blo <= lo && hi <= bhi)
        })
    }

    pub(crate) fn intersects<T: Point>(a: &[(T, T)], b: &[(T, T)]) -> bool {
        let (mut i, mut j) = (0, 0);
        while let (Some(&(alo, ahi)), Some(&(blo, bhi))) = (a.get(i), b.get(j)) {
            if alo.max(blo) <= ahi.min(bhi) {
                return true;
            }
            if ahi < bhi {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::interval::is_canonical;
    use super::*;
    use proptest::prelude::*;

    use Protocol::{Sctp, Tcp, Udp};

    fn set(parts: &[(Protocol, u16, u16)]) -> PortSet {
        let mut s = PortSet::empty();
        for &(p, lo, hi) in parts {
            s.union_with(&PortSet::range(p, lo, hi));
        }
        s
    }

    #[test]
    fn protocol_names() {
        for p in Protocol::ALL {
            assert_eq!(Protocol::parse(p.as_str()), Some(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!(Protocol::parse("tcp"), None);
        assert_eq!(Protocol::parse("Tcp"), None);
        assert_eq!(Protocol::parse(" TCP"), None);
        assert_eq!(Protocol::parse(""), None);
        assert_eq!(Protocol::parse("ICMP"), None);
        assert_eq!(Protocol::default(), Tcp);
    }

    #[test]
    fn conn_string_examples() {
        assert_eq!(PortSet::all().to_conn_string(), "All Connections");
        assert_eq!(PortSet::empty().to_conn_string(), "No Connections");
        assert_eq!(PortSet::single(Tcp, 8080).to_conn_string(), "TCP 8080");
        assert_eq!(
            set(&[(Tcp, 10053, 10054), (Udp, 10053, 10053)]).to_string(),
            "TCP 10053-10054,UDP 10053"
        );
        assert_eq!(
            set(&[
                (Udp, 9090, 9090),
                (Tcp, 8081, 8081),
                (Sctp, 7070, 7070),
                (Tcp, 8080, 8080)
            ])
            .to_string(),
            "SCTP 7070,TCP 8080-8081,UDP 9090"
        );
        let all_but_tcp_80 = PortSet::all().difference(&PortSet::single(Tcp, 80));
        assert_eq!(
            all_but_tcp_80.to_string(),
            "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535"
        );
        assert_eq!(PortSet::all_of(Udp).to_string(), "UDP 1-65535");
        assert_eq!(
            set(&[
                (Tcp, 1, 3),
                (Tcp, 5, 5),
                (Tcp, 4, 4),
                (Tcp, 100, 200),
                (Tcp, 150, 300)
            ])
            .to_string(),
            "TCP 1-5,100-300"
        );
    }

    #[test]
    fn all_is_union_of_protocols() {
        let mut s = PortSet::empty();
        for p in Protocol::ALL {
            assert!(!s.is_all());
            s.union_with(&PortSet::all_of(p));
        }
        assert!(s.is_all());
        assert_eq!(s, PortSet::all());
        // Two halves of every protocol merge back into the canonical full set.
        let halves = set(&[
            (Tcp, 1, 100),
            (Tcp, 101, 65535),
            (Udp, 1, 65534),
            (Udp, 65535, 65535),
            (Sctp, 0, 65535),
        ]);
        assert_eq!(halves, PortSet::all());
    }

    #[test]
    fn range_edges() {
        assert!(PortSet::range(Tcp, 10, 9).is_empty());
        assert!(PortSet::single(Tcp, 0).is_empty());
        assert_eq!(PortSet::range(Tcp, 0, 5), PortSet::range(Tcp, 1, 5));
        assert_eq!(PortSet::range(Tcp, 0, 5).ranges(Tcp), &[(1, 5)]);
        assert!(!PortSet::all().contains(Tcp, 0));
        assert!(PortSet::all().contains(Sctp, 65535));
        assert!(PortSet::all().contains(Udp, 1));
        let s = PortSet::single(Udp, 65535);
        assert!(s.contains(Udp, 65535));
        assert!(!s.contains(Tcp, 65535));
        assert!(!s.contains(Udp, 65534));
        assert!(PortSet::empty().is_subset(&PortSet::empty()));
        assert!(!PortSet::empty().intersects(&PortSet::all()));
        assert!(PortSet::all().difference(&PortSet::all()).is_empty());
    }

    #[test]
    fn serializes_structured() {
        let s = set(&[(Udp, 53, 53), (Tcp, 80, 80), (Tcp, 8080, 8081)]);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"[{"protocol":"TCP","ranges":[{"from":80,"to":80},{"from":8080,"to":8081}]},"#,
                r#"{"protocol":"UDP","ranges":[{"from":53,"to":53}]}]"#
            )
        );
        assert_eq!(serde_json::to_string(&PortSet::empty()).unwrap(), "[]");
        let all = serde_json::to_value(PortSet::all()).unwrap();
        assert_eq!(all.as_array().map(Vec::len), Some(3));
        assert_eq!(all[0]["protocol"], "SCTP");
    }

    #[test]
    fn interval_edges_at_type_limits() {
        use super::interval::*;
        let max = u16::MAX;
        assert_eq!(union(&[(0, max)], &[(5, 6)]), vec![(0, max)]);
        assert_eq!(union(&[(max, max)], &[(0, max - 1)]), vec![(0, max)]);
        assert_eq!(difference(&[(0, max)], &[(0, max)]), vec![]);
        assert_eq!(difference(&[(0, max)], &[(max, max)]), vec![(0, max - 1)]);
        assert_eq!(difference(&[(0, max)], &[(0, 0)]), vec![(1, max)]);
        assert_eq!(
            difference(&[(0u16, 9), (20, 29)], &[(5, 24)]),
            vec![(0, 4), (25, 29)]
        );
        assert_eq!(
            difference(&[(0u16, 100)], &[(10, 19), (30, 39)]),
            vec![(0, 9), (20, 29), (40, 100)]
        );
        assert_eq!(normalize(vec![(5u16, 4), (3, 3), (1, 2)]), vec![(1, 3)]);
        assert!(!is_canonical(&[(1u16, 2), (3, 4)]));
        assert!(!is_canonical(&[(3u16, 4), (1, 1)]));
        assert!(is_canonical(&[(1u16, 2), (4, 4)]));
        assert!(is_subset(&[(2u16, 3), (7, 7)], &[(1, 4), (6, 9)]));
        assert!(!is_subset(&[(2u16, 6)], &[(1, 4), (6, 9)]));
        let big = u128::MAX;
        assert_eq!(union(&[(0, big - 1)], &[(big, big)]), vec![(0, big)]);
        assert_eq!(difference(&[(0, big)], &[(1, big)]), vec![(0, 0)]);
        assert_eq!(intersect(&[(0, big)], &[(big, big)]), vec![(big, big)]);
        assert!(contains(&[(big, big)], big));
        assert!(intersects(&[(0, big)], &[(big, big)]));
    }

    // ---- property tests ----

    fn port() -> impl Strategy<Value = u16> {
        // Bias towards the edges and a small window so intervals collide.
        prop_oneof![0u16..=3, 65532u16..=65535, 70u16..=100, any::<u16>()]
    }

    fn proto() -> impl Strategy<Value = Protocol> {
        prop_oneof![Just(Tcp), Just(Udp), Just(Sctp)]
    }

    fn port_set() -> impl Strategy<Value = PortSet> {
        prop::collection::vec((proto(), port(), port()), 0..6).prop_map(|parts| {
            let mut s = PortSet::empty();
            for (p, a, b) in parts {
                s.union_with(&PortSet::range(p, a.min(b), a.max(b)));
            }
            s
        })
    }

    /// Every point where membership in any of `sets` can change, plus its
    /// neighbours. Sets are constant between these points, so agreeing on
    /// them means agreeing everywhere.
    fn critical_points(sets: &[&PortSet]) -> Vec<(Protocol, u16)> {
        let mut pts = Vec::new();
        for p in Protocol::ALL {
            for x in [0, 1, 2, u16::MAX - 1, u16::MAX] {
                pts.push((p, x));
            }
            for s in sets {
                for &(lo, hi) in s.ranges(p) {
                    for x in [lo, hi] {
                        pts.push((p, x));
                        pts.extend(x.checked_sub(1).map(|y| (p, y)));
                        pts.extend(x.checked_add(1).map(|y| (p, y)));
                    }
                }
            }
        }
        pts
    }

    fn assert_canonical(s: &PortSet) {
        for p in Protocol::ALL {
            let r = s.ranges(p);
            assert!(is_canonical(r), "{p}: {r:?}");
            assert!(
                r.first().is_none_or(|&(lo, _)| lo >= MIN_PORT),
                "{p}: {r:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn union_laws(a in port_set(), b in port_set(), c in port_set()) {
            prop_assert_eq!(a.union(&b), b.union(&a));
            prop_assert_eq!(a.union(&b).union(&c), a.union(&b.union(&c)));
            prop_assert_eq!(a.union(&a), a.clone());
            let mut d = a.clone();
            d.union_with(&b);
            prop_assert_eq!(d, a.union(&b));
        }

        #[test]
        fn ops_match_pointwise(a in port_set(), b in port_set(), extra in (proto(), any::<u16>())) {
            let u = a.union(&b);
            let i = a.intersect(&b);
            let d = a.difference(&b);
            for s in [&u, &i, &d] {
                assert_canonical(s);
            }
            let mut pts = critical_points(&[&a, &b]);
            pts.push(extra);
            for (p, x) in pts {
                let (ia, ib) = (a.contains(p, x), b.contains(p, x));
                prop_assert_eq!(u.contains(p, x), ia || ib);
                prop_assert_eq!(i.contains(p, x), ia && ib);
                prop_assert_eq!(d.contains(p, x), ia && !ib);
            }
            prop_assert_eq!(a.intersects(&b), !i.is_empty());
            prop_assert_eq!(a.is_subset(&b), d.is_empty());
            prop_assert!(i.is_subset(&a) && i.is_subset(&b));
            prop_assert!(a.is_subset(&u));
        }

        #[test]
        fn difference_and_intersection_rebuild(a in port_set(), b in port_set()) {
            prop_assert_eq!(a.difference(&b).union(&a.intersect(&b)), a.clone());
            prop_assert!(!a.difference(&b).intersects(&b));
            let complement = PortSet::all().difference(&a);
            prop_assert_eq!(complement.union(&a).is_all(), true);
            prop_assert_eq!(a.is_all(), complement.is_empty());
        }

        #[test]
        fn conn_string_roundtrips_through_ranges(a in port_set()) {
            let text = a.to_conn_string();
            prop_assert!(!text.is_empty());
            if !a.is_all() && !a.is_empty() {
                // Rebuild the set from the printed text; canonical output
                // must describe exactly the same set.
                let mut back = PortSet::empty();
                let mut current = None;
                for piece in text.split(',') {
                    let ports = match piece.split_once(' ') {
                        Some((name, rest)) => {
                            current = Protocol::parse(name);
                            rest
                        }
                        None => piece,
                    };
                    let p = current.expect("group starts with a protocol");
                    let (lo, hi) = ports.split_once('-').unwrap_or((ports, ports));
                    let (lo, hi): (u16, u16) = (lo.parse().unwrap(), hi.parse().unwrap());
                    back.union_with(&PortSet::range(p, lo, hi));
                }
                prop_assert_eq!(back, a);
            }
        }
    }
}
