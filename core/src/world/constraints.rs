//! What the scheduler matches pods against: node labels and taints, and a pod's priority,
//! tolerations, node selector, topology spread constraint and anti-affinity.

use super::mana::{essence_from_word, EssenceIndex};

/// Zones a node can be labelled with (`topology.kubernetes.io/zone`), 1-based.
pub const ZONE_NAMES: [&str; 4] = ["zone-a", "zone-b", "zone-c", "zone-d"];
/// Number of zones.
pub const ZONES: usize = ZONE_NAMES.len();
/// The node label holding the zone.
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";
/// The node label holding the node's name.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// The key of the taint a NODE module can put on its nodes.
pub const TAINT_KEY: &str = "kuberack.io/dedicated";

/// The zone with this name (1-based), if any.
pub fn zone_by_name(name: &str) -> Option<u8> {
    ZONE_NAMES
        .iter()
        .position(|z| *z == name)
        .map(|i| i as u8 + 1)
}

/// A taint's effect (`None`: no such taint; in a toleration, every effect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaintEffect {
    /// The node has no such taint.
    #[default]
    None,
    /// Pods that do not tolerate it are not scheduled here.
    NoSchedule,
    /// The scheduler prefers other nodes for pods that do not tolerate it.
    PreferNoSchedule,
    /// Not scheduled here, and running pods that do not tolerate it are evicted.
    NoExecute,
}

impl TaintEffect {
    /// The effect from a switch position (0 = none).
    pub fn from_index(i: u32) -> TaintEffect {
        match i {
            1 => TaintEffect::NoSchedule,
            2 => TaintEffect::PreferNoSchedule,
            3 => TaintEffect::NoExecute,
            _ => TaintEffect::None,
        }
    }

    /// The effect's name in the API.
    pub const fn name(self) -> &'static str {
        match self {
            TaintEffect::None => "",
            TaintEffect::NoSchedule => "NoSchedule",
            TaintEffect::PreferNoSchedule => "PreferNoSchedule",
            TaintEffect::NoExecute => "NoExecute",
        }
    }
}

/// A topology key this world labels nodes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TopologyKey {
    /// `kubernetes.io/hostname`: every node is its own domain.
    #[default]
    Hostname,
    /// `topology.kubernetes.io/zone`.
    Zone,
}

impl TopologyKey {
    /// The label name.
    pub const fn label(self) -> &'static str {
        match self {
            TopologyKey::Hostname => LABEL_HOSTNAME,
            TopologyKey::Zone => LABEL_ZONE,
        }
    }

    /// The key with this label name.
    pub fn from_label(label: &str) -> Option<TopologyKey> {
        [TopologyKey::Hostname, TopologyKey::Zone]
            .into_iter()
            .find(|k| k.label() == label)
    }
}

/// whenUnsatisfiable of a topology spread constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WhenUnsatisfiable {
    /// A hard constraint (a filter).
    #[default]
    DoNotSchedule,
    /// A soft constraint (a score).
    ScheduleAnyway,
}

/// One topology spread constraint whose selector matches the pod's own app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpreadConstraint {
    /// maxSkew (at least 1).
    pub max_skew: u32,
    /// topologyKey.
    pub key: TopologyKey,
    /// whenUnsatisfiable.
    pub when: WhenUnsatisfiable,
}

/// Pod anti-affinity against pods of the same app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AntiAffinity {
    /// None.
    #[default]
    None,
    /// requiredDuringSchedulingIgnoredDuringExecution.
    Required,
    /// preferredDuringSchedulingIgnoredDuringExecution, weight 100.
    Preferred,
}

/// Weight of the preferred anti-affinity term and of the preferred node affinity term.
pub const PREFERRED_WEIGHT: i64 = 100;

