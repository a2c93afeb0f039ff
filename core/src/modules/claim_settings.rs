//! A JOB's resource claim settings (saved under "resourceClaim"): the pod template's claim
//! on mana wells, as a resourceClaimTemplate gives every pod its own claim. A pod with a
//! claim also tolerates its class's `energy` taint.

use serde::{Deserialize, Serialize};

use crate::devices::{AccessMode, MAX_DEVICES};
use crate::forge::ESSENCES;
use crate::world::mana::{essence, essence_index};
use crate::world::PodClaim;

/// Most mana a claim asks of one well.
pub const MAX_CLAIM_MANA: u32 = 1024;

/// The settings as saved, with the API's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ClaimSettings {
    /// deviceClassName: "" (no claim) or `<essence>.manawell.io`.
    pub device_class_name: String,
    /// count: wells asked for (1..=MAX_DEVICES).
    pub count: u32,
    /// `manawell.io/mana` asked of each well (0: none).
    pub mana: u32,
    /// accessMode: ReadWriteExclusive, WriteExclusive, ReadWriteShared or ReadOnlyShared.
    pub access_mode: String,
}

impl Default for ClaimSettings {
    fn default() -> Self {
        ClaimSettings {
            device_class_name: String::new(),
            count: 1,
            mana: 0,
            access_mode: AccessMode::ReadWriteExclusive.name().into(),
        }
    }
}

impl ClaimSettings {
    /// The claim these settings describe, or what is wrong with them.
    pub fn to_claim(&self) -> Result<PodClaim, String> {
        let class = self.device_class_name.as_str();
        let essence = match ESSENCES
            .iter()
            .find(|e| class.strip_suffix(".manawell.io") == Some(e.name()))
        {
            Some(&e) => essence_index(e),
            None if class.is_empty() => 0,
            None => return Err(format!("deviceClassName: no DeviceClass {class:?}")),
        };
        if !(1..=MAX_DEVICES as u32).contains(&self.count) {
            return Err(format!("count: {} (1..={MAX_DEVICES})", self.count));
        }
        if self.mana > MAX_CLAIM_MANA {
            return Err(format!("mana: {} (at most {MAX_CLAIM_MANA})", self.mana));
        }
        let access = AccessMode::ALL
            .into_iter()
            .find(|m| m.name() == self.access_mode)
            .ok_or_else(|| format!("accessMode: {:?}", self.access_mode))?;
        Ok(PodClaim {
            essence,
            count: if essence == 0 { 0 } else { self.count as u8 },
            mana: self.mana,
            access,
        })
    }
}

/// The claim in one slot word: essence (2 bits), count (4), access mode (2), mana (16).
pub fn pack_claim(c: &PodClaim) -> u32 {
    u32::from(c.essence & 3)
        | u32::from(c.count & 15) << 2
        | (c.access as u32 & 3) << 6
        | c.mana.min(0xffff) << 8
}

/// The claim a slot word holds (out-of-range essences: no claim).
pub fn unpack_claim(word: u32) -> PodClaim {
    let essence_word = (word & 3) as u8;
    let count = ((word >> 2) & 15) as u8;
    if essence(essence_word).is_none() || count == 0 {
        return PodClaim::NONE;
    }
    PodClaim {
        essence: essence_word,
        count,
        mana: (word >> 8) & 0xffff,
        access: AccessMode::ALL[((word >> 6) & 3) as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_map_to_the_claim_and_pack_into_a_word() {
        let s: ClaimSettings = serde_json::from_value(serde_json::json!({
            "deviceClassName": "frost.manawell.io",
            "count": 2,
            "mana": 3,
            "accessMode": "ReadOnlyShared",
        }))
        .unwrap();
        let claim = s.to_claim().unwrap();
        assert_eq!((claim.essence, claim.count, claim.mana), (2, 2, 3));
        assert_eq!(claim.access, AccessMode::ReadOnlyShared);
        assert_eq!(unpack_claim(pack_claim(&claim)), claim);
        assert_eq!(ClaimSettings::default().to_claim().unwrap(), PodClaim::NONE);
        assert_eq!(unpack_claim(pack_claim(&PodClaim::NONE)), PodClaim::NONE);
        let odd = unpack_claim(u32::MAX).device_claim(1).unwrap();
        assert!(odd.count() <= MAX_DEVICES);
        for bad in [
            json_settings("deviceClassName", serde_json::json!("gpu.example.com")),
            json_settings("count", serde_json::json!(0)),
            json_settings("count", serde_json::json!(9)),
            json_settings("mana", serde_json::json!(5000)),
            json_settings("accessMode", serde_json::json!("ReadWriteOnce")),
        ] {
            assert!(bad.to_claim().is_err(), "{bad:?}");
        }
    }

    fn json_settings(key: &str, value: serde_json::Value) -> ClaimSettings {
        serde_json::from_value(serde_json::json!({ key: value })).unwrap()
    }
}
