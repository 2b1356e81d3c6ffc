//! A serde `Deserializer` over the span tree, with Kubernetes scalar rules.
//!
//! Kubernetes reads manifests through sigs.k8s.io/yaml, which resolves plain
//! scalars the YAML 1.1 way of go-yaml v2: `yes`/`on`/`y` are booleans, `010`
//! is octal 8, `0x50` is 80, underscores in numbers are dropped. Quoted
//! scalars are always strings. [`resolve`] is the one place that encodes this.
//! Errors carry the span of the innermost node that failed, so a wrong type
//! deep inside a policy is reported at its own line and column.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use super::Span;
use super::yaml::{Node, NodeKind, ScalarStyle};

/// What a scalar means to Kubernetes.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

pub fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Resolves a scalar as go-yaml v2 does for Kubernetes.
pub fn resolve(text: &str, style: ScalarStyle) -> Scalar<'_> {
    if !style.is_plain() {
        return Scalar::Str(text);
    }
    if is_null(text) {
        return Scalar::Null;
    }
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Scalar::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Scalar::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Scalar::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Scalar::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Scalar::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Scalar::Str(text);
    }
    if let Some(i) = parse_int(text) {
        return Scalar::Int(i);
    }
    if is_float(text)
        && let Ok(f) = text.replace('_', "").parse::<f64>()
    {
        return Scalar::Float(f);
    }
    Scalar::Str(text)
}

/// go-yaml v2 integers: decimal, `0x` hex, `0b` binary, leading-zero octal
/// (and Go's `0o`), with `_` separators.
fn parse_int(text: &str) -> Option<i64> {
    let cleaned: String = text.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match cleaned.as_bytes().first()? {
        b'-' => (true, &cleaned[1..]),
        b'+' => (false, &cleaned[1..]),
        _ => (false, &cleaned[..]),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(h) = body.strip_prefix("0x") {
        (16, h)
    } else if let Some(b) = body.strip_prefix("0b") {
        (2, b)
    } else if let Some(o) = body.strip_prefix("0o") {
        (8, o)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

fn is_float(text: &str) -> bool {
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit() || c == '_');
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => digits_ok(a) && digits_ok(b) && !(a.is_empty() && b.is_empty()),
        None => !mantissa.is_empty() && digits_ok(mantissa),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exp_ok
}

/// The integer a float becomes on its way to the API server, if any: Go's
/// `encoding/json` writes a float without a fraction and below 1e21 in
/// magnitude as plain digits, which decode into an integer field. Past
/// 2^63 no integer field takes them, so the bound is that of `i64` (it also
/// turns away infinities and NaN).
fn json_integer(f: f64) -> Option<i64> {
    const I64_BOUND: f64 = 9_223_372_036_854_775_808.0; // 2^63
    (f.fract() == 0.0 && f.abs() < I64_BOUND).then_some(f as i64)
}

/// A deserialization error with the span of the node it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    pub message: String,
    pub span: Option<Span>,
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError {
            message: msg.to_string(),
            span: None,
        }
    }
}

impl DeError {
    fn at(mut self, span: Span) -> Self {
        self.span.get_or_insert(span);
        self
    }
}

/// Deserializes any `T` from a node.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Node) -> Result<T, DeError> {
    T::deserialize(NodeDe(node))
}

/// The serde view of one node.
#[derive(Clone, Copy)]
pub struct NodeDe<'a>(pub &'a Node);

impl<'de> NodeDe<'de> {
    fn scalar(&self) -> Option<Scalar<'de>> {
        match &self.0.kind {
            NodeKind::Scalar(text, style) => Some(resolve(text, *style)),
            _ => None,
        }
    }

    fn any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let node = self.0;
        match &node.kind {
            NodeKind::Scalar(text, style) => match resolve(text, *style) {
                Scalar::Null => visitor.visit_unit(),
                Scalar::Bool(b) => visitor.visit_bool(b),
                Scalar::Int(i) => visitor.visit_i64(i),
                // sigs.k8s.io/yaml hands the API server JSON, and Go writes
                // a float without a fraction below 1e21 as plain digits: a
                // field of integer type reads `080`, `80.0` or `8e1` as 80.
                // serde prints a float as Rust formats it (`1e99` becomes a
                // hundred digits); say it as the user wrote it.
                Scalar::Float(f) => match json_integer(f) {
                    Some(i) => visitor.visit_i64(i),
                    None => visitor.visit_f64(f),
                }
                .map_err(|e: DeError| {
                    let expected = e.message.rsplit_once("`, ").map_or("", |(_, rest)| rest);
                    DeError {
                        message: format!("invalid type: number `{text}`, {expected}"),
                        span: e.span,
                    }
                }),
                Scalar::Str(s) => visitor.visit_borrowed_str(s),
            },
            NodeKind::Seq(items) => visitor.visit_seq(Seq {
                iter: items.iter(),
                len: items.len(),
            }),
            NodeKind::Map(entries) => visitor.visit_map(Map {
                iter: entries.iter(),
                value: None,
            }),
        }
    }
}

