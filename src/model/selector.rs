//! Label selectors, evaluated exactly as Kubernetes does.
//!
//! `matchLabels` and `matchExpressions` are ANDed; an empty selector matches
//! everything. `NotIn` and `DoesNotExist` match objects that lack the key.
//! A selector the API server would reject (`In` with no values, an unknown
//! operator) is kept but marked invalid and matches nothing, which is what an
//! analysis of the broken policy can honestly say; the `invalid-selector`
//! rule reports it.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

pub type Labels = BTreeMap<String, String>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Op {
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    /// Rejected by the API server; matches nothing.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
}

impl Requirement {
    pub fn matches(&self, labels: &Labels) -> bool {
        let value = labels.get(&self.key);
        match &self.op {
            Op::In(values) => value.is_some_and(|v| values.contains(v)),
            Op::NotIn(values) => value.is_none_or(|v| !values.contains(v)),
            Op::Exists => value.is_some(),
            Op::DoesNotExist => value.is_none(),
            Op::Invalid => false,
        }
    }
}

/// A compiled `LabelSelector`: all requirements must hold.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Selector {
    pub requirements: Vec<Requirement>,
}

impl Selector {
    /// Matches every object.
    pub fn everything() -> Self {
        Selector::default()
    }

    pub fn from_k8s(sel: &LabelSelector) -> Self {
        let mut requirements = Vec::new();
        for (k, v) in sel.match_labels.iter().flatten() {
            requirements.push(Requirement {
                key: k.clone(),
                op: Op::In(vec![v.clone()]),
            });
        }
        for e in sel.match_expressions.iter().flatten() {
            let values = e.values.clone().unwrap_or_default();
            let op = match e.operator.as_str() {
                "In" if !values.is_empty() => Op::In(values),
                "NotIn" if !values.is_empty() => Op::NotIn(values),
                "Exists" if values.is_empty() => Op::Exists,
                "DoesNotExist" if values.is_empty() => Op::DoesNotExist,
                _ => Op::Invalid,
            };
            requirements.push(Requirement {
                key: e.key.clone(),
                op,
            });
        }
        Selector { requirements }
    }

    pub fn is_everything(&self) -> bool {
        self.requirements.is_empty()
    }

    pub fn is_valid(&self) -> bool {
        self.requirements.iter().all(|r| r.op != Op::Invalid)
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// Labels of a representative object that this selector matches, when
    /// there is an obvious one (`matchLabels` and `In` only use their first
    /// value; `Exists` gets an arbitrary value). `None` when the selector can
    /// match nothing or needs a label to be absent and present at once.
    pub fn representative(&self) -> Option<Labels> {
        let mut labels = Labels::new();
        for r in &self.requirements {
            match &r.op {
                Op::In(values) => {
                    let v = labels.get(&r.key).cloned();
                    match v {
                        Some(v) if !values.contains(&v) => return None,
                        Some(_) => {}
                        None => {
                            labels.insert(r.key.clone(), values[0].clone());
                        }
                    }
                }
                Op::Exists => {
                    labels.entry(r.key.clone()).or_insert_with(|| "x".into());
                }
                Op::NotIn(_) | Op::DoesNotExist => {}
                Op::Invalid => return None,
            }
        }
        self.matches(&labels).then_some(labels)
    }
}

impl std::fmt::Display for Selector {
    /// The `kubectl get -l` syntax: `app=web,tier in (a,b),!legacy`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.requirements.is_empty() {
            return f.write_str("<all>");
        }
        for (i, r) in self.requirements.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match &r.op {
                Op::In(v) if v.len() == 1 => write!(f, "{}={}", r.key, v[0])?,
                Op::In(v) => write!(f, "{} in ({})", r.key, v.join(","))?,
                Op::NotIn(v) => write!(f, "{} notin ({})", r.key, v.join(","))?,
                Op::Exists => write!(f, "{}", r.key)?,
                Op::DoesNotExist => write!(f, "!{}", r.key)?,
                Op::Invalid => write!(f, "{} <invalid>", r.key)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn expr(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
        LabelSelectorRequirement {
            key: key.into(),
            operator: op.into(),
            values: if values.is_empty() {
                None
            } else {
                Some(values.iter().map(|s| s.to_string()).collect())
            },
        }
    }

    #[test]
    fn empty_selector_matches_everything() {
        let s = Selector::from_k8s(&LabelSelector::default());
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("a", "b")])));
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let sel = LabelSelector {
            match_labels: Some([("app".to_string(), "web".to_string())].into()),
            match_expressions: Some(vec![expr("tier", "In", &["a", "b"])]),
        };
        let s = Selector::from_k8s(&sel);
        assert!(s.matches(&labels(&[("app", "web"), ("tier", "a")])));
        assert!(!s.matches(&labels(&[("app", "web")])));
        assert!(!s.matches(&labels(&[("tier", "a")])));
    }

    #[test]
    fn notin_and_doesnotexist_match_missing_keys() {
        let s = Selector::from_k8s(&LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![
                expr("env", "NotIn", &["prod"]),
                expr("legacy", "DoesNotExist", &[]),
            ]),
        });
        assert!(s.matches(&labels(&[])));
        assert!(s.matches(&labels(&[("env", "dev")])));
        assert!(!s.matches(&labels(&[("env", "prod")])));
        assert!(!s.matches(&labels(&[("legacy", "")])));
    }

    #[test]
    fn invalid_expressions_match_nothing() {
        for (op, values) in [
            ("In", &[][..]),
            ("Exists", &["x"][..]),
            ("Equals", &["x"][..]),
        ] {
            let s = Selector::from_k8s(&LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![expr("k", op, values)]),
            });
            assert!(!s.is_valid());
            assert!(!s.matches(&labels(&[("k", "x")])), "{op}");
        }
    }

    #[test]
    fn representative_satisfies_the_selector() {
        let s = Selector::from_k8s(&LabelSelector {
            match_labels: Some([("app".to_string(), "db".to_string())].into()),
            match_expressions: Some(vec![
                expr("tier", "Exists", &[]),
                expr("x", "NotIn", &["1"]),
            ]),
        });
        let r = s.representative().unwrap();
        assert!(s.matches(&r));
    }
}
