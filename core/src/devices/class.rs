//! DeviceClass: which devices a claim may be given (DRA `resource.k8s.io` DeviceClass).

use super::attributes::{Attribute, Attributes};
use super::device::Device;

/// A class of devices: a driver and attribute selectors (DRA's CEL selectors, reduced to
/// equality on attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceClass {
    /// The class's name, e.g. `fire.manawell.io`.
    pub name: &'static str,
    /// Only devices of this driver, if set.
    pub driver: Option<&'static str>,
    /// Attribute values every device of the class has.
    pub selectors: Attributes,
}

impl DeviceClass {
    /// A class of `driver`'s devices that carry every attribute in `selectors`.
    pub fn new(
        name: &'static str,
        driver: Option<&'static str>,
        selectors: &[Attribute],
    ) -> DeviceClass {
        DeviceClass {
            name,
            driver,
            selectors: Attributes::new(selectors),
        }
    }

    /// Whether `device` is of the driver the class names.
    pub fn driver_matches(&self, device: &Device) -> bool {
        self.driver.is_none_or(|d| d == device.driver)
    }

    /// Whether `device` belongs to the class.
    pub fn selects(&self, device: &Device) -> bool {
        self.driver_matches(device) && self.selectors.selected_by(&device.attributes)
    }
}
