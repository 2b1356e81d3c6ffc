//! CIDRs and exact sets of IP addresses.
//!
//! NetworkPolicy `ipBlock` peers name address ranges as a CIDR minus a list of
//! `except` CIDRs. IPv4 and IPv6 are separate address spaces and are never
//! mixed: an [`IpSet`] holds addresses of exactly one [`Family`], stored as
//! numbers (IPv4 widened to `u128`) in canonical interval form so that `==`
//! is set equality.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ports::interval;

/// An IP address family.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// Both families.
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    /// The family of an address. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
    /// is IPv6, as it is for Kubernetes.
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// Address width in bits: 32 or 128.
    pub fn bits(self) -> u8 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The highest address of the family as a number.
    pub fn max_value(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        })
    }
}

/// Why a string is not a CIDR.
#[derive(Clone, PartialEq, Eq, Debug, thiserror::Error)]
pub enum CidrError {
    /// The address or prefix part is malformed; the message says which.
    #[error("{0}")]
    Syntax(String),
    /// A bare address: Kubernetes requires the `/prefix` in `ipBlock` CIDRs.
    #[error("missing prefix length in {0:?}: Kubernetes requires CIDR notation such as \"{0}/32\"")]
    MissingPrefix(String),
    /// A well-formed prefix length that is too long for the address family.
    #[error("prefix length /{prefix} is out of range for {family} (max /{})", .family.bits())]
    PrefixOutOfRange { family: Family, prefix: String },
}

/// A parsed CIDR such as `10.0.0.0/8` or `fd00::/8`.
///
/// `addr` is the address as written, host bits included, so rules can report
/// `10.0.0.1/8`; everything that computes with the CIDR ([`Cidr::first`],
/// [`Cidr::contains`], [`IpSet::from_cidr`], ...) uses the network it denotes,
/// with host bits cleared, as Kubernetes does.
///
/// The fields are public; a hand-built value whose `prefix` exceeds the family
/// width or whose `addr` is of the other family is handled without panicking
/// (the prefix is capped, the address reduced to the family's width), but only
/// [`Cidr::parse`] and [`Cidr::new`] guarantee a consistent value.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Cidr {
    pub family: Family,
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// A CIDR from an address and prefix length; errors if the prefix is
    /// longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Cidr, CidrError> {
        let family = Family::of(&addr);
        if prefix > family.bits() {
            return Err(CidrError::PrefixOutOfRange {
                family,
                prefix: prefix.to_string(),
            });
        }
        Ok(Cidr {
            family,
            addr,
            prefix,
        })
    }

    /// Parses `"10.0.0.0/8"` or `"fd00::/8"`.
    ///
    /// Kubernetes requires the prefix, so a bare address is an error, as is
    /// surrounding whitespace, an empty or signed prefix, or a prefix longer
    /// than the family allows. Host bits are allowed (see
    /// [`Cidr::has_host_bits`]).
    pub fn parse(s: &str) -> Result<Cidr, CidrError> {
        if s.is_empty() {
            return Err(CidrError::Syntax("empty CIDR".to_owned()));
        }
        let Some((addr_text, prefix_text)) = s.split_once('/') else {
            return Err(match s.parse::<IpAddr>() {
                Ok(_) => CidrError::MissingPrefix(s.to_owned()),
                Err(_) => CidrError::Syntax(format!("invalid CIDR {s:?}: expected address/prefix")),
            });
        };
        let addr: IpAddr = addr_text.parse().map_err(|_| {
            CidrError::Syntax(format!("invalid IP address {addr_text:?} in CIDR {s:?}"))
        })?;
        let family = Family::of(&addr);
        // `u8::from_str` would also take "+8"; a prefix is plain digits only.
        if prefix_text.is_empty() || !prefix_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CidrError::Syntax(format!(
                "invalid prefix length {prefix_text:?} in CIDR {s:?}: expected 0 to {}",
                family.bits()
            )));
        }
        // All digits, so the only way to fail is being too large for u8.
        match prefix_text.parse::<u8>() {
            Ok(prefix) if prefix <= family.bits() => Ok(Cidr {
                family,
                addr,
                prefix,
            }),
            _ => Err(CidrError::PrefixOutOfRange {
                family,
                prefix: prefix_text.to_owned(),
            }),
        }
    }

    /// The prefix length, capped at the family width.
    fn effective_prefix(&self) -> u8 {
        self.prefix.min(self.family.bits())
    }

    /// Bit mask of the host part, within the family's width.
    fn host_mask(&self) -> u128 {
        let host_bits = u32::from(self.family.bits() - self.effective_prefix());
        // A /0 IPv6 CIDR has 128 host bits, where `1 << 128` would overflow.
        1u128.checked_shl(host_bits).map_or(u128::MAX, |b| b - 1)
    }

    /// The address as written, as a number within the family's width.
    fn addr_value(&self) -> u128 {
        let v = match self.addr {
            IpAddr::V4(a) => u128::from(u32::from(a)),
            IpAddr::V6(a) => u128::from(a),
        };
        v & self.family.max_value()
    }

    /// Whether the address has bits set past the prefix, as in `10.0.0.1/8`.
    /// Kubernetes accepts such CIDRs and ignores those bits, which usually
    /// hides a typo.
    pub fn has_host_bits(&self) -> bool {
        self.addr_value() & self.host_mask() != 0
    }

    /// The same CIDR with host bits cleared: `10.0.0.1/8` gives `10.0.0.0/8`.
    pub fn network(&self) -> Cidr {
        Cidr {
            family: self.family,
            addr: to_ip_addr(self.family, self.first()),
            prefix: self.effective_prefix(),
        }
    }

    /// The lowest address of the CIDR, as a number (IPv4 widened from `u32`).
    pub fn first(&self) -> u128 {
        self.addr_value() & !self.host_mask()
    }

    /// The highest address of the CIDR, as a number (IPv4 widened from `u32`).
    pub fn last(&self) -> u128 {
        self.first() | self.host_mask()
    }

    /// Whether every address of `other` is in `self`. CIDRs of different
    /// families never contain each other.
    pub fn contains(&self, other: &Cidr) -> bool {
        self.family == other.family && self.first() <= other.first() && other.last() <= self.last()
    }

    /// Whether the CIDR is the whole family: `0.0.0.0/0` or `::/0`.
    pub fn is_catch_all(&self) -> bool {
        self.effective_prefix() == 0
    }
}

