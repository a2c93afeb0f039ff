//! The cluster trace's lines: one JSON object a line, a header first. See PROTOCOL.md,
//! "Cluster traces".

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The header's `format`.
pub const FORMAT: &str = "kuberack.io/cluster-trace";
/// The format version this build writes and reads; a trace of a newer one is refused.
pub const VERSION: u32 = 1;

/// The first line of a trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Header {
    /// Always [`FORMAT`].
    pub format: String,
    /// The format version ([`VERSION`]).
    pub version: u32,
    /// When recording started, RFC 3339 UTC (wall clock; replay never reads it).
    #[serde(default)]
    pub started: String,
    /// The namespace watched.
    #[serde(default)]
    pub namespace: String,
    /// The label selector scoping the pods watched, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// The Kueue API version the cluster served (`v1beta2`, `v1beta1`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kueue: Option<String>,
}

impl Header {
    /// A header for a recording starting now.
    pub fn now(namespace: &str, selector: Option<&str>, kueue: Option<&str>) -> Header {
        Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            started: k8s_openapi::jiff::Timestamp::now()
                .round(k8s_openapi::jiff::Unit::Second)
                .map(|t| t.to_string())
                .unwrap_or_default(),
            namespace: namespace.to_owned(),
            selector: selector.map(str::to_owned),
            kueue: kueue.map(str::to_owned),
        }
    }
}

/// What a line is about: a watched object's kind, or the sync session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TraceKind {
    /// A Pod of the namespace (in the selector's scope).
    Pod,
    /// A Node.
    Node,
    /// A Kueue Workload of the namespace.
    Workload,
    /// The sync session: `started` when it (re)connected, its mirror starting empty.
    Session,
}

impl TraceKind {
    /// The kind's name in a trace line.
    pub fn name(self) -> &'static str {
        match self {
            TraceKind::Pod => "Pod",
            TraceKind::Node => "Node",
            TraceKind::Workload => "Workload",
            TraceKind::Session => "Session",
        }
    }

    /// The kind named `name` (`None`: unknown to this version).
    pub fn parse(name: &str) -> Option<TraceKind> {
        [
            TraceKind::Pod,
            TraceKind::Node,
            TraceKind::Workload,
            TraceKind::Session,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// What happened to the object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// First seen (by a list or a watch event).
    Added,
    /// A field the mirror reads changed.
    Modified,
    /// Gone (a watch's delete, or absent from a relist).
    Deleted,
    /// The kind's list is complete: the mirror knows the whole cluster of that kind.
    Listed,
    /// A sync session started (kind `Session`).
    Started,
}

impl Verb {
    /// The verb's name in a trace line.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Added => "added",
            Verb::Modified => "modified",
            Verb::Deleted => "deleted",
            Verb::Listed => "listed",
            Verb::Started => "started",
        }
    }

    /// The verb named `name`.
    pub fn parse(name: &str) -> Option<Verb> {
        [
            Verb::Added,
            Verb::Modified,
            Verb::Deleted,
            Verb::Listed,
            Verb::Started,
        ]
        .into_iter()
        .find(|v| v.name() == name)
    }
}

/// One line after the header, as written.
#[derive(Debug, Serialize)]
pub struct Line<'a> {
    /// Seconds since recording started (millisecond resolution).
    pub t: f64,
    /// [`TraceKind::name`].
    pub kind: &'a str,
    /// [`Verb::name`].
    pub verb: &'a str,
    /// The object's name (absent for `listed` and `started`).
    #[serde(skip_serializing_if = "str::is_empty")]
    pub name: &'a str,
    /// The object reduced to the fields the mirror reads ([`super::prune`]); for `deleted`,
    /// its last state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<&'a Value>,
}

/// One line after the header, as read.
#[derive(Debug, Deserialize)]
pub struct RawLine {
    /// Seconds since recording started.
    pub t: f64,
    /// The kind's name.
    pub kind: String,
    /// The verb's name.
    pub verb: String,
    /// The object's name.
    #[serde(default)]
    pub name: String,
    /// The reduced object.
    #[serde(default)]
    pub object: Option<Value>,
}
