//! The shapes of a module descriptor: params, ports, lights and panel geometry.

use serde::Serialize;

/// Height of every Rack panel (3U), in millimetres.
pub const PANEL_HEIGHT_MM: f32 = 128.5;
/// Width of one horizontal pitch unit (HP), in millimetres.
pub const HP_MM: f32 = 5.08;
/// Maximum polyphony of a Rack cable.
pub const MAX_CHANNELS: usize = 16;

/// What a port's voltage means, after Rack's voltage standards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SignalKind {
    /// 0 V low, 10 V high; inputs use a Schmitt trigger (high >= 1 V, low <= 0.1 V).
    Gate,
    /// 10 V for 1 ms; inputs use the same Schmitt trigger as gates.
    Trigger,
    /// 0..10 V.
    UnipolarCv,
    /// -5..+5 V.
    BipolarCv,
    /// Audio, ±5 V.
    Audio,
    /// A reference tag encoded exactly in a voltage (see [`crate::tag`]).
    Reference,
}

impl SignalKind {
    /// Short lower-case name used in PROTOCOL.md and `kuberack models`.
    pub const fn label(self) -> &'static str {
        match self {
            SignalKind::Gate => "gate",
            SignalKind::Trigger => "trigger",
            SignalKind::UnipolarCv => "unipolar CV",
            SignalKind::BipolarCv => "bipolar CV",
            SignalKind::Audio => "audio",
            SignalKind::Reference => "reference",
        }
    }
}

/// How a param is presented on the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParamKind {
    /// A continuous or snapped knob.
    Knob,
    /// A latching switch whose positions are named by `labels`.
    Switch,
    /// A momentary push button.
    Button,
}

/// A position on the panel, in millimetres from the top-left corner.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pos {
    /// Distance from the left edge.
    pub x_mm: f32,
    /// Distance from the top edge.
    pub y_mm: f32,
}

/// Shorthand for a [`Pos`].
pub const fn at(x_mm: f32, y_mm: f32) -> Pos {
    Pos { x_mm, y_mm }
}

/// One parameter (knob, switch or button).
///
/// The displayed value follows Rack's ParamQuantity: with `display_base == 0` it is
/// `value * multiplier + offset`, with a positive base `base^value * multiplier + offset`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ParamDescriptor {
    /// Stable identifier (upper case), used in patches' documentation and tests.
    pub id: &'static str,
    /// Human name shown in Rack's tooltip.
    pub name: &'static str,
    /// One sentence on what it does.
    pub description: &'static str,
    /// Knob, switch or button.
    pub kind: ParamKind,
    /// Lowest raw value.
    pub min: f32,
    /// Highest raw value.
    pub max: f32,
    /// Raw value on initialisation.
    pub default: f32,
    /// Unit shown after the display value (Rack includes any leading space).
    pub unit: &'static str,
    /// Rack's displayBase.
    pub display_base: f32,
    /// Rack's displayMultiplier.
    pub display_multiplier: f32,
    /// Rack's displayOffset.
    pub display_offset: f32,
    /// Whether the raw value snaps to integers.
    pub snap: bool,
    /// Position labels of a switch (empty for knobs and buttons).
    pub labels: &'static [&'static str],
    /// Centre of the component on the panel.
    pub pos: Pos,
}

impl ParamDescriptor {
    /// The value Rack displays for a raw value.
    pub fn display_value(&self, raw: f32) -> f32 {
        if self.display_base == 0.0 {
            raw * self.display_multiplier + self.display_offset
        } else if self.display_base < 0.0 {
            raw.ln() / (-self.display_base).ln() * self.display_multiplier + self.display_offset
        } else {
            self.display_base.powf(raw) * self.display_multiplier + self.display_offset
        }
    }
}

/// One input or output port.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PortDescriptor {
    /// Stable identifier (upper case).
    pub id: &'static str,
    /// Human name shown in Rack's tooltip.
    pub name: &'static str,
    /// What the signal means.
    pub description: &'static str,
    /// Signal kind after Rack's voltage standards.
    pub kind: SignalKind,
    /// The scale: how a quantity maps to volts.
    pub scale: &'static str,
    /// Most channels the port carries (1 = monophonic).
    pub max_channels: u8,
    /// Centre of the jack on the panel.
    pub pos: Pos,
}

/// Colour of a light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LightColor {
    /// Healthy, ready, running.
    Green,
    /// Warning, cordoned, progressing.
    Yellow,
    /// Failure.
    Red,
    /// Informational (clocked, synced).
    Blue,
}

/// One light (LED).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LightDescriptor {
    /// Stable identifier (upper case).
    pub id: &'static str,
    /// Human name shown in Rack's tooltip.
    pub name: &'static str,
    /// What its brightness means.
    pub description: &'static str,
    /// Colour.
    pub color: LightColor,
    /// Centre of the light on the panel.
    pub pos: Pos,
}

