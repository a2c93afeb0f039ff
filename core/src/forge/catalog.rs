//! The forge's catalog: items with a tier and their essence requirements, shipped as data
//! (`core/data/forge-catalog.json`) and checked against each tier's rules when loaded.

use serde::Deserialize;

use crate::rng::Rng;

/// A kind of mana, advertised by nodes as an extended resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Essence {
    /// `manawell.io/fire`.
    Fire = 0,
    /// `manawell.io/frost`.
    Frost = 1,
    /// `manawell.io/arcane`.
    Arcane = 2,
}

/// Every essence, in resource order.
pub const ESSENCES: [Essence; 3] = [Essence::Fire, Essence::Frost, Essence::Arcane];

impl Essence {
    /// The extended resource a node advertises and a pod requests.
    pub fn resource_name(self) -> &'static str {
        match self {
            Essence::Fire => "manawell.io/fire",
            Essence::Frost => "manawell.io/frost",
            Essence::Arcane => "manawell.io/arcane",
        }
    }

    /// The lower-case name (the node label `energy=<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Essence::Fire => "fire",
            Essence::Frost => "frost",
            Essence::Arcane => "arcane",
        }
    }
}

/// An item's rarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub enum Tier {
    /// 2..6 essence in all, at most 2 of a type.
    Common,
    /// 6..7 in all, at most 3 of a type.
    Rare,
    /// 8..12 in all, at most 4 of a type.
    Epic,
    /// 14..18 in all, at most 6 of a type.
    Legendary,
}

impl Tier {
    /// Every tier, rarest last.
    pub const ALL: [Tier; 4] = [Tier::Common, Tier::Rare, Tier::Epic, Tier::Legendary];

    /// (least essence in all, most in all, most of one type).
    pub fn rules(self) -> (u32, u32, u32) {
        match self {
            Tier::Common => (2, 6, 2),
            Tier::Rare => (6, 7, 3),
            Tier::Epic => (8, 12, 4),
            Tier::Legendary => (14, 18, 6),
        }
    }

    /// The value of the tier's WorkloadPriorityClass (common 1 .. legendary 4).
    pub fn priority(self) -> i32 {
        self as i32 + 1
    }

