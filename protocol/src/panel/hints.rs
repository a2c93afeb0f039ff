//! Presentation hints: where a component's label text or side differs from the default.
//!
//! By default a label is the component's id (underscores as spaces) set above it; the per-unit
//! lights of a row (NODE1..NODE8) are numbered below instead. These hints cover the rest: a
//! shorter or clearer word, or the side that keeps a module's rows uncluttered. They change
//! nothing about the descriptors; the panel tests check that every hint still names a
//! component.

/// Which list of a descriptor a component comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// A param (knob, switch, button).
    Param,
    /// An input port.
    Input,
    /// An output port.
    Output,
    /// A light.
    Light,
}

/// Which side of its component a label sits on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Above the component.
    Above,
    /// Below the component.
    Below,
    /// Left of the component, centred on it.
    Left,
    /// Right of the component, centred on it.
    Right,
}

/// One hint for one component of one module.
#[derive(Debug, Clone, Copy)]
pub struct Hint {
    /// Module slug.
    pub slug: &'static str,
    /// Which list the component is in.
    pub part: Part,
    /// The component's id.
    pub id: &'static str,
    /// Label text instead of the id.
    pub text: Option<&'static str>,
    /// Side instead of the default.
    pub side: Option<Side>,
}

const fn text(slug: &'static str, part: Part, id: &'static str, t: &'static str) -> Hint {
    Hint {
        slug,
        part,
        id,
        text: Some(t),
        side: None,
    }
}

const fn below(slug: &'static str, part: Part, id: &'static str) -> Hint {
    Hint {
        slug,
        part,
        id,
        text: None,
        side: Some(Side::Below),
    }
}

const fn right(slug: &'static str, part: Part, id: &'static str) -> Hint {
    Hint {
        slug,
        part,
        id,
        text: None,
        side: Some(Side::Right),
    }
}

const fn right_text(slug: &'static str, part: Part, id: &'static str, t: &'static str) -> Hint {
    Hint {
        slug,
        part,
        id,
        text: Some(t),
        side: Some(Side::Right),
    }
}

/// Every hint. CLUSTER's lights sit right above its knobs, so its knobs are labelled
/// below; its column of sync status lights is labelled on the right. NODE's row of node lights sits right above
/// its first knobs, so NODE labels its knobs (all three columns) and its CORDON row below them.
/// AUTOSCALER's blocked and draining lights stand in two rows of two, labelled on the right.
pub static HINTS: &[Hint] = &[
    below("Cluster", Part::Param, "WARP"),
    below("Cluster", Part::Param, "TONE"),
    below("Cluster", Part::Param, "LEVEL"),
    text("Cluster", Part::Input, "SYNC", "GATE"),
    right_text("Cluster", Part::Light, "SYNC_CONNECTING", "CONNECT"),
    right_text("Cluster", Part::Light, "SYNCED", "SYNCED"),
    right_text("Cluster", Part::Light, "SYNC_DEGRADED", "DEGRADED"),
    right_text("Cluster", Part::Light, "SYNC_ERROR", "ERROR"),
    Hint {
        slug: "Node",
        part: Part::Param,
        id: "COUNT",
        text: Some("NODES"),
        side: Some(Side::Below),
    },
    below("Node", Part::Param, "CPU"),
    below("Node", Part::Param, "MEMORY"),
    below("Node", Part::Param, "PITCH"),
    below("Node", Part::Param, "CORDON"),
    below("Node", Part::Input, "CORDON"),
    below("Node", Part::Param, "ZONE"),
    below("Node", Part::Param, "TAINT"),
    text("Node", Part::Output, "READY", "GATES"),
    right("Autoscaler", Part::Light, "DRAINING"),
    right("Autoscaler", Part::Light, "MAX_NODES"),
    right("Autoscaler", Part::Light, "LIMIT"),
    right("Autoscaler", Part::Light, "LAUNCH_FAILED"),
    text("Deployment", Part::Output, "READY", "#READY"),
    text("Deployment", Part::Output, "BECAME_READY", "READY"),
    text("Deployment", Part::Param, "MAX_SURGE", "SURGE"),
    text("Deployment", Part::Param, "MAX_UNAVAILABLE", "UNAVAIL"),
    text("Deployment", Part::Input, "REPLICAS", "REPL CV"),
    // DEVICES' sixteen node lights share one row: 10..16 are numbered A..G to stay one
    // character wide.
    text("Devices", Part::Light, "NODE10", "A"),
    text("Devices", Part::Light, "NODE11", "B"),
    text("Devices", Part::Light, "NODE12", "C"),
    text("Devices", Part::Light, "NODE13", "D"),
    text("Devices", Part::Light, "NODE14", "E"),
    text("Devices", Part::Light, "NODE15", "F"),
    text("Devices", Part::Light, "NODE16", "G"),
];

/// The hint for a component, if any.
pub fn hint(slug: &str, part: Part, id: &str) -> Option<&'static Hint> {
    HINTS
        .iter()
        .find(|h| h.slug == slug && h.part == part && h.id == id)
}
