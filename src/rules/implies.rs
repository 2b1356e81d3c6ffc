//! Whether one label selector matches only objects another one matches,
//! decided exactly over every possible label set, not only over the objects
//! of the input.
//!
//! Label keys are independent of each other, so a selector is, per key, a
//! set of allowed values plus whether the key may be absent; a selector
//! implies another when, for every key the other one constrains, its own
//! allowed set is a subset. Values are arbitrary strings, so a set is either
//! finite (`In`) or everything but a finite set (`NotIn`, `Exists`).

use std::collections::{BTreeMap, BTreeSet};

use crate::model::Selector;
use crate::model::selector::Op;

/// The values a key may take in a present label.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Present {
    Only(BTreeSet<String>),
    AllBut(BTreeSet<String>),
}

/// What a selector allows for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    absent: bool,
    present: Present,
}

impl Allowed {
    fn anything() -> Self {
        Allowed {
            absent: true,
            present: Present::AllBut(BTreeSet::new()),
        }
    }

    fn of(op: &Op) -> Self {
        let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<String>>();
        match op {
            Op::In(v) => Allowed {
                absent: false,
                present: Present::Only(set(v)),
            },
            Op::NotIn(v) => Allowed {
                absent: true,
                present: Present::AllBut(set(v)),
            },
            Op::Exists => Allowed {
                absent: false,
                present: Present::AllBut(BTreeSet::new()),
            },
            Op::DoesNotExist => Allowed {
                absent: true,
                present: Present::Only(BTreeSet::new()),
            },
            // Rejected by the API server; matches nothing.
            Op::Invalid => Allowed {
                absent: false,
                present: Present::Only(BTreeSet::new()),
            },
        }
    }

    fn intersect(&self, other: &Allowed) -> Allowed {
        use Present::{AllBut, Only};
        let present = match (&self.present, &other.present) {
            (Only(a), Only(b)) => Only(a.intersection(b).cloned().collect()),
            (Only(a), AllBut(b)) | (AllBut(b), Only(a)) => Only(a.difference(b).cloned().collect()),
            (AllBut(a), AllBut(b)) => AllBut(a.union(b).cloned().collect()),
        };
        Allowed {
            absent: self.absent && other.absent,
            present,
        }
    }

    fn is_empty(&self) -> bool {
        !self.absent && matches!(&self.present, Present::Only(s) if s.is_empty())
    }

    fn is_subset(&self, other: &Allowed) -> bool {
        use Present::{AllBut, Only};
        if self.absent && !other.absent {
            return false;
        }
        match (&self.present, &other.present) {
            (Only(a), Only(b)) => a.is_subset(b),
            (Only(a), AllBut(b)) => a.is_disjoint(b),
            // Infinitely many values against finitely many.
            (AllBut(_), Only(_)) => false,
            (AllBut(a), AllBut(b)) => b.is_subset(a),
        }
    }
}

/// Per key, what a selector allows.
fn constraints(sel: &Selector) -> BTreeMap<&str, Allowed> {
    let mut keys: BTreeMap<&str, Allowed> = BTreeMap::new();
    for r in &sel.requirements {
        let allowed = Allowed::of(&r.op);
        keys.entry(r.key.as_str())
            .and_modify(|a| *a = a.intersect(&allowed))
            .or_insert(allowed);
    }
    keys
}

/// Whether some label set matches the selector.
pub fn satisfiable(sel: &Selector) -> bool {
    constraints(sel).values().all(|a| !a.is_empty())
}

/// Whether every label set `sub` matches is matched by `sup`.
pub fn implies(sub: &Selector, sup: &Selector) -> bool {
    let have = constraints(sub);
    if have.values().any(Allowed::is_empty) {
        return true;
    }
    let anything = Allowed::anything();
    sup.requirements.iter().all(|r| {
        have.get(r.key.as_str())
            .unwrap_or(&anything)
            .is_subset(&Allowed::of(&r.op))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::selector::Requirement;

    fn sel(reqs: &[(&str, Op)]) -> Selector {
        Selector {
            requirements: reqs
                .iter()
                .map(|(k, op)| Requirement {
                    key: k.to_string(),
                    op: op.clone(),
                })
                .collect(),
        }
    }

    fn vals(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn narrower_selectors_imply_wider_ones() {
        let web = sel(&[("app", Op::In(vals(&["web"])))]);
        let web_front = sel(&[
            ("app", Op::In(vals(&["web"]))),
            ("tier", Op::In(vals(&["front"]))),
        ]);
        let web_or_api = sel(&[("app", Op::In(vals(&["web", "api"])))]);
        let has_app = sel(&[("app", Op::Exists)]);
        let not_db = sel(&[("app", Op::NotIn(vals(&["db"])))]);
        let all = Selector::everything();
        assert!(implies(&web_front, &web));
        assert!(implies(&web, &web_or_api));
        assert!(implies(&web, &has_app));
        assert!(implies(&web, &not_db));
        assert!(implies(&web, &all));
        assert!(implies(&all, &all));
        assert!(!implies(&web, &web_front));
        assert!(!implies(&web_or_api, &web));
        assert!(!implies(&has_app, &web));
        assert!(!implies(&all, &web));
        // `NotIn` matches pods without the label; `Exists` does not.
        assert!(!implies(&not_db, &has_app));
        assert!(implies(
            &sel(&[("app", Op::Exists), ("app", Op::NotIn(vals(&["db"])))]),
            &not_db
        ));
        assert!(implies(
            &sel(&[("app", Op::NotIn(vals(&["db", "cache"])))]),
            &not_db
        ));
        assert!(!implies(
            &not_db,
            &sel(&[("app", Op::NotIn(vals(&["db", "cache"])))])
        ));
        assert!(implies(
            &sel(&[("x", Op::DoesNotExist)]),
            &sel(&[("x", Op::NotIn(vals(&["a"])))])
        ));
    }

    #[test]
    fn contradictions_match_nothing_and_imply_anything() {
        let never = sel(&[("app", Op::In(vals(&["web"]))), ("app", Op::DoesNotExist)]);
        assert!(!satisfiable(&never));
        assert!(implies(&never, &sel(&[("other", Op::In(vals(&["x"])))])));
        assert!(satisfiable(&sel(&[("app", Op::NotIn(vals(&["web"])))])));
        assert!(!satisfiable(&sel(&[("app", Op::Invalid)])));
    }
}