impl fmt::Display for Cidr {
    /// `addr/prefix` with the address as written (host bits kept), in the
    /// standard library's canonical text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A set of addresses of one family, as sorted, disjoint, non-adjacent,
/// inclusive `u128` intervals (IPv4 addresses widened from `u32`).
///
/// Canonical form makes the derived `==` and `Hash` set equality. Sets of
/// different families never share an address, so operations that mix families
/// treat the other operand as empty: `intersect` gives the empty set of
/// `self`'s family, `difference` gives `self`, `intersects` is false,
/// `is_subset` holds only for an empty `self`, and `union` returns `self`
/// unchanged (an `IpSet` cannot hold both families; callers keep one set per
/// family).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct IpSet {
    family: Family,
    ranges: Vec<(u128, u128)>,
}

impl IpSet {
    /// No addresses.
    pub fn empty(family: Family) -> Self {
        IpSet {
            family,
            ranges: Vec::new(),
        }
    }

    /// Every address of the family.
    pub fn all(family: Family) -> Self {
        IpSet {
            family,
            ranges: vec![(0, family.max_value())],
        }
    }

    /// The addresses of a CIDR (host bits ignored).
    pub fn from_cidr(cidr: &Cidr) -> Self {
        IpSet {
            family: cidr.family,
            ranges: vec![(cidr.first(), cidr.last())],
        }
    }

