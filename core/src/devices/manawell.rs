//! The forge's devices: mana wells of one essence each, published by the `manawell.io`
//! driver, and the DeviceClass per essence.

use super::access::AccessPolicy;
use super::attributes::{Attribute, AttributeValue};
use super::capacity::DeviceCapacity;
use super::class::DeviceClass;
use super::device::Device;
use crate::forge::Essence;

/// The driver that publishes mana wells.
pub const MANAWELL_DRIVER: &str = "manawell.io";
/// The attribute naming a well's essence (`fire`, `frost` or `arcane`).
pub const ESSENCE_ATTRIBUTE: &str = "manawell.io/essence";
/// A well's mana, a quantity in essence units.
pub const MANA_CAPACITY: &str = "manawell.io/mana";
/// How many pods a well serves at once, a counter.
pub const CHANNELS_CAPACITY: &str = "manawell.io/channels";

/// The DeviceClass of `essence`'s wells, named `<essence>.manawell.io`.
pub fn essence_class(essence: Essence) -> DeviceClass {
    let name = match essence {
        Essence::Fire => "fire.manawell.io",
        Essence::Frost => "frost.manawell.io",
        Essence::Arcane => "arcane.manawell.io",
    };
    DeviceClass::new(name, Some(MANAWELL_DRIVER), &[essence_attribute(essence)])
}

/// The attribute `manawell.io/essence: <essence>`.
pub fn essence_attribute(essence: Essence) -> Attribute {
    Attribute {
        name: ESSENCE_ATTRIBUTE,
        value: AttributeValue::Str(essence.name()),
    }
}

/// A shared well of `essence` holding `mana` units and serving up to `channels` pods.
pub fn mana_well(name: &'static str, essence: Essence, mana: u64, channels: u64) -> Device {
    Device::new(name, MANAWELL_DRIVER, &[essence_attribute(essence)])
        .with_capacity(DeviceCapacity::quantity(MANA_CAPACITY, mana))
        .with_capacity(DeviceCapacity::counter(CHANNELS_CAPACITY, channels))
        .with_access(AccessPolicy::SHARED)
}