/// One choice of a saved setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingChoice {
    /// What the context menu shows.
    pub label: &'static str,
    /// The value stored, as JSON text (`"\"high\""`, `1`, `true`).
    pub json: &'static str,
}

/// A setting saved in the module's JSON and chosen from its context menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingDescriptor {
    /// Dotted path of the key in the module's saved JSON, e.g. `scheduling.priorityClassName`.
    pub key: &'static str,
    /// Context-menu heading the setting sits under.
    pub group: &'static str,
    /// Name shown in the menu.
    pub name: &'static str,
    /// What it does.
    pub description: &'static str,
    /// The choices, in menu order.
    pub choices: &'static [SettingChoice],
    /// Index of the choice in force when the key is missing.
    pub default: usize,
    /// The text form of a one-line text setting (`None`: a setting with choices).
    pub text: Option<TextForm>,
}

/// What a one-line text setting holds, and so how it is parsed and checked (PROTOCOL.md,
/// "Labels, taints, tolerations and node affinity").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TextForm {
    /// Pod labels (or a nodeSelector): `key=value, key2=value2`.
    Labels,
    /// A NODE's labels: as [`TextForm::Labels`], without the keys the module sets itself.
    NodeLabels,
    /// A NODE's taints: `key=value:Effect, ...`, without the keys the module sets itself.
    NodeTaints,
    /// Tolerations: `key=value:Effect, key, *:NoExecute for 60s`.
    Tolerations,
    /// Required node affinity: `disk in (ssd,nvme), !spot | cpu-gen>5`.
    NodeAffinity,
    /// Preferred node affinity: `80: disk=ssd | 20: gpu`.
    PreferredNodeAffinity,
    /// Pod affinity and anti-affinity: `app=web on zone; !app=db on hostname; 50: app=cache on
    /// kubernetes.io/hostname`.
    PodAffinity,
    /// Topology spread constraints: `1 on zone; 2 on hostname ScheduleAnyway for app=web`.
    TopologySpread,
}

/// A one-line text setting (no choices; empty text when the key is missing).
pub const fn text_setting(
    key: &'static str,
    group: &'static str,
    name: &'static str,
    description: &'static str,
    form: TextForm,
) -> SettingDescriptor {
    SettingDescriptor {
        text: Some(form),
        ..setting(key, group, name, description, &[])
    }
}

/// A pod template's typed labels, tolerations, nodeSelector and node affinity, saved under
/// `scheduling` (PROTOCOL.md, "Labels, taints, tolerations and node affinity"): the same
/// settings for every module that makes pods.
pub const POD_TERMS_SETTINGS: [SettingDescriptor; 7] = [
    text_setting(
        "scheduling.labels",
        "Pod scheduling",
        "Pod labels",
        "The pods' own labels: app=web, tier=front",
        TextForm::Labels,
    ),
    text_setting(
        "scheduling.tolerations",
        "Pod scheduling",
        "Tolerations",
        "Tolerations: dedicated=gpu:NoSchedule (Equal, one effect), gpu (Exists), * (every taint), k=v:NoExecute for 60s (tolerationSeconds)",
        TextForm::Tolerations,
    ),
    text_setting(
        "scheduling.nodeSelector",
        "Pod scheduling",
        "Node selector",
        "nodeSelector: disk=ssd, gpu=true (every label must match)",
        TextForm::Labels,
    ),
    text_setting(
        "scheduling.nodeAffinity",
        "Pod scheduling",
        "Required node affinity",
        "Required node affinity terms, ORed by |: disk in (ssd,nvme), gpu, !spot | cpu-gen>5",
        TextForm::NodeAffinity,
    ),
    text_setting(
        "scheduling.preferredNodeAffinity",
        "Pod scheduling",
        "Preferred node affinity",
        "Preferred node affinity terms with weights 1-100, separated by |: 80: disk=ssd | 20: gpu",
        TextForm::PreferredNodeAffinity,
    ),
    text_setting(
        "scheduling.podAffinity",
        "Pod scheduling",
        "Pod affinity",
        "Pod affinity terms separated by ;, ! for anti-affinity, weight: for preferred: app=web on zone; !app=db on hostname; 50: app=cache on kubernetes.io/hostname",
        TextForm::PodAffinity,
    ),
    text_setting(
        "scheduling.topologySpread",
        "Pod scheduling",
        "Topology spread",
        "Topology spread constraints separated by ;: maxSkew on key [ScheduleAnyway] [minDomains=N] [nodeAffinityPolicy=Ignore] [nodeTaintsPolicy=Honor] [for selector]: 1 on zone minDomains=3; 2 on hostname ScheduleAnyway for app=web",
        TextForm::TopologySpread,
    ),
];