macro_rules! forward_to_any {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
                let span = self.0.span;
                self.any(visitor).map_err(|e| e.at(span))
            }
        )*
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = DeError;

    forward_to_any! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_bytes deserialize_byte_buf deserialize_seq deserialize_map
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // A string field takes only scalars that resolve to strings: Kubernetes
        // rejects `name: yes` or `version: 1.10` in a string field. `null`
        // leaves a Go string empty (`labels: {tier: }` is the value "").
        if self.scalar() == Some(Scalar::Null) {
            return visitor.visit_borrowed_str("");
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        // Field names are compared as written.
        match &self.0.kind {
            NodeKind::Scalar(text, _) => visitor.visit_borrowed_str(text),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let span = self.0.span;
        match self.scalar() {
            Some(Scalar::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
        .map_err(|e| e.at(span))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let span = self.0.span;
        visitor.visit_newtype_struct(self).map_err(|e| e.at(span))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        // Go's encoding/json leaves a struct as it is for `null`: `spec:`
        // with no value is the empty spec, as if the key were absent.
        if self.scalar() == Some(Scalar::Null) {
            let span = self.0.span;
            let no_entries: &'de [(Node, Node)] = &[];
            return visitor
                .visit_map(Map {
                    iter: no_entries.iter(),
                    value: None,
                })
                .map_err(|e: DeError| e.at(span));
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let span = self.0.span;
        match &self.0.kind {
            NodeKind::Scalar(text, _) => {
                let access: de::value::StrDeserializer<'_, DeError> =
                    text.as_str().into_deserializer();
                visitor.visit_enum(access)
            }
            _ => Err(de::Error::custom(
                "expected a string naming an enum variant",
            )),
        }
        .map_err(|e| e.at(span))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct Seq<'a> {
    iter: std::slice::Iter<'a, Node>,
    len: usize,
}

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.iter.next() {
            Some(node) => seed
                .deserialize(NodeDe(node))
                .map(Some)
                .map_err(|e| e.at(node.span)),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.len)
    }
}

struct Map<'a> {
    iter: std::slice::Iter<'a, (Node, Node)>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDe(k))
                    .map(Some)
                    .map_err(|e| e.at(k.span))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(node) = self.value.take() else {
            return Err(de::Error::custom("value requested before its key"));
        };
        seed.deserialize(NodeDe(node)).map_err(|e| e.at(node.span))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Mapping keys: the JSON that Kubernetes decodes has string keys only, so a
/// key is always handed over as the text written (`80: x` is the key "80").
struct KeyDe<'a>(&'a Node);

impl<'de> de::Deserializer<'de> for KeyDe<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match &self.0.kind {
            NodeKind::Scalar(text, _) => visitor.visit_borrowed_str(text),
            _ => Err(de::Error::custom("a mapping key must be a scalar")),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;
    use crate::source::yaml::parse_stream;
    use k8s_openapi::api::networking::v1::NetworkPolicySpec;
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

    #[test]
    fn yaml_1_1_scalars() {
        let p = ScalarStyle::Plain;
        assert_eq!(resolve("yes", p), Scalar::Bool(true));
        assert_eq!(resolve("off", p), Scalar::Bool(false));
        assert_eq!(resolve("010", p), Scalar::Int(8));
        assert_eq!(resolve("0x50", p), Scalar::Int(80));
        assert_eq!(resolve("1_000", p), Scalar::Int(1000));
        assert_eq!(resolve("080", p), Scalar::Float(80.0));
        assert_eq!(resolve("1.10", p), Scalar::Float(1.1));
        assert_eq!(resolve("1:20", p), Scalar::Str("1:20"));
        assert_eq!(resolve("10.0.0.0/8", p), Scalar::Str("10.0.0.0/8"));
        assert_eq!(resolve("~", p), Scalar::Null);
        assert_eq!(
            resolve("yes", ScalarStyle::DoubleQuoted),
            Scalar::Str("yes")
        );
        assert_eq!(resolve("53", ScalarStyle::SingleQuoted), Scalar::Str("53"));
    }

    fn spec(text: &str) -> Result<NetworkPolicySpec, DeError> {
        let docs = parse_stream(FileId(0), text);
        let root = docs
            .into_iter()
            .next()
            .and_then(|d| d.root)
            .expect("one document");
        let leaked: &'static Node = Box::leak(Box::new(root));
        from_node(leaked)
    }

    #[test]
    fn typed_policy_spec_with_kubernetes_scalars() {
        let s = spec("podSelector: {}\ningress:\n- ports:\n  - port: 010\n  - port: \"53\"\n  - port: http\n    endPort: 0x50\n").unwrap();
        let ports = s.ingress.unwrap()[0].ports.clone().unwrap();
        assert_eq!(ports[0].port, Some(IntOrString::Int(8)));
        assert_eq!(ports[1].port, Some(IntOrString::String("53".into())));
        assert_eq!(ports[2].port, Some(IntOrString::String("http".into())));
        assert_eq!(ports[2].end_port, Some(80));
    }

    #[test]
    fn null_is_an_empty_object() {
        // An optional field given `null` is absent, as a nil pointer in Go.
        let s = spec("podSelector:\ningress:\n- from:\n  - podSelector: ~\n").unwrap();
        assert_eq!(s.pod_selector, None);
        let peer = &s.ingress.unwrap()[0].from.clone().unwrap()[0];
        assert_eq!(peer.pod_selector, None);
        // A string given `null` is empty, as in Go.
        let s = spec("podSelector:\n  matchLabels: {tier: }\n").unwrap();
        let labels = s.pod_selector.and_then(|p| p.match_labels).unwrap();
        assert_eq!(labels.get("tier").map(String::as_str), Some(""));
        // A struct given `null` is the empty struct, as in Go.
        let root = parse_stream(FileId(0), "spec: ~\n")
            .remove(0)
            .root
            .expect("root");
        let root: &'static Node = Box::leak(Box::new(root));
        let empty: NetworkPolicySpec = from_node(root.get("spec").expect("spec")).unwrap();
        assert_eq!(empty, NetworkPolicySpec::default());
    }

    #[test]
    fn floats_without_a_fraction_are_integers_to_the_api_server() {
        let s = spec("podSelector: {}\ningress:\n- ports:\n  - port: 080\n  - port: 8e1\n  - port: 443.0\n    endPort: 1_000.0\n").unwrap();
        let ports = s.ingress.unwrap()[0].ports.clone().unwrap();
        let got: Vec<_> = ports.iter().map(|p| p.port.clone()).collect();
        assert_eq!(
            got,
            [80, 80, 443].map(|p| Some(IntOrString::Int(p))).to_vec()
        );
        assert_eq!(ports[2].end_port, Some(1000));
        // A fraction, or a value JSON writes with an exponent, stays a float
        // that no integer field takes.
        for bad in ["80.5", "1e21", ".inf", ".nan"] {
            let err = spec(&format!(
                "podSelector: {{}}\ningress:\n- ports:\n  - port: {bad}\n"
            ))
            .unwrap_err();
            assert!(
                err.message.contains(&format!("`{bad}`")),
                "{bad}: {}",
                err.message
            );
        }
        // A string field takes no number either way.
        let err = spec("podSelector:\n  matchLabels:\n    version: 1.0\n").unwrap_err();
        assert!(err.message.contains("`1.0`"), "{}", err.message);
    }

    #[test]
    fn wrong_type_is_located_at_the_innermost_node() {
        let text = "podSelector:\n  matchLabels:\n    app: yes\n";
        let err = spec(text).unwrap_err();
        let span = err.span.unwrap();
        assert_eq!(&text[span.start as usize..span.end as usize], "yes");
        assert!(err.message.contains("boolean"), "{}", err.message);
    }

    #[test]
    fn out_of_range_numbers_fail() {
        let err = spec("podSelector: {}\ningress:\n- ports:\n  - port: 99999999999\n").unwrap_err();
        assert!(err.span.is_some());
    }
}
