//! The hub's side of ENCHANTMENT members: each new FORGE count draws an item (the world's
//! seeded draw) and creates its Enchantment; the hub counts the phases each Enchantment
//! enters and deletes it, with its Jobs, 30 s after it finished.

use crate::forge::Tier;
use crate::modules::words::{enchantment_desired as ed, enchantment_observed as eo};
use crate::registry::Slot;
use crate::world::enchantment::{EnchantmentPhase, EnchantmentSpec};
use crate::world::{World, NONE};

/// Most Enchantments of one ENCHANTMENT alive at once.
pub const ENCHANTMENTS_PER_MODULE: usize = 4;
/// Most ENCHANTMENT modules one hub follows (their Enchantments fill the world's 64).
pub const MAX_ENCHANTMENT_MODULES: usize = 16;
/// Seconds a finished Enchantment is kept before it is deleted with its Jobs.
pub const ENCHANTMENT_TTL: f64 = 30.0;

/// One Enchantment an ENCHANTMENT created.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    id: u32,
    uid: u64,
    /// Its module's count of Enchantments created, at its creation (from 1).
    serial: u32,
    /// Phase entries already counted.
    entered: [u32; 5],
}

/// What the hub keeps of one ENCHANTMENT module.
#[derive(Debug, Clone, Copy)]
struct MemberForge {
    tag: u32,
    forges_seen: u32,
    /// Enchantments created so far.
    created: u32,
    enchantments: [Option<Tracked>; ENCHANTMENTS_PER_MODULE],
    entered: [u32; 5],
    last_tier: u32,
}

/// Every ENCHANTMENT module's Enchantments.
pub(super) struct EnchantmentOwners(Vec<MemberForge>);

/// The tier a TIER word asks for (0 and out of range: drawn by weight).
fn tier_of(word: u32) -> Option<Tier> {
    Tier::ALL.get((word as usize).checked_sub(1)?).copied()
}

impl EnchantmentOwners {
    /// Room for [`MAX_ENCHANTMENT_MODULES`].
    pub fn new() -> EnchantmentOwners {
        EnchantmentOwners(Vec::with_capacity(MAX_ENCHANTMENT_MODULES))
    }

    /// Forges an item per new FORGE count of ENCHANTMENT `tag` while it has room.
    pub fn sync(&mut self, world: &mut World, tag: u32, slot: &Slot) {
        let forges = slot.desired(ed::FORGES);
        let m = match self.0.iter().position(|m| m.tag == tag) {
            Some(i) => &mut self.0[i],
            None if self.0.len() < self.0.capacity() => {
                self.0.push(MemberForge {
                    tag,
                    forges_seen: forges,
                    created: 0,
                    enchantments: [None; ENCHANTMENTS_PER_MODULE],
                    entered: [0; 5],
                    last_tier: 0,
                });
                let last = self.0.len() - 1;
                &mut self.0[last]
            }
            None => return,
        };
        let new = forges.wrapping_sub(m.forges_seen);
        m.forges_seen = forges;
        // A count that jumped back or far is a restarted module: nothing to replay.
        let new = if new > 64 { 0 } else { new };
        let spec = |item| EnchantmentSpec {
            item,
            queue: match slot.desired(ed::QUEUE) {
                0 => NONE,
                tag => tag,
            },
            cost_seconds: f64::from(slot.desired(ed::COST_MS)) / 1000.0,
            terms: slot.desired(ed::TERMS).min(u32::from(u16::MAX)) as u16,
        };
        for _ in 0..new {
            let Some(free) = m.enchantments.iter().position(Option::is_none) else {
                break;
            };
            let Some(item) = world.draw_forge_item(tier_of(slot.desired(ed::TIER))) else {
                break;
            };
            if let Some(id) = world.create_enchantment(spec(item)) {
                let uid = world.enchantment(id).map_or(0, |e| e.meta.uid);
                m.created = m.created.wrapping_add(1);
                m.enchantments[free] = Some(Tracked {
                    id,
                    uid,
                    serial: m.created,
                    entered: [0; 5],
                });
            }
        }
    }

