//! Interned strings: label keys and values become small ids where settings change (module
//! load and the context menu), so the world compares ids and never touches a string. The
//! names the world itself labels and taints nodes with have fixed ids.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::world::constraints::{LABEL_HOSTNAME, LABEL_ZONE, TAINT_KEY, ZONE_NAMES};

/// An interned string (0: the empty string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Sym(pub u32);

/// The label the world puts on a node of a mana pool: `energy=<essence>`.
pub const LABEL_ENERGY: &str = "energy";

/// Names with fixed ids, in id order from 1.
const WELL_KNOWN: [&str; 10] = [
    LABEL_ZONE,
    ZONE_NAMES[0],
    ZONE_NAMES[1],
    ZONE_NAMES[2],
    ZONE_NAMES[3],
    TAINT_KEY,
    LABEL_ENERGY,
    "fire",
    "frost",
    LABEL_HOSTNAME,
];
/// `arcane` follows the well-known names.
const ARCANE: u32 = WELL_KNOWN.len() as u32 + 1;

/// `topology.kubernetes.io/zone`.
pub const SYM_ZONE: Sym = Sym(1);
/// `kuberack.io/dedicated`.
pub const SYM_DEDICATED: Sym = Sym(6);
/// `energy`.
pub const SYM_ENERGY: Sym = Sym(7);
/// `kubernetes.io/hostname`.
pub const SYM_HOSTNAME: Sym = Sym(10);

/// The symbol of zone `z` (1-based; 0: none).
pub const fn zone_sym(z: u8) -> Sym {
    if z == 0 || z as usize > ZONE_NAMES.len() {
        Sym(0)
    } else {
        Sym(1 + z as u32)
    }
}

/// The symbol of essence `e` (1-based, as `EssenceIndex`; 0: none).
pub const fn essence_sym(e: u8) -> Sym {
    match e {
        1 => Sym(8),
        2 => Sym(9),
        3 => Sym(ARCANE),
        _ => Sym(0),
    }
}

struct Table {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    let mut guard = TABLE.lock().unwrap_or_else(|e| e.into_inner());
    let table = guard.get_or_insert_with(|| {
        let mut t = Table {
            ids: HashMap::new(),
            names: vec![String::new()],
        };
        for name in WELL_KNOWN.iter().chain(&["arcane"]) {
            t.ids.insert(name.to_string(), t.names.len() as u32);
            t.names.push(name.to_string());
        }
        t
    });
    f(table)
}

/// The id of `name`, given out on first use (not on the audio path: it may allocate).
pub fn intern(name: &str) -> Sym {
    if name.is_empty() {
        return Sym(0);
    }
    with_table(|t| {
        if let Some(&id) = t.ids.get(name) {
            return Sym(id);
        }
        let id = t.names.len() as u32;
        t.ids.insert(name.to_string(), id);
        t.names.push(name.to_string());
        Sym(id)
    })
}

/// The name of an id (not on the audio path).
pub fn name(sym: Sym) -> String {
    with_table(|t| t.names.get(sym.0 as usize).cloned().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_names_have_their_fixed_ids() {
        assert_eq!(intern(LABEL_ZONE), SYM_ZONE);
        assert_eq!(intern("zone-c"), zone_sym(3));
        assert_eq!(intern(TAINT_KEY), SYM_DEDICATED);
        assert_eq!(intern(LABEL_ENERGY), SYM_ENERGY);
        assert_eq!(intern(LABEL_HOSTNAME), SYM_HOSTNAME);
        assert_eq!(intern("fire"), essence_sym(1));
        assert_eq!(intern("arcane"), essence_sym(3));
        assert_eq!(intern(""), Sym(0));
        let gpu = intern("gpu");
        assert_eq!(intern("gpu"), gpu);
        assert_eq!(name(gpu), "gpu");
        assert_ne!(intern("GPU"), gpu);
    }
}