    /// Addresses `lo..=hi`; `hi` is capped at the family's highest address and
    /// the set is empty if `lo > hi`.
    pub fn range(family: Family, lo: u128, hi: u128) -> Self {
        let hi = hi.min(family.max_value());
        IpSet {
            family,
            ranges: if lo <= hi { vec![(lo, hi)] } else { Vec::new() },
        }
    }

    /// A NetworkPolicy `ipBlock`: the addresses of `cidr` minus those of every
    /// `except`. Kubernetes rejects excepts outside the CIDR or of the other
    /// family; here such excepts simply remove nothing beyond what they
    /// overlap.
    pub fn from_block(cidr: &Cidr, excepts: &[Cidr]) -> Self {
        let removed = interval::normalize(
            excepts
                .iter()
                .filter(|e| e.family == cidr.family)
                .map(|e| (e.first(), e.last()))
                .collect(),
        );
        IpSet {
            family: cidr.family,
            ranges: interval::difference(&[(cidr.first(), cidr.last())], &removed),
        }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether the set is every address of its family.
    pub fn is_all(&self) -> bool {
        self.ranges.as_slice() == [(0, self.family.max_value())]
    }

    /// The canonical intervals, ascending.
    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Addresses in either set; `self` unchanged if `other` is of the other
    /// family.
    pub fn union(&self, other: &Self) -> Self {
        if self.family != other.family {
            return self.clone();
        }
        self.with_ranges(interval::union(&self.ranges, &other.ranges))
    }

    /// Addresses in both sets; empty if the families differ.
    pub fn intersect(&self, other: &Self) -> Self {
        if self.family != other.family {
            return Self::empty(self.family);
        }
        self.with_ranges(interval::intersect(&self.ranges, &other.ranges))
    }

    /// Addresses in `self` but not in `other`; `self` if the families differ.
    pub fn difference(&self, other: &Self) -> Self {
        if self.family != other.family {
            return self.clone();
        }
        self.with_ranges(interval::difference(&self.ranges, &other.ranges))
    }

    /// Whether the numeric address `addr` (of this set's family) is in the set.
    pub fn contains_addr(&self, addr: u128) -> bool {
        interval::contains(&self.ranges, addr)
    }

    /// Whether every address of `self` is in `other`.
    pub fn is_subset(&self, other: &Self) -> bool {
        if self.family != other.family {
            return self.is_empty();
        }
        interval::is_subset(&self.ranges, &other.ranges)
    }

    /// Whether the sets share an address; never for different families.
    pub fn intersects(&self, other: &Self) -> bool {
        self.family == other.family && interval::intersects(&self.ranges, &other.ranges)
    }

    fn with_ranges(&self, ranges: Vec<(u128, u128)>) -> Self {
        IpSet {
            family: self.family,
            ranges,
        }
    }
}

/// Splits the whole address space of `family` at the boundaries of the given
/// CIDRs (pass `cidr`s and `except`s alike).
///
/// The result is contiguous, disjoint, sorted ranges that cover the family's
/// entire space exactly once, such that every given CIDR is a union of some of
/// them; so any set built from these CIDRs is either all in or all out of each
/// piece, and the engine can evaluate one representative per piece. Adjacent
/// pieces are not merged. CIDRs of the other family are ignored. With no CIDRs
/// the result is one range covering everything.
pub fn partition(family: Family, cidrs: &[Cidr]) -> Vec<(u128, u128)> {
    let max = family.max_value();
    // Where a piece starts: the space's start, each CIDR's start, and the
    // address just past each CIDR (none past a CIDR that ends the space).
    let mut starts = vec![0u128];
    for c in cidrs.iter().filter(|c| c.family == family) {
        starts.push(c.first());
        starts.extend(c.last().checked_add(1).filter(|&s| s <= max));
    }
    starts.sort_unstable();
    starts.dedup();
    let mut pieces = Vec::with_capacity(starts.len());
    for (i, &lo) in starts.iter().enumerate() {
        // The next start is strictly greater, so it has a predecessor.
        let hi = starts
            .get(i + 1)
            .map_or(max, |&next| next.saturating_sub(1));
        pieces.push((lo, hi));
    }
    pieces
}

/// The address `value` of `family` as a std address; an IPv4 value above
/// `u32::MAX` is capped.
pub fn to_ip_addr(family: Family, value: u128) -> IpAddr {
    match family {
        Family::V4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX))),
        Family::V6 => IpAddr::V6(Ipv6Addr::from(value)),
    }
}

