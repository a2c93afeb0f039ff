//! Labels, taints, tolerations and node affinity as users write them: parsed and checked where
//! settings change, interned into tables the world reads by id, and matched on the audio path
//! without strings, locks or allocation.

pub mod api;
pub mod matching;
pub mod names;
pub mod parse;
pub mod symbols;
pub mod table;

#[cfg(test)]
mod tests;
