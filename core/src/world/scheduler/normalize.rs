//! Upstream's DefaultNormalizeScore: scales raw scores so the highest becomes 100.

use super::MAX_NODE_SCORE;

/// DefaultNormalizeScore for raw scores whose maximum is `max`: scales to 0..=100 by the
/// maximum; `reverse` turns them around (100 - s). With a maximum of 0 every score stays 0,
/// or becomes 100 when reversed.
#[derive(Debug, Clone, Copy)]
pub struct Normalizer {
    max: i64,
    reverse: bool,
}

impl Normalizer {
    /// The scaling for raw scores with this maximum.
    pub fn new(max: i64, reverse: bool) -> Normalizer {
        Normalizer { max, reverse }
    }

    /// The normalised score of one raw score.
    #[inline]
    pub fn apply(&self, raw: i64) -> i64 {
        if self.max == 0 {
            return if self.reverse { MAX_NODE_SCORE } else { raw };
        }
        let s = MAX_NODE_SCORE * raw / self.max;
        if self.reverse {
            MAX_NODE_SCORE - s
        } else {
            s
        }
    }
}
