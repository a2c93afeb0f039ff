//! Kubernetes' own rules for the names in labels, selectors and taints (apimachinery's
//! IsQualifiedName, IsValidLabelValue and IsDNS1123Subdomain), with its error wording.

/// Longest name part of a qualified name, and longest label value.
pub const MAX_NAME_LEN: usize = 63;
/// Longest DNS-1123 subdomain (a qualified name's prefix).
pub const MAX_SUBDOMAIN_LEN: usize = 253;

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`: starts and ends alphanumeric.
fn is_qualified_part(s: &str) -> bool {
    let b = s.as_bytes();
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(inner)
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*`, at most 253 characters.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    let label = |l: &str| {
        let b = l.as_bytes();
        let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        !b.is_empty() && ok(&b[0]) && ok(&b[b.len() - 1]) && b.iter().all(|c| ok(c) || *c == b'-')
    };
    s.len() <= MAX_SUBDOMAIN_LEN && s.split('.').all(label)
}

/// A label key, taint key or selector key: `[prefix/]name`, the prefix a DNS-1123
/// subdomain, the name at most 63 alphanumerics, `-`, `_` and `.`, alphanumeric at both ends.
pub fn validate_qualified_name(s: &str) -> Result<(), String> {
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    if let Some(p) = prefix {
        if p.is_empty() {
            return Err(format!("{s:?}: prefix part must be non-empty"));
        }
        if !is_dns1123_subdomain(p) {
            return Err(format!(
                "{s:?}: prefix part must be a lowercase RFC 1123 subdomain (e.g. 'example.com')"
            ));
        }
    }
    if name.is_empty() {
        return Err(format!("{s:?}: name part must be non-empty"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "{s:?}: name part must be no more than {MAX_NAME_LEN} characters"
        ));
    }
    if !is_qualified_part(name) {
        return Err(format!(
            "{s:?}: name part must consist of alphanumeric characters, '-', '_' or '.', and \
             must start and end with an alphanumeric character (e.g. 'MyName', 'my.name', \
             '123-abc')"
        ));
    }
    Ok(())
}

/// A label value (or taint, toleration and selector value): empty, or at most 63
/// alphanumerics, `-`, `_` and `.`, alphanumeric at both ends.
pub fn validate_label_value(s: &str) -> Result<(), String> {
    if s.len() > MAX_NAME_LEN {
        return Err(format!(
            "{s:?}: a label value must be no more than {MAX_NAME_LEN} characters"
        ));
    }
    if !s.is_empty() && !is_qualified_part(s) {
        return Err(format!(
            "{s:?}: a valid label value must be an empty string or consist of alphanumeric \
             characters, '-', '_' or '.', and must start and end with an alphanumeric \
             character (e.g. 'MyValue', 'my_value', '12345')"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_names_follow_apimachinery() {
        for good in [
            "gpu",
            "disk",
            "dedicated",
            "kubernetes.io/hostname",
            "topology.kubernetes.io/zone",
            "cpu-gen",
            "A_b.c-9",
            "x",
        ] {
            assert_eq!(validate_qualified_name(good), Ok(()), "{good}");
        }
        let long = "a".repeat(64);
        let long_prefix = format!("{}/a", "a".repeat(254));
        for bad in [
            "",
            "/gpu",
            "gpu/",
            "-gpu",
            "gpu-",
            "g pu",
            "Example.com/gpu",
            "a/b/c",
            "gpu=true",
            long.as_str(),
            long_prefix.as_str(),
            "ex_ample.com/gpu",
        ] {
            assert!(validate_qualified_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(validate_qualified_name(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn label_values_follow_apimachinery() {
        for good in ["", "ssd", "zone-a", "v1.2_3", "5"] {
            assert_eq!(validate_label_value(good), Ok(()), "{good}");
        }
        for bad in ["-ssd", "ssd.", "a b", "a/b", "é", &"v".repeat(64)] {
            assert!(validate_label_value(bad).is_err(), "{bad:?} accepted");
        }
    }
}