/// A setting with its choices; the first choice is the default unless `default` says.
pub const fn setting(
    key: &'static str,
    group: &'static str,
    name: &'static str,
    description: &'static str,
    choices: &'static [SettingChoice],
) -> SettingDescriptor {
    SettingDescriptor {
        key,
        group,
        name,
        description,
        choices,
        default: 0,
        text: None,
    }
}

/// A choice: menu label and JSON value.
pub const fn choice(label: &'static str, json: &'static str) -> SettingChoice {
    SettingChoice { label, json }
}

/// Whether a module owns a world or joins one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ModuleRole {
    /// Owns a simulated cluster and publishes its reference.
    Hub,
    /// Joins a hub's world through a reference cable.
    Member,
}

/// Everything about one module model: the single source of truth for its ports.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ModuleDescriptor {
    /// Rack model slug.
    pub slug: &'static str,
    /// Name in Rack's module browser.
    pub name: &'static str,
    /// One-line description for the module browser and manifest.
    pub description: &'static str,
    /// Tags from Rack's tag list.
    pub tags: &'static [&'static str],
    /// Hub or member.
    pub role: ModuleRole,
    /// Panel width in HP.
    pub hp: u8,
    /// Params in index order.
    pub params: &'static [ParamDescriptor],
    /// Inputs in index order.
    pub inputs: &'static [PortDescriptor],
    /// Outputs in index order.
    pub outputs: &'static [PortDescriptor],
    /// Lights in index order.
    pub lights: &'static [LightDescriptor],
    /// Saved settings chosen from the context menu.
    pub settings: &'static [SettingDescriptor],
    /// Where the module's status line is drawn (its text comes from the running module;
    /// `None`: no status line).
    pub status: Option<Pos>,
}

impl ModuleDescriptor {
    /// Panel width in millimetres.
    pub fn width_mm(&self) -> f32 {
        f32::from(self.hp) * HP_MM
    }

    /// Index of the param with this id.
    pub fn param_index(&self, id: &str) -> Option<usize> {
        self.params.iter().position(|p| p.id == id)
    }

    /// Index of the input with this id.
    pub fn input_index(&self, id: &str) -> Option<usize> {
        self.inputs.iter().position(|p| p.id == id)
    }

    /// Index of the output with this id.
    pub fn output_index(&self, id: &str) -> Option<usize> {
        self.outputs.iter().position(|p| p.id == id)
    }

    /// Index of the light with this id.
    pub fn light_index(&self, id: &str) -> Option<usize> {
        self.lights.iter().position(|p| p.id == id)
    }

    /// Raw default value of every param, in index order.
    pub fn default_params(&self) -> Vec<f32> {
        self.params.iter().map(|p| p.default).collect()
    }
}

/// A knob with a linear display equal to its raw value.
#[allow(clippy::too_many_arguments)]
pub const fn knob(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    min: f32,
    max: f32,
    default: f32,
    unit: &'static str,
    pos: Pos,
) -> ParamDescriptor {
    ParamDescriptor {
        id,
        name,
        description,
        kind: ParamKind::Knob,
        min,
        max,
        default,
        unit,
        display_base: 0.0,
        display_multiplier: 1.0,
        display_offset: 0.0,
        snap: false,
        labels: &[],
        pos,
    }
}

/// A latching switch over `labels.len()` integer positions.
pub const fn switch(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    labels: &'static [&'static str],
    pos: Pos,
) -> ParamDescriptor {
    ParamDescriptor {
        id,
        name,
        description,
        kind: ParamKind::Switch,
        min: 0.0,
        max: (labels.len() - 1) as f32,
        default: 0.0,
        unit: "",
        display_base: 0.0,
        display_multiplier: 1.0,
        display_offset: 0.0,
        snap: true,
        labels,
        pos,
    }
}

impl ParamDescriptor {
    /// The same param, snapping to integers.
    pub const fn snapped(self) -> Self {
        ParamDescriptor { snap: true, ..self }
    }

    /// The same param with another default.
    pub const fn with_default(self, default: f32) -> Self {
        ParamDescriptor { default, ..self }
    }

    /// The same param with Rack's display base, multiplier and offset.
    pub const fn display(self, base: f32, multiplier: f32, offset: f32) -> Self {
        ParamDescriptor {
            display_base: base,
            display_multiplier: multiplier,
            display_offset: offset,
            ..self
        }
    }
}

/// A port; `max_channels` is 1 for a monophonic port.
pub const fn port(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    kind: SignalKind,
    scale: &'static str,
    max_channels: u8,
    pos: Pos,
) -> PortDescriptor {
    PortDescriptor {
        id,
        name,
        description,
        kind,
        scale,
        max_channels,
        pos,
    }
}

/// A light.
pub const fn light(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    color: LightColor,
    pos: Pos,
) -> LightDescriptor {
    LightDescriptor {
        id,
        name,
        description,
        color,
        pos,
    }
}
