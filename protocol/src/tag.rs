//! Reference tags: integers carried exactly by a cable's voltage.
//!
//! A tag `t` (1..=[`MAX_TAG`]) is sent as `t / 512` volts. Every such value is exactly
//! representable in an `f32`, so it survives Rack's cables bit for bit; 0 V means "no
//! reference", and any voltage that is not an exact multiple of 1/512 V in range decodes
//! to no reference.

/// Volts per tag step.
pub const TAG_VOLTS: f32 = 1.0 / 512.0;
/// Largest tag (4096 / 512 = 8 V, inside ±10 V).
pub const MAX_TAG: u32 = 4096;

/// The voltage that carries `tag`; 0 V for tag 0 or an out-of-range tag.
pub fn tag_to_volts(tag: u32) -> f32 {
    if tag == 0 || tag > MAX_TAG {
        0.0
    } else {
        tag as f32 * TAG_VOLTS
    }
}

/// The tag a voltage carries, if it carries one exactly.
pub fn volts_to_tag(volts: f32) -> Option<u32> {
    if !volts.is_finite() || volts <= 0.0 {
        return None;
    }
    let scaled = volts * 512.0;
    if scaled > MAX_TAG as f32 || scaled.fract() != 0.0 {
        return None;
    }
    Some(scaled as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag_round_trips_exactly() {
        for tag in 1..=MAX_TAG {
            assert_eq!(volts_to_tag(tag_to_volts(tag)), Some(tag));
        }
    }

    #[test]
    fn non_tags_decode_to_none() {
        for v in [0.0, -1.0, 0.001, 5.0001, 9.0, f32::NAN, f32::INFINITY, 1e-9] {
            assert_eq!(volts_to_tag(v), None, "{v}");
        }
        assert_eq!(tag_to_volts(0), 0.0);
        assert_eq!(tag_to_volts(MAX_TAG + 1), 0.0);
    }
}
