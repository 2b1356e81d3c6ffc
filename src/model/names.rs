//! The spelling rules the API server applies to names and labels: label
//! keys and values, DNS-1123 labels (namespace names) and subdomains (most
//! object names, label key prefixes). Each check says why a string breaks
//! them, for a message, or `None` when it does not.

/// Why a string is not a valid label key, or `None` when it is one.
pub fn label_key_problem(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if name.contains('/') {
            return Some("a label key has at most one `/`".into());
        }
        if let Some(problem) = subdomain_problem(prefix) {
            return Some(format!("the prefix `{prefix}` {problem}"));
        }
    }
    if name.is_empty() {
        return Some("the name part of a label key is empty".into());
    }
    if name.len() > 63 {
        return Some(format!(
            "the name part of a label key has {} characters, at most 63 are allowed",
            name.len()
        ));
    }
    (!is_label_text(name)).then(|| {
        "the name part of a label key must begin and end with a letter or digit and \
         hold only letters, digits, `-`, `_` and `.`"
            .into()
    })
}

/// Why a string is not a valid label value, or `None` when it is one.
pub fn label_value_problem(value: &str) -> Option<String> {
    if value.len() > 63 {
        return Some(format!(
            "a label value has at most 63 characters, this one has {}",
            value.len()
        ));
    }
    (!value.is_empty() && !is_label_text(value)).then(|| {
        "a label value must begin and end with a letter or digit and hold only letters, \
         digits, `-`, `_` and `.`"
            .into()
    })
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`
fn is_label_text(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Why a string is not a DNS-1123 label (a namespace name), or `None`.
pub fn dns_label_problem(s: &str) -> Option<&'static str> {
    if s.len() > 63 {
        return Some("is longer than 63 characters");
    }
    if s.contains('.') {
        return Some("holds a `.`, which a DNS label cannot");
    }
    subdomain_problem(s)
}

/// Why a string is not a DNS-1123 subdomain (the prefix of a label key, the
/// name of most objects).
pub fn subdomain_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return Some("is empty");
    }
    if s.len() > 253 {
        return Some("is longer than 253 characters");
    }
    let label_ok = |l: &str| {
        let b = l.as_bytes();
        match (b.first(), b.last()) {
            (Some(f), Some(e)) => {
                (f.is_ascii_lowercase() || f.is_ascii_digit())
                    && (e.is_ascii_lowercase() || e.is_ascii_digit())
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            }
            _ => false,
        }
    };
    (!s.split('.').all(label_ok)).then_some(
        "is not a DNS subdomain (lowercase letters, digits, `-` and `.`, each part \
         beginning and ending with a letter or digit)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_are_qualified_names() {
        let long_name = "a".repeat(63);
        let long_prefix = format!("{}.example.com/app", "a".repeat(250));
        for good in [
            "app",
            "app.kubernetes.io/name",
            "kubernetes.io/metadata.name",
            "A_b.c-D",
            "example.com/Tier",
            long_name.as_str(),
        ] {
            assert_eq!(label_key_problem(good), None, "{good}");
        }
        let too_long = "a".repeat(64);
        for bad in [
            "",
            "app name",
            "-app",
            "app-",
            "/app",
            "example.com/",
            "Example.com/app",
            "a/b/c",
            "example..com/app",
            "ex_ample.com/app",
            too_long.as_str(),
            long_prefix.as_str(),
        ] {
            assert!(label_key_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn label_values_may_be_empty() {
        for good in ["", "web", "v1.2.3", "A-b_C.d", "0"] {
            assert_eq!(label_value_problem(good), None, "{good}");
        }
        let too_long = "v".repeat(64);
        for bad in ["web app", "-web", "web.", "a/b", "é", too_long.as_str()] {
            assert!(label_value_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn namespace_names_are_dns_labels_and_object_names_subdomains() {
        let long_label = "a".repeat(64);
        for good in ["shop", "a", "0-9", "kube-system"] {
            assert_eq!(dns_label_problem(good), None, "{good}");
            assert_eq!(subdomain_problem(good), None, "{good}");
        }
        assert_eq!(subdomain_problem("web.v1"), None);
        for bad in ["web.v1", "Shop", "a_b", "-a", "a-", "", long_label.as_str()] {
            assert!(dns_label_problem(bad).is_some(), "{bad}");
        }
        for bad in ["Shop", "a_b", "a..b", ".a", ""] {
            assert!(subdomain_problem(bad).is_some(), "{bad}");
        }
    }
}