    /// The WorkloadPriorityClass's name.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Common => "common",
            Tier::Rare => "rare",
            Tier::Epic => "epic",
            Tier::Legendary => "legendary",
        }
    }

    /// How often a random draw picks the tier, out of 100.
    fn weight(self) -> u32 {
        match self {
            Tier::Common => 50,
            Tier::Rare => 30,
            Tier::Epic => 15,
            Tier::Legendary => 5,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EssenceJson {
    fire: u32,
    frost: u32,
    arcane: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemJson {
    name: String,
    tier: Tier,
    essence: EssenceJson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogJson {
    items: Vec<ItemJson>,
}

/// One item of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Its name.
    pub name: String,
    /// Its tier.
    pub tier: Tier,
    /// Essence units needed, by [`Essence`] index.
    pub essence: [u32; 3],
}

impl Item {
    /// Essence units in all.
    pub fn total(&self) -> u32 {
        self.essence.iter().sum()
    }
}

/// What is wrong with a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl std::fmt::Display for CatalogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "forge catalog: {}", self.0)
    }
}

/// The items the forge draws from, grouped by tier.
#[derive(Debug, Clone)]
pub struct Catalog {
    items: Vec<Item>,
    /// Indices into `items`, per tier.
    by_tier: [Vec<usize>; 4],
}

/// The catalog shipped with KubeRack.
const BUILTIN: &str = include_str!("../../data/forge-catalog.json");

impl Catalog {
    /// The shipped catalog (checked by the tests, so this cannot fail).
    pub fn builtin() -> Catalog {
        Catalog::parse(BUILTIN).unwrap_or_else(|_| Catalog {
            items: Vec::new(),
            by_tier: Default::default(),
        })
    }

    /// Reads a catalog and checks every item against its tier's rules; every tier must
    /// have an item and names must be unique.
    pub fn parse(json: &str) -> Result<Catalog, CatalogError> {
        let parsed: CatalogJson =
            serde_json::from_str(json).map_err(|e| CatalogError(e.to_string()))?;
        let mut catalog = Catalog {
            items: Vec::with_capacity(parsed.items.len()),
            by_tier: Default::default(),
        };
        for item in parsed.items {
            let e = item.essence;
            let item = Item {
                name: item.name,
                tier: item.tier,
                essence: [e.fire, e.frost, e.arcane],
            };
            let (least, most, per_type) = item.tier.rules();
            let total = item.total();
            if total < least || total > most {
                return Err(CatalogError(format!(
                    "{:?} needs {total} essence; a {:?} item needs {least}..{most}",
                    item.name, item.tier
                )));
            }
            if let Some(&over) = item.essence.iter().find(|&&n| n > per_type) {
                return Err(CatalogError(format!(
                    "{:?} needs {over} of one essence; a {:?} item at most {per_type}",
                    item.name, item.tier
                )));
            }
            if catalog.items.iter().any(|i| i.name == item.name) {
                return Err(CatalogError(format!("{:?} twice", item.name)));
            }
            catalog.by_tier[item.tier as usize].push(catalog.items.len());
            catalog.items.push(item);
        }
        if let Some(tier) = Tier::ALL
            .iter()
            .find(|t| catalog.by_tier[**t as usize].is_empty())
        {
            return Err(CatalogError(format!("no {tier:?} item")));
        }
        Ok(catalog)
    }

    /// Every item.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// The item with this name.
    pub fn find(&self, name: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.name == name)
    }

    /// Draws an item: of `tier`, or of a tier drawn by weight (common 50, rare 30, epic 15,
    /// legendary 5 in 100); uniform within the tier. `None` only for an empty catalog.
    pub fn draw(&self, rng: &mut Rng, tier: Option<Tier>) -> Option<&Item> {
        let tier = tier.unwrap_or_else(|| {
            let mut roll = rng.below(100) as u32;
            Tier::ALL
                .into_iter()
                .find(|t| {
                    let hit = roll < t.weight();
                    roll = roll.saturating_sub(t.weight());
                    hit
                })
                .unwrap_or(Tier::Common)
        });
        let list = &self.by_tier[tier as usize];
        if list.is_empty() {
            return None;
        }
        let pick = rng.below(list.len() as u64) as usize;
        self.items.get(list[pick])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_catalog_obeys_every_tiers_rules() {
        let c = Catalog::parse(BUILTIN).unwrap();
        assert!(c.items().len() >= 30);
        for tier in Tier::ALL {
            assert!(
                c.items().iter().filter(|i| i.tier == tier).count() >= 4,
                "{tier:?}"
            );
        }
        let blade = c.find("God-slayer Elemental Blade").unwrap();
        assert_eq!((blade.tier, blade.essence), (Tier::Legendary, [6, 5, 4]));
    }

    #[test]
    fn items_breaking_their_tiers_rules_are_refused_by_name() {
        let one = |tier: &str, fire: u32, frost: u32, arcane: u32| {
            format!(
                r#"{{"items": [{{"name": "X", "tier": "{tier}", "essence": {{"fire": {fire}, "frost": {frost}, "arcane": {arcane}}}}}],
                   "_": 0}}"#
            )
        };
        // Unknown keys, too few, too many, too much of one type.
        assert!(Catalog::parse(&one("Common", 1, 1, 0)).is_err());
        let cases = [
            ("Common", 1, 0, 0, "needs 1 essence"),
            ("Common", 3, 0, 0, "3 of one essence"),
            ("Rare", 3, 3, 2, "needs 8 essence"),
            ("Legendary", 7, 4, 4, "7 of one essence"),
        ];
        for (tier, f, fr, a, why) in cases {
            let json = format!(
                r#"{{"items": [{{"name": "X", "tier": "{tier}", "essence": {{"fire": {f}, "frost": {fr}, "arcane": {a}}}}}]}}"#
            );
            let err = Catalog::parse(&json).unwrap_err();
            assert!(err.0.contains(why) && err.0.contains("\"X\""), "{err}");
        }
        assert!(Catalog::parse("{").is_err());
        assert!(Catalog::parse(r#"{"items": []}"#)
            .unwrap_err()
            .0
            .contains("no Common item"));
    }

    #[test]
    fn draws_follow_the_tier_weights_and_are_seeded() {
        let c = Catalog::builtin();
        let mut rng = Rng::new(9);
        let mut counts = [0u32; 4];
        for _ in 0..10_000 {
            counts[c.draw(&mut rng, None).unwrap().tier as usize] += 1;
        }
        for (tier, expected) in [(0, 5000), (1, 3000), (2, 1500), (3, 500)] {
            let n = counts[tier] as i32;
            assert!((n - expected).abs() < expected / 5, "{counts:?}");
        }
        let a: Vec<&str> = {
            let mut r = Rng::new(4);
            (0..20)
                .map(|_| c.draw(&mut r, None).unwrap().name.as_str())
                .collect()
        };
        let b: Vec<&str> = {
            let mut r = Rng::new(4);
            (0..20)
                .map(|_| c.draw(&mut r, None).unwrap().name.as_str())
                .collect()
        };
        assert_eq!(a, b);
        let mut r = Rng::new(1);
        assert_eq!(c.draw(&mut r, Some(Tier::Epic)).unwrap().tier, Tier::Epic);
    }
}
