//! The Rack patch an import writes: modules with ids derived from the objects they stand for
//! (so importing the same cluster twice gives the same patch), their params and data, the
//! cables between them, and readable rows (one row per kind, wrapped at [`ROW_HP`]).

use std::collections::BTreeSet;

use kuberack_protocol::ModuleDescriptor;
use serde_json::{json, Value};

use crate::export::PLUGIN_SLUG;

/// The widest row, in HP, before the next module starts a new row.
pub const ROW_HP: u32 = 168;
/// The Rack version the patch says it was written for.
pub const RACK_VERSION: &str = "2.4.1";
/// Module ids stay below 2^53, as Rack's own (they pass through JSON doubles).
const ID_MASK: u64 = (1 << 53) - 1;
/// The colour of every imported cable.
const CABLE_COLOR: &str = "#f3374b";

/// Which row a module goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Row {
    /// CLUSTER, SCHEDULER, ETCD.
    ControlPlane,
    /// NODE pools.
    Nodes,
    /// DEPLOYMENTs.
    Deployments,
    /// CLUSTERQUEUEs.
    Queues,
    /// JOBs.
    Jobs,
}

struct Placed {
    row: Row,
    hp: u32,
    module: Value,
}

/// A patch being built.
#[derive(Default)]
pub struct PatchBuilder {
    ids: BTreeSet<i64>,
    modules: Vec<Placed>,
    cables: Vec<Value>,
}

/// FNV-1a, 64 bits: the stable hash behind module ids.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl PatchBuilder {
    /// Adds a module of `descriptor` standing for `object` (e.g. `Node/karpenter.sh/nodepool=gp`,
    /// which gives its id), with saved `params` (index, value) and `data`; returns its id.
    pub fn add(
        &mut self,
        descriptor: &ModuleDescriptor,
        object: &str,
        row: Row,
        params: &[(usize, f64)],
        data: Value,
    ) -> i64 {
        let mut id = (fnv1a(object) & ID_MASK).max(1) as i64;
        while !self.ids.insert(id) {
            id = (id as u64 % ID_MASK + 1) as i64;
        }
        let params: Vec<Value> = descriptor
            .params
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let v = params
                    .iter()
                    .find(|p| p.0 == i)
                    .map_or(f64::from(d.default), |p| p.1);
                json!({"value": v, "id": i})
            })
            .collect();
        let mut module = json!({
            "id": id,
            "plugin": PLUGIN_SLUG,
            "model": descriptor.slug,
            "version": env!("CARGO_PKG_VERSION"),
            "params": params,
        });
        if !data.is_null() {
            module["data"] = data;
        }
        self.modules.push(Placed {
            row,
            hp: u32::from(descriptor.hp),
            module,
        });
        id
    }

    /// Adds a cable from output `output` of module `from` to input `input` of module `to`.
    pub fn cable(&mut self, from: i64, output: usize, to: i64, input: usize) {
        let id = self.cables.len() as i64 + 1;
        self.cables.push(json!({
            "id": id,
            "outputModuleId": from,
            "outputId": output,
            "inputModuleId": to,
            "inputId": input,
            "color": CABLE_COLOR,
        }));
    }

    /// The patch: modules placed in their rows in the order added, a new line when a row is
    /// full.
    pub fn finish(mut self) -> Value {
        self.modules.sort_by_key(|m| m.row);
        let (mut x, mut y, mut row) = (0u32, 0i64, None);
        let mut modules = Vec::with_capacity(self.modules.len());
        for mut m in self.modules {
            if row.is_some_and(|r| r != m.row) || x + m.hp > ROW_HP && x > 0 {
                (x, y) = (0, y + 1);
            }
            row = Some(m.row);
            m.module["pos"] = json!([x, y]);
            x += m.hp;
            modules.push(m.module);
        }
        json!({
            "version": RACK_VERSION,
            "zoom": 1.0,
            "gridOffset": [0.0, 0.0],
            "modules": modules,
            "cables": self.cables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuberack_protocol::modules::{cluster, node};

    #[test]
    fn ids_follow_the_object_and_rows_wrap() {
        let mut b = PatchBuilder::default();
        let hub = b.add(
            &cluster::DESCRIPTOR,
            "Cluster",
            Row::ControlPlane,
            &[],
            Value::Null,
        );
        let pools: Vec<i64> = (0..16)
            .map(|i| {
                let name = format!("Node/pool-{i}");
                b.add(&node::DESCRIPTOR, &name, Row::Nodes, &[(0, 3.0)], json!({}))
            })
            .collect();
        b.cable(hub, cluster::output::API, pools[0], node::input::API);
        let mut again = PatchBuilder::default();
        assert_eq!(
            again.add(
                &node::DESCRIPTOR,
                "Node/pool-0",
                Row::Nodes,
                &[],
                Value::Null
            ),
            pools[0],
            "the same object, the same id"
        );
        let patch = b.finish();
        let modules = patch["modules"].as_array().unwrap();
        assert_eq!(modules[0]["pos"], json!([0, 0]));
        assert_eq!(
            modules[1]["pos"],
            json!([0, 1]),
            "nodes start their own row"
        );
        // 14 NODEs of 12 HP fill 168 HP; the 15th wraps.
        assert_eq!(modules[15]["pos"], json!([0, 2]));
        assert_eq!(modules[1]["params"][0]["value"], 3.0);
        assert_eq!(
            modules[1]["params"][1]["value"], 4.0,
            "defaults fill the rest"
        );
        assert_eq!(patch["cables"][0]["inputModuleId"], pools[0]);
        let ids: BTreeSet<i64> = modules.iter().map(|m| m["id"].as_i64().unwrap()).collect();
        assert_eq!(ids.len(), 17);
        assert!(ids.iter().all(|&id| id > 0 && id < 1 << 53));
    }
}