/// An address range as `lo-hi` in standard address notation, e.g.
/// `0.0.0.0-255.255.255.255`, `10.0.0.0-10.10.255.255`, or for IPv6
/// `::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff`. A single address still
/// prints as a range (`10.0.0.1-10.0.0.1`).
pub fn format_range(family: Family, lo: u128, hi: u128) -> String {
    format!("{}-{}", to_ip_addr(family, lo), to_ip_addr(family, hi))
}

/// Parses a single IP address (no prefix) into its family and numeric value.
pub fn parse_addr(s: &str) -> Option<(Family, u128)> {
    match s.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => Some((Family::V4, u128::from(u32::from(a)))),
        IpAddr::V6(a) => Some((Family::V6, u128::from(a))),
    }
}

#[cfg(test)]
mod tests {
    use super::interval::is_canonical;
    use super::*;
    use proptest::prelude::*;

    use Family::{V4, V6};

    fn cidr(s: &str) -> Cidr {
        Cidr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn addr(s: &str) -> u128 {
        parse_addr(s).unwrap().1
    }

    #[test]
    fn parses_cidrs() {
        let c = cidr("10.0.0.0/8");
        assert_eq!((c.family, c.prefix), (V4, 8));
        assert_eq!(c.addr, "10.0.0.0".parse::<IpAddr>().unwrap());
        assert_eq!(c.to_string(), "10.0.0.0/8");
        let c = cidr("fd00::/8");
        assert_eq!((c.family, c.prefix), (V6, 8));
        assert_eq!(c.to_string(), "fd00::/8");
        assert_eq!(cidr("0.0.0.0/0").last(), u128::from(u32::MAX));
        assert_eq!(cidr("10.0.0.0/08").prefix, 8);
        assert_eq!(cidr("::ffff:10.0.0.0/104").family, V6);
        assert_eq!(cidr("FD00:0::1/128").to_string(), "fd00::1/128");
    }

    #[test]
    fn rejects_bad_cidrs() {
        for bad in [
            "",
            "/",
            "/8",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0.0/8/9",
            "10.0.0.0/ 8",
            " 10.0.0.0/8",
            "10.0.0.0/8 ",
            "10.0.0/8",
            "10.0.0.256/8",
            "garbage",
            "garbage/8",
            "fe80::1%eth0/64",
            "10.0.0.0/x",
            "::/1e2",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(CidrError::Syntax(_))),
                "{bad:?} gave {:?}",
                Cidr::parse(bad)
            );
        }
        assert_eq!(
            Cidr::parse("10.0.0.1"),
            Err(CidrError::MissingPrefix("10.0.0.1".to_owned()))
        );
        assert!(matches!(
            Cidr::parse("::1"),
            Err(CidrError::MissingPrefix(_))
        ));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "::/256",
            "10.0.0.0/99999999999999999999999",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(CidrError::PrefixOutOfRange { .. })),
                "{bad:?}"
            );
        }
        assert_eq!(
            Cidr::parse("10.0.0.0/33").unwrap_err().to_string(),
            "prefix length /33 is out of range for IPv4 (max /32)"
        );
        assert_eq!(
            Cidr::parse("10.0.0.1").unwrap_err().to_string(),
            "missing prefix length in \"10.0.0.1\": Kubernetes requires CIDR notation such as \
             \"10.0.0.1/32\""
        );
        assert_eq!(
            Cidr::parse("10.0.0.0/x").unwrap_err().to_string(),
            "invalid prefix length \"x\" in CIDR \"10.0.0.0/x\": expected 0 to 32"
        );
        assert!(Cidr::new("10.0.0.0".parse().unwrap(), 33).is_err());
        assert_eq!(
            Cidr::new("::".parse().unwrap(), 128).map(|c| c.prefix),
            Ok(128)
        );
    }

    #[test]
    fn host_bits_and_network() {
        let c = cidr("10.0.0.1/8");
        assert!(c.has_host_bits());
        assert_eq!(c.to_string(), "10.0.0.1/8");
        assert_eq!(c.network().to_string(), "10.0.0.0/8");
        assert!(!c.network().has_host_bits());
        assert_eq!(c.first(), addr("10.0.0.0"));
        assert_eq!(c.last(), addr("10.255.255.255"));
        assert!(!cidr("10.0.0.1/32").has_host_bits());
        assert!(!cidr("::1/128").has_host_bits());
        assert!(cidr("::1/127").has_host_bits());
        assert!(cidr("1.0.0.0/0").has_host_bits());
        assert_eq!(cidr("fd00::1/8").network().to_string(), "fd00::/8");
    }

    #[test]
    fn prefix_edges() {
        let all6 = cidr("::/0");
        assert_eq!((all6.first(), all6.last()), (0, u128::MAX));
        assert!(all6.is_catch_all());
        let all4 = cidr("0.0.0.0/0");
        assert_eq!((all4.first(), all4.last()), (0, u128::from(u32::MAX)));
        assert!(all4.is_catch_all());
        assert!(!cidr("0.0.0.0/1").is_catch_all());
        let host4 = cidr("255.255.255.255/32");
        assert_eq!(
            (host4.first(), host4.last()),
            (u128::from(u32::MAX), u128::from(u32::MAX))
        );
        let host6 = cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
        assert_eq!((host6.first(), host6.last()), (u128::MAX, u128::MAX));
        assert_eq!(cidr("::/1").last(), u128::MAX >> 1);
        assert_eq!(cidr("8000::/1").first(), 1 << 127);
        assert!(IpSet::from_cidr(&all6).is_all());
        assert!(IpSet::from_cidr(&all4).is_all());
    }

    #[test]
    fn hand_built_cidrs_do_not_panic() {
        let odd = Cidr {
            family: V4,
            addr: "ffff::1".parse().unwrap(),
            prefix: 200,
        };
        assert!(odd.last() <= u128::from(u32::MAX));
        assert_eq!(odd.first(), odd.last());
        let _ = (
            odd.has_host_bits(),
            odd.network(),
            odd.is_catch_all(),
            odd.to_string(),
        );
        let odd6 = Cidr {
            family: V6,
            addr: "10.0.0.0".parse().unwrap(),
            prefix: 255,
        };
        let _ = (
            odd6.first(),
            odd6.last(),
            odd6.network(),
            IpSet::from_block(&odd6, &[odd]),
        );
    }

    #[test]
    fn contains_cidr() {
        assert!(cidr("10.0.0.0/8").contains(&cidr("10.1.0.0/16")));
        assert!(cidr("10.0.0.0/8").contains(&cidr("10.0.0.0/8")));
        assert!(!cidr("10.1.0.0/16").contains(&cidr("10.0.0.0/8")));
        assert!(!cidr("10.0.0.0/8").contains(&cidr("11.0.0.0/8")));
        assert!(cidr("0.0.0.0/0").contains(&cidr("10.0.0.0/8")));
        // Numerically inside, but a different family.
        assert!(!cidr("::/0").contains(&cidr("10.0.0.0/8")));
        assert!(!cidr("0.0.0.0/0").contains(&cidr("::/96")));
    }

    #[test]
    fn formats_ranges() {
        assert_eq!(
            format_range(V4, 0, u128::from(u32::MAX)),
            "0.0.0.0-255.255.255.255"
        );
        let c = cidr("10.0.0.0/12");
        assert_eq!(
            format_range(V4, c.first(), addr("10.10.255.255")),
            "10.0.0.0-10.10.255.255"
        );
        assert_eq!(
            format_range(V6, 0, u128::MAX),
            "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        let f = cidr("fd00::/8");
        assert_eq!(
            format_range(V6, f.first(), f.last()),
            "fd00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        // Out-of-range IPv4 numbers are capped rather than panicking.
        assert_eq!(format_range(V4, 0, u128::MAX), "0.0.0.0-255.255.255.255");
    }

    #[test]
    fn parses_addresses() {
        assert_eq!(parse_addr("10.0.0.1"), Some((V4, 0x0a00_0001)));
        assert_eq!(parse_addr("::1"), Some((V6, 1)));
        assert_eq!(parse_addr("::ffff:1.2.3.4").map(|(f, _)| f), Some(V6));
        assert_eq!(parse_addr("10.0.0.1/32"), None);
        assert_eq!(parse_addr(""), None);
        assert_eq!(parse_addr("1.2.3"), None);
    }

    #[test]
    fn blocks() {
        let b = IpSet::from_block(
            &cidr("10.0.0.0/8"),
            &[
                cidr("10.1.0.0/16"),
                cidr("10.2.0.0/16"),
                cidr("10.1.2.0/24"),
            ],
        );
        assert_eq!(
            b.ranges(),
            &[
                (addr("10.0.0.0"), addr("10.0.255.255")),
                (addr("10.3.0.0"), addr("10.255.255.255"))
            ]
        );
        // Excepting everything leaves nothing; other-family excepts are ignored.
        assert!(IpSet::from_block(&cidr("10.0.0.0/8"), &[cidr("0.0.0.0/0")]).is_empty());
        assert_eq!(
            IpSet::from_block(&cidr("10.0.0.0/8"), &[cidr("::/0")]),
            IpSet::from_cidr(&cidr("10.0.0.0/8"))
        );
        let all_but_top = IpSet::from_block(&cidr("::/0"), &[cidr("ffff::/16")]);
        assert_eq!(all_but_top.ranges(), &[(0, (0xffff << 112) - 1)]);
        assert!(!all_but_top.contains_addr(u128::MAX));
        assert!(all_but_top.contains_addr(0));
    }

    #[test]
    fn mixed_families_are_disjoint() {
        let v4 = IpSet::all(V4);
        let v6 = IpSet::all(V6);
        assert_eq!(v4.union(&v6), v4);
        assert_eq!(v4.intersect(&v6), IpSet::empty(V4));
        assert_eq!(v4.difference(&v6), v4);
        assert!(!v4.intersects(&v6));
        assert!(!v4.is_subset(&v6));
        assert!(IpSet::empty(V4).is_subset(&v6));
    }

    #[test]
    fn partition_examples() {
        assert_eq!(partition(V4, &[]), vec![(0, u128::from(u32::MAX))]);
        assert_eq!(partition(V6, &[]), vec![(0, u128::MAX)]);
        assert_eq!(partition(V6, &[cidr("::/0")]), vec![(0, u128::MAX)]);
        assert_eq!(
            partition(V4, &[cidr("::/0")]),
            vec![(0, u128::from(u32::MAX))]
        );
        let p = partition(V4, &[cidr("10.0.0.0/8"), cidr("10.1.0.0/16")]);
        let text: Vec<_> = p.iter().map(|&(lo, hi)| format_range(V4, lo, hi)).collect();
        assert_eq!(
            text,
            [
                "0.0.0.0-9.255.255.255",
                "10.0.0.0-10.0.255.255",
                "10.1.0.0-10.1.255.255",
                "10.2.0.0-10.255.255.255",
                "11.0.0.0-255.255.255.255",
            ]
        );
        let top = partition(V6, &[cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128")]);
        assert_eq!(top, vec![(0, u128::MAX - 1), (u128::MAX, u128::MAX)]);
        let bottom = partition(V4, &[cidr("0.0.0.0/32")]);
        assert_eq!(bottom, vec![(0, 0), (1, u128::from(u32::MAX))]);
    }

    // ---- property tests ----

    fn family() -> impl Strategy<Value = Family> {
        prop_oneof![Just(V4), Just(V6)]
    }

    /// A number of `family`, biased to the edges of the space and to a small
    /// window so intervals collide.
    fn value(family: Family) -> impl Strategy<Value = u128> {
        let max = family.max_value();
        prop_oneof![
            0u128..=3,
            (max - 3)..=max,
            0x0a00_0000u128..=0x0a00_0010,
            any::<u128>().prop_map(move |v| v & max),
        ]
    }

    fn cidr_of(family: Family) -> impl Strategy<Value = Cidr> {
        let bits = family.bits();
        (value(family), prop_oneof![0..=bits, (bits - 4)..=bits]).prop_map(move |(v, prefix)| {
            Cidr::new(to_ip_addr(family, v), prefix).expect("prefix within family width")
        })
    }

    fn cidrs_of(family: Family) -> impl Strategy<Value = Vec<Cidr>> {
        prop::collection::vec(cidr_of(family), 0..6)
    }

    fn ip_set(family: Family) -> impl Strategy<Value = IpSet> {
        let piece = prop_oneof![
            (value(family), value(family))
                .prop_map(move |(a, b)| { IpSet::range(family, a.min(b), a.max(b)) }),
            cidr_of(family).prop_map(|c| IpSet::from_cidr(&c)),
        ];
        prop::collection::vec(piece, 0..5).prop_map(move |parts| {
            parts
                .iter()
                .fold(IpSet::empty(family), |acc, p| acc.union(p))
        })
    }

    fn two_sets() -> impl Strategy<Value = (IpSet, IpSet)> {
        family().prop_flat_map(|f| (ip_set(f), ip_set(f)))
    }

    fn three_sets() -> impl Strategy<Value = (IpSet, IpSet, IpSet)> {
        family().prop_flat_map(|f| (ip_set(f), ip_set(f), ip_set(f)))
    }

    /// Points where membership in any of the intervals can change, with
    /// neighbours: sets built from them are constant in between.
    fn critical_points(family: Family, ranges: &[(u128, u128)]) -> Vec<u128> {
        let max = family.max_value();
        let mut pts = vec![0, 1, max - 1, max];
        for &(lo, hi) in ranges {
            for x in [lo, hi] {
                pts.push(x);
                pts.extend(x.checked_sub(1));
                pts.extend(x.checked_add(1).filter(|&y| y <= max));
            }
        }
        pts
    }

    fn assert_well_formed(s: &IpSet) {
        assert!(is_canonical(s.ranges()), "{s:?}");
        assert!(
            s.ranges()
                .last()
                .is_none_or(|&(_, hi)| hi <= s.family().max_value()),
            "{s:?}"
        );
    }

    proptest! {
        #[test]
        fn union_laws((a, b, c) in three_sets()) {
            prop_assert_eq!(a.union(&b), b.union(&a));
            prop_assert_eq!(a.union(&b).union(&c), a.union(&b.union(&c)));
            prop_assert_eq!(a.union(&a), a.clone());
        }

        #[test]
        fn ops_match_pointwise((a, b) in two_sets(), extra in any::<u128>()) {
            let f = a.family();
            let u = a.union(&b);
            let i = a.intersect(&b);
            let d = a.difference(&b);
            for s in [&a, &b, &u, &i, &d] {
                assert_well_formed(s);
            }
            let all: Vec<_> = a.ranges().iter().chain(b.ranges()).copied().collect();
            let mut pts = critical_points(f, &all);
            pts.push(extra & f.max_value());
            for x in pts {
                let (ia, ib) = (a.contains_addr(x), b.contains_addr(x));
                prop_assert_eq!(u.contains_addr(x), ia || ib);
                prop_assert_eq!(i.contains_addr(x), ia && ib);
                prop_assert_eq!(d.contains_addr(x), ia && !ib);
            }
            prop_assert_eq!(a.intersects(&b), !i.is_empty());
            prop_assert_eq!(a.is_subset(&b), d.is_empty());
            prop_assert!(i.is_subset(&a) && i.is_subset(&b) && a.is_subset(&u));
        }

        #[test]
        fn difference_and_intersection_rebuild((a, b) in two_sets()) {
            prop_assert_eq!(a.difference(&b).union(&a.intersect(&b)), a.clone());
            prop_assert!(!a.difference(&b).intersects(&b));
            let complement = IpSet::all(a.family()).difference(&a);
            prop_assert!(complement.union(&a).is_all());
            prop_assert_eq!(a.is_all(), complement.is_empty());
        }

        #[test]
        fn cidr_ranges_are_aligned(c in family().prop_flat_map(cidr_of)) {
            let size_minus_one = c.last() - c.first();
            // A CIDR spans a power of two and starts on a multiple of it.
            prop_assert!(size_minus_one.checked_add(1).is_none_or(|n| n.is_power_of_two()));
            prop_assert_eq!(c.first() & size_minus_one, 0);
            prop_assert_eq!(Cidr::parse(&c.to_string()), Ok(c));
            prop_assert!(c.network().contains(&c) && c.contains(&c.network()));
            prop_assert_eq!(c.has_host_bits(), c.network().addr != c.addr);
            prop_assert_eq!(c.is_catch_all(), IpSet::from_cidr(&c).is_all());
        }

        #[test]
        fn partition_covers_space_and_splits_cidrs(
            (f, cidrs) in family().prop_flat_map(|f| (Just(f), cidrs_of(f))),
            foreign in prop::collection::vec(family().prop_flat_map(cidr_of), 0..3),
        ) {
            let mut input = cidrs.clone();
            input.extend(foreign);
            let pieces = partition(f, &input);
            prop_assert_eq!(pieces.first().map(|p| p.0), Some(0));
            prop_assert_eq!(pieces.last().map(|p| p.1), Some(f.max_value()));
            for &(lo, hi) in &pieces {
                prop_assert!(lo <= hi);
            }
            for w in pieces.windows(2) {
                prop_assert_eq!(w[0].1.checked_add(1), Some(w[1].0));
            }
            for c in input.iter().filter(|c| c.family == f) {
                // Each piece is wholly inside or wholly outside the CIDR, and
                // the inside pieces are exactly the CIDR.
                let inside: Vec<_> = pieces
                    .iter()
                    .copied()
                    .filter(|&(lo, hi)| c.first() <= lo && hi <= c.last())
                    .collect();
                for &(lo, hi) in &pieces {
                    prop_assert!(hi < c.first() || lo > c.last() || inside.contains(&(lo, hi)));
                }
                prop_assert_eq!(inside.first().map(|p| p.0), Some(c.first()));
                prop_assert_eq!(inside.last().map(|p| p.1), Some(c.last()));
            }
        }

        #[test]
        fn from_block_is_cidr_minus_excepts(
            (block, excepts) in family().prop_flat_map(|f| {
                (cidr_of(f), prop::collection::vec(cidr_of(f), 0..5))
            }),
            extra in any::<u128>(),
        ) {
            let f = block.family;
            let set = IpSet::from_block(&block, &excepts);
            assert_well_formed(&set);
            let mut bounds = vec![(block.first(), block.last())];
            bounds.extend(excepts.iter().map(|e| (e.first(), e.last())));
            let mut pts = critical_points(f, &bounds);
            pts.push(extra & f.max_value());
            let inside = |c: &Cidr, x: u128| c.first() <= x && x <= c.last();
            for x in pts {
                let expected = inside(&block, x) && !excepts.iter().any(|e| inside(e, x));
                prop_assert_eq!(set.contains_addr(x), expected, "at {}", x);
            }
            let by_ops = excepts.iter().fold(IpSet::from_cidr(&block), |acc, e| {
                acc.difference(&IpSet::from_cidr(e))
            });
            prop_assert_eq!(set, by_ops);
        }
    }
}
