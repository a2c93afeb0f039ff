//! The forge: items drawn from a catalog, each needing essences of fire, frost and arcane
//! mana, forged by Jobs that ask for the matching extended resources.

mod catalog;

pub use catalog::{Catalog, CatalogError, Essence, Item, Tier, ESSENCES};