/// The scheduling-relevant part of a pod's spec; every pod of a Deployment shares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SchedulingSpec {
    /// spec.priority, resolved from priorityClassName.
    pub priority: i32,
    /// preemptionPolicy: Never.
    pub never_preempt: bool,
    /// Tolerates `kuberack.io/dedicated` (operator Exists, every effect).
    pub tolerates_dedicated: bool,
    /// nodeSelector on the zone label (0 = none).
    pub node_selector_zone: u8,
    /// A preferred node affinity term on the zone label, weight 100 (0 = none).
    pub preferred_zone: u8,
    /// A topology spread constraint on the app's pods.
    pub spread: Option<SpreadConstraint>,
    /// Anti-affinity to pods of the same app.
    pub anti_affinity: AntiAffinity,
    /// Topology key of the anti-affinity term.
    pub anti_affinity_key: TopologyKey,
    /// Owned by a ReplicaSet: the system default spread constraints apply when `spread` is
    /// `None` (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway).
    pub default_spread: bool,
    /// nodeSelector `energy=<essence>` (0 = none).
    pub node_selector_energy: EssenceIndex,
    /// Tolerates the taint `energy=<essence>:NoSchedule` (operator Equal; 0 = none).
    pub tolerates_energy: EssenceIndex,
    /// The template's own labels, tolerations, nodeSelector and node affinity: an id in the
    /// interned table ([`crate::world::terms::table`]; 0 = none).
    pub terms: u16,
}

/// The priority classes this world knows: name and value.
pub const PRIORITY_CLASSES: [(&str, i32); 6] = [
    ("", 0),
    ("low", 100),
    ("medium", 1_000),
    ("high", 10_000),
    ("system-cluster-critical", 2_000_000_000),
    ("system-node-critical", 2_000_001_000),
];

/// The value of a priority class, if it exists.
pub fn priority_class_value(name: &str) -> Option<i32> {
    PRIORITY_CLASSES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

impl SchedulingSpec {
    /// Packs the spec into one word (besides the priority and [`SchedulingSpec::terms`],
    /// which travel in words of their own) for a registry slot.
    pub fn pack_flags(&self) -> u32 {
        let (skew, spread_zone, anyway) = match self.spread {
            Some(c) => (
                c.max_skew.clamp(1, 255),
                c.key == TopologyKey::Zone,
                c.when == WhenUnsatisfiable::ScheduleAnyway,
            ),
            None => (0, false, false),
        };
        let anti = match self.anti_affinity {
            AntiAffinity::None => 0,
            AntiAffinity::Required => 1,
            AntiAffinity::Preferred => 2,
        };
        1 | u32::from(self.never_preempt) << 1
            | u32::from(self.tolerates_dedicated) << 2
            | u32::from(self.node_selector_zone.min(7)) << 3
            | u32::from(self.preferred_zone.min(7)) << 6
            | skew << 9
            | u32::from(spread_zone) << 17
            | u32::from(anyway) << 18
            | anti << 19
            | u32::from(self.anti_affinity_key == TopologyKey::Zone) << 21
            | u32::from(self.default_spread) << 22
            | u32::from(self.node_selector_energy.min(3)) << 23
            | u32::from(self.tolerates_energy.min(3)) << 25
    }

    /// The spec [`SchedulingSpec::pack_flags`] packed, with this priority. A zero word (nothing
    /// published) is the default spec with the system default spread constraints.
    pub fn unpack(priority: u32, flags: u32) -> SchedulingSpec {
        if flags & 1 == 0 {
            return SchedulingSpec {
                default_spread: true,
                ..SchedulingSpec::default()
            };
        }
        let zone = |v: u32| {
            let z = (v & 7) as u8;
            if (z as usize) <= ZONES {
                z
            } else {
                0
            }
        };
        let key = |zone: bool| {
            if zone {
                TopologyKey::Zone
            } else {
                TopologyKey::Hostname
            }
        };
        let skew = (flags >> 9) & 0xff;
        SchedulingSpec {
            priority: priority as i32,
            never_preempt: flags & 2 != 0,
            tolerates_dedicated: flags & 4 != 0,
            node_selector_zone: zone(flags >> 3),
            preferred_zone: zone(flags >> 6),
            spread: (skew > 0).then(|| SpreadConstraint {
                max_skew: skew,
                key: key(flags & (1 << 17) != 0),
                when: if flags & (1 << 18) != 0 {
                    WhenUnsatisfiable::ScheduleAnyway
                } else {
                    WhenUnsatisfiable::DoNotSchedule
                },
            }),
            anti_affinity: match (flags >> 19) & 3 {
                1 => AntiAffinity::Required,
                2 => AntiAffinity::Preferred,
                _ => AntiAffinity::None,
            },
            anti_affinity_key: key(flags & (1 << 21) != 0),
            default_spread: flags & (1 << 22) != 0,
            node_selector_energy: essence_from_word((flags >> 23) & 3),
            tolerates_energy: essence_from_word((flags >> 25) & 3),
            terms: 0,
        }
    }
}
