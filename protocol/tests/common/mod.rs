//! Helpers shared by the panel and manifest tests: the repository root and a small XML
//! reader for checking the generated SVGs.

#![allow(dead_code)]

use std::path::PathBuf;

/// The repository root (the parent of this crate's directory).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate lives in the repository")
        .to_path_buf()
}

/// Reads a committed file, failing the test with a hint when it is missing.
pub fn read_committed(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| {
        panic!("{path}: {e}; run `cargo run -p kuberack-protocol --bin kuberack-panels`")
    })
}

/// An XML element with its attributes and child elements.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// Tag name.
    pub name: String,
    /// Attributes in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
}

impl Element {
    /// The value of an attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// This element and all its descendants, depth first.
    pub fn walk(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// Parses a document of elements, attributes, comments and an XML declaration; any text
/// other than white space between tags is an error.
pub fn parse(doc: &str) -> Result<Element, String> {
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut rest = doc;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        if !rest[..lt].trim().is_empty() {
            return Err(format!("text outside tags: {:?}", rest[..lt].trim()));
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix("<?") {
            let end = r.find("?>").ok_or("unclosed declaration")?;
            if root.is_some() || !stack.is_empty() {
                return Err("declaration after the root element".into());
            }
            rest = &r[end + 2..];
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").ok_or("unclosed comment")?;
            rest = &r[end + 3..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').ok_or("unclosed end tag")?;
            let name = r[..end].trim();
            let el = stack
                .pop()
                .ok_or(format!("</{name}> without a start tag"))?;
            if el.name != name {
                return Err(format!("<{}> closed by </{name}>", el.name));
            }
            attach(&mut stack, &mut root, el)?;
            rest = &r[end + 1..];
        } else {
            let end = rest.find('>').ok_or("unclosed tag")?;
            let inner = &rest[1..end];
            let (inner, self_closing) = match inner.strip_suffix('/') {
                Some(i) => (i, true),
                None => (inner, false),
            };
            let el = start_tag(inner)?;
            if self_closing {
                attach(&mut stack, &mut root, el)?;
            } else {
                stack.push(el);
            }
            rest = &rest[end + 1..];
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("<{}> never closed", open.name));
    }
    root.ok_or_else(|| "no root element".to_string())
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) -> Result<(), String> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None if root.is_none() => *root = Some(el),
        None => return Err(format!("second root element <{}>", el.name)),
    }
    Ok(())
}

fn start_tag(inner: &str) -> Result<Element, String> {
    let inner = inner.trim();
    let name_end = inner.find(char::is_whitespace).unwrap_or(inner.len());
    let name = &inner[..name_end];
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == ':') {
        return Err(format!("bad tag name {name:?}"));
    }
    let mut attrs = Vec::new();
    let mut rest = inner[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or(format!("attribute without value in <{name}>"))?;
        let key = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let after = after
            .strip_prefix('"')
            .ok_or(format!("unquoted attribute {key}"))?;
        let close = after
            .find('"')
            .ok_or(format!("unterminated attribute {key}"))?;
        let value = after[..close].to_string();
        if value.contains('<') || value.contains('&') {
            return Err(format!("attribute {key} needs escaping"));
        }
        if attrs.iter().any(|(k, _)| *k == key) {
            return Err(format!("attribute {key} twice in <{name}>"));
        }
        attrs.push((key, value));
        rest = after[close + 1..].trim_start();
    }
    Ok(Element {
        name: name.to_string(),
        attrs,
        children: Vec::new(),
    })
}

/// The numbers in an SVG path's data, as (x, y) pairs (the panel paths use only absolute
/// M, L and Q commands, Z and no other).
pub fn path_points(d: &str) -> Result<Vec<(f32, f32)>, String> {
    let mut nums = Vec::new();
    for token in d.split_whitespace() {
        let token = token.trim_start_matches(['M', 'L', 'Q']);
        if token.is_empty() || token == "Z" {
            continue;
        }
        nums.push(
            token
                .parse::<f32>()
                .map_err(|_| format!("bad path token {token:?}"))?,
        );
    }
    if nums.len() % 2 != 0 {
        return Err("odd count of path numbers".into());
    }
    Ok(nums.chunks_exact(2).map(|c| (c[0], c[1])).collect())
}
