//! Deserializer
pub fn is_null(s: &str) -> bool { matches!(s, "" | "~" | "null" | "Null" | "NULL") }