    /// How many Enchantments ENCHANTMENT `tag` created so far, and the id of the one created
    /// as `serial` (that count, from 1) while it still exists.
    pub fn created(&self, tag: u32, serial: u32) -> (u32, Option<u32>) {
        let Some(m) = self.0.iter().find(|m| m.tag == tag) else {
            return (0, None);
        };
        let id = m
            .enchantments
            .iter()
            .flatten()
            .find(|t| t.serial == serial)
            .map(|t| t.id);
        (m.created, id)
    }

    /// ENCHANTMENT `tag` left: its Enchantments are deleted with their Jobs.
    pub fn release(&mut self, world: &mut World, tag: u32) {
        if let Some(i) = self.0.iter().position(|m| m.tag == tag) {
            for t in self.0[i].enchantments.iter().flatten() {
                if world.enchantment(t.id).is_some_and(|e| e.meta.uid == t.uid) {
                    world.delete_enchantment(t.id);
                }
            }
            self.0.swap_remove(i);
        }
    }

    /// Counts each tracked Enchantment's new phases, removes finished ones after the TTL,
    /// and writes what ENCHANTMENT `tag` observes.
    pub fn publish(&mut self, world: &mut World, tag: u32, slot: &Slot) {
        let Some(m) = self.0.iter_mut().find(|m| m.tag == tag) else {
            return;
        };
        let now = world.time();
        let (mut phases, mut alive) = (0u32, 0u32);
        for entry in m.enchantments.iter_mut() {
            let Some(t) = entry.as_mut() else { continue };
            let Some(e) = world
                .enchantment(t.id)
                .filter(|e| e.meta.uid == t.uid)
                .copied()
            else {
                *entry = None;
                continue;
            };
            for (k, seen) in t.entered.iter_mut().enumerate() {
                let new = e.entered[k].wrapping_sub(*seen);
                m.entered[k] = m.entered[k].wrapping_add(new);
                *seen = e.entered[k];
                if new > 0 && k == EnchantmentPhase::Completed as usize {
                    m.last_tier = e.tier.priority() as u32;
                }
            }
            if e.finished_at.is_some_and(|at| now - at >= ENCHANTMENT_TTL) {
                world.delete_enchantment(t.id);
                *entry = None;
                continue;
            }
            phases |= 1 << e.phase as u32;
            alive += 1;
        }
        slot.set_observed(eo::FORGES_SEEN, m.forges_seen);
        for (k, n) in m.entered.iter().enumerate() {
            slot.set_observed(eo::ENTERED_FIRST + k, *n);
        }
        slot.set_observed(eo::PHASES, phases);
        slot.set_observed(eo::LAST_TIER, m.last_tier);
        slot.set_observed(eo::ALIVE, alive);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::ESSENCES;
    use crate::kueue::PreemptionPolicy;
    use crate::registry::{Registry, SlotKind};
    use crate::world::mana::Mana;
    use crate::world::queueing::{ClusterQueueConfig, QueueFlavors};
    use crate::world::{NodePoolSpec, WorldConfig};

    const CQ: u32 = 30;

    fn world() -> World {
        let mut w = World::new(WorldConfig {
            seed: 3,
            max_pods: 128,
            max_nodes: 8,
            event_capacity: 8192,
        });
        for (tag, e) in (1..).zip(ESSENCES) {
            let pool = NodePoolSpec {
                count: 1,
                cpu_m: 4000,
                memory_mib: 8192,
                pods: 110,
                mana: Mana::of(e, 8),
                ..NodePoolSpec::default()
            };
            w.apply_node_pool(tag, pool);
        }
        w.apply_cluster_queue(
            CQ,
            ClusterQueueConfig {
                flavors: QueueFlavors::AllEssences,
                cpu_m: 8000,
                memory_mib: 8192,
                mana: 8,
                within_cluster_queue: PreemptionPolicy::LowerPriority,
                ..ClusterQueueConfig::default()
            },
        );
        for _ in 0..300 {
            w.step(0.01);
        }
        w
    }

    /// Steps the world `seconds`, syncing and publishing member `tag` every step.
    fn run(owners: &mut EnchantmentOwners, w: &mut World, tag: u32, slot: &Slot, seconds: f64) {
        for _ in 0..(seconds / 0.01).round() as usize {
            owners.sync(w, tag, slot);
            w.step(0.01);
            owners.publish(w, tag, slot);
        }
    }

    #[test]
    fn forges_count_phases_remember_the_forged_tier_and_expire_after_the_ttl() {
        let registry = Registry::new();
        let handle = registry.claim(SlotKind::Enchantment).unwrap();
        let (tag, slot) = (handle.tag(), handle.slot());
        let mut w = world();
        let mut owners = EnchantmentOwners::new();
        slot.set_desired(ed::QUEUE, CQ);
        slot.set_desired(ed::COST_MS, 500);
        slot.set_desired(ed::TIER, 3); // epic
        owners.sync(&mut w, tag, slot);
        // Six FORGE triggers: only four Enchantments fit.
        slot.set_desired(ed::FORGES, 6);
        run(&mut owners, &mut w, tag, slot, 0.5);
        assert_eq!(slot.observed(eo::FORGES_SEEN), 6);
        assert_eq!(w.enchantments().count(), ENCHANTMENTS_PER_MODULE);
        assert!(w.enchantments().all(|(_, e)| e.tier == Tier::Epic));
        assert_eq!(slot.observed(eo::ENTERED_FIRST), 4, "four Scheduled");
        assert_eq!(slot.observed(eo::ALIVE), 4);
        let completed =
            |slot: &Slot| slot.observed(eo::ENTERED_FIRST + EnchantmentPhase::Completed as usize);
        let mut waited = 0.0;
        while completed(slot) < 4 && waited < 60.0 {
            run(&mut owners, &mut w, tag, slot, 0.1);
            waited += 0.1;
        }
        assert_eq!(completed(slot), 4);
        assert!(
            slot.observed(eo::ENTERED_FIRST + 1) >= 4,
            "each was Enchanting"
        );
        assert_eq!(slot.observed(eo::LAST_TIER), 3);
        assert_ne!(
            slot.observed(eo::PHASES) & (1 << 3),
            0,
            "kept until the TTL"
        );
        run(&mut owners, &mut w, tag, slot, ENCHANTMENT_TTL);
        assert_eq!(w.enchantments().count(), 0);
        assert_eq!(w.jobs().count(), 0, "their Jobs went with them");
        assert_eq!(
            (slot.observed(eo::ALIVE), slot.observed(eo::PHASES)),
            (0, 0)
        );
        // Room again: the next FORGE is drawn.
        slot.set_desired(ed::FORGES, 7);
        run(&mut owners, &mut w, tag, slot, 0.1);
        assert_eq!(w.enchantments().count(), 1);
        owners.release(&mut w, tag);
        assert_eq!(w.enchantments().count(), 0);
    }

    #[test]
    fn a_restarted_member_replays_nothing_and_tiers_out_of_range_draw_by_weight() {
        assert_eq!(tier_of(0), None);
        assert_eq!(tier_of(4), Some(Tier::Legendary));
        assert_eq!(tier_of(9), None);
        let registry = Registry::new();
        let handle = registry.claim(SlotKind::Enchantment).unwrap();
        let (tag, slot) = (handle.tag(), handle.slot());
        let mut w = world();
        let mut owners = EnchantmentOwners::new();
        slot.set_desired(ed::FORGES, 1000);
        owners.sync(&mut w, tag, slot);
        slot.set_desired(ed::FORGES, 3);
        owners.sync(&mut w, tag, slot);
        assert_eq!(w.enchantments().count(), 0);
    }
}
