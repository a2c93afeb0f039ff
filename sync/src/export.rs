//! Export: a patch's desired objects as kubectl-appliable YAML (the Namespace, one
//! Deployment per DEPLOYMENT module plugged into a CLUSTER and, for CLUSTERQUEUEs, Kueue's
//! ResourceFlavors, WorkloadPriorityClasses, ClusterQueues and LocalQueues, as the live sync
//! writes them), plus the patch topology as one ConfigMap. Shared by `kuberack export` and the hub's
//! "Export manifests" menu (through the C ABI), over a small model of a Rack patch.

use crate::{kueue, manifest};
use kuberack_core::live::{DesiredObject, DesiredQueue};
use kuberack_core::modules::cluster_queue::{fair_sharing_weight_milli, DEFAULT_WEIGHT_MILLI};
use kuberack_core::modules::scheduling_settings::SchedulingSettings;
use kuberack_core::world::terms::table;
use kuberack_protocol::modules::cluster_queue::{
    input as cq_input, output as cq_output, param as cq_param, DESCRIPTOR as CQ,
};
use kuberack_protocol::modules::deployment::{input, param, DESCRIPTOR};
use kuberack_protocol::ModuleDescriptor;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The plugin slug of KubeRack's modules in Rack patches.
pub const PLUGIN_SLUG: &str = "KubeRack";
/// The file an export writes in its directory.
pub const EXPORT_FILE: &str = "kuberack.yaml";

/// One module of a patch, as the export reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportModule {
    /// Rack's module id.
    pub id: i64,
    /// Plugin slug.
    pub plugin: String,
    /// Model slug.
    pub model: String,
    /// Whether it is bypassed.
    pub bypass: bool,
    /// Saved params: (index, value).
    pub params: Vec<(usize, f64)>,
    /// The module's saved data (`null` when it has none).
    pub data: Value,
}

impl ExportModule {
    fn is_kuberack(&self) -> bool {
        self.plugin == PLUGIN_SLUG
    }
}

/// One cable: (module id, output index) to (module id, input index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportCable {
    /// Module at the output end.
    pub output_module: i64,
    /// Output index.
    pub output: usize,
    /// Module at the input end.
    pub input_module: i64,
    /// Input index.
    pub input: usize,
}

/// A patch's modules and cables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportPatch {
    /// Modules in patch order.
    pub modules: Vec<ExportModule>,
    /// Cables in patch order.
    pub cables: Vec<ExportCable>,
}

fn index(v: &Value, key: &str, what: &str) -> Result<usize, String> {
    v[key]
        .as_u64()
        .map(|i| i as usize)
        .ok_or_else(|| format!("{what} has no {key}"))
}

fn id(v: &Value, key: &str, what: &str) -> Result<i64, String> {
    v[key]
        .as_i64()
        .ok_or_else(|| format!("{what} has no {key}"))
}

impl ExportPatch {
    /// Reads Rack 2's patch JSON as Rack writes it (`modules` with `id`, `plugin`, `model`,
    /// `params` [{`id`, `value`}] and `bypass`; `cables` with `outputModuleId`, `outputId`,
    /// `inputModuleId`, `inputId`).
    pub fn from_rack_json(root: &Value) -> Result<ExportPatch, String> {
        let modules = root["modules"]
            .as_array()
            .ok_or("the patch has no \"modules\" array")?;
        let mut patch = ExportPatch::default();
        for (i, m) in modules.iter().enumerate() {
            let what = format!("module #{i}");
            let params = m["params"].as_array().map_or(&[][..], Vec::as_slice);
            patch.modules.push(ExportModule {
                id: id(m, "id", &what)?,
                plugin: m["plugin"].as_str().unwrap_or_default().to_owned(),
                model: m["model"].as_str().unwrap_or_default().to_owned(),
                bypass: m["bypass"].as_bool().unwrap_or(false),
                params: params
                    .iter()
                    .enumerate()
                    .map(|(k, p)| {
                        let at = p["id"].as_u64().map_or(k, |i| i as usize);
                        (at, p["value"].as_f64().unwrap_or(f64::NAN))
                    })
                    .collect(),
                data: m["data"].clone(),
            });
        }
        for (i, c) in root["cables"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .enumerate()
        {
            let what = format!("cable #{i}");
            patch.cables.push(ExportCable {
                output_module: id(c, "outputModuleId", &what)?,
                output: index(c, "outputId", &what)?,
                input_module: id(c, "inputModuleId", &what)?,
                input: index(c, "inputId", &what)?,
            });
        }
        Ok(patch)
    }
}

/// The Deployments a patch asks for: DEPLOYMENT modules whose API input is cabled from a
/// CLUSTER, with replicas and requests from the saved knobs (CV inputs are not known
/// offline; the live sync follows them).
///
/// A DEPLOYMENT whose saved scheduling settings are refused is exported without them (its
/// pods' labels, tolerations and node affinity), as the module itself loads it.
pub fn desired_objects(patch: &ExportPatch) -> Vec<DesiredObject> {
    patch
        .modules
        .iter()
        .filter(|m| joined(patch, m, DESCRIPTOR.slug, input::API))
        .map(|m| {
            DesiredObject::deployment(
                m.id as u64,
                knob(m, param::REPLICAS).round() as u32,
                (knob(m, param::CPU).round() * 10.0) as u32,
                (knob(m, param::MEMORY).round() * 16.0) as u32,
            )
            .with_pod_terms(pod_terms(m).unwrap_or(0))
        })
        .collect()
}

/// The interned pod terms of a DEPLOYMENT's saved scheduling settings, or why they are
/// refused.
pub fn pod_terms(m: &ExportModule) -> Result<u16, String> {
    let settings = match m.data.get("scheduling") {
        None => SchedulingSettings::default(),
        Some(v) => SchedulingSettings::deserialize(v).map_err(|e| e.to_string())?,
    };
    table::intern_pod(&settings.manifest_terms()?)
}

/// A saved param of a DEPLOYMENT as the module reads it.
fn knob(m: &ExportModule, index: usize) -> f32 {
    knob_of(m, &DESCRIPTOR, index)
}

/// A saved param as the module reads it: default when missing or NaN, clamped to its range.
fn knob_of(m: &ExportModule, descriptor: &ModuleDescriptor, index: usize) -> f32 {
    let d = &descriptor.params[index];
    let v = m
        .params
        .iter()
        .find(|p| p.0 == index)
        .map_or(d.default, |p| p.1 as f32);
    if v.is_nan() {
        d.default
    } else {
        v.clamp(d.min, d.max)
    }
}

/// Whether module `m` is a KubeRack `model`, not bypassed, whose API input is cabled from a
/// CLUSTER.
fn joined(patch: &ExportPatch, m: &ExportModule, model: &str, api_input: usize) -> bool {
    let cluster = |id: i64| {
        patch
            .modules
            .iter()
            .any(|o| o.id == id && o.is_kuberack() && o.model == "Cluster")
    };
    m.is_kuberack()
        && m.model == model
        && !m.bypass
        && patch
            .cables
            .iter()
            .any(|c| c.input_module == m.id && c.input == api_input && cluster(c.output_module))
}

/// The ClusterQueues a patch asks for: CLUSTERQUEUE modules plugged into a CLUSTER, from
/// their saved knobs (a QUOTA CV is not known offline), each in the cohort named after the
/// first queue of its COHORT cable chain (a loop: its lowest module id), as the live sync
/// writes them.
pub fn queue_objects(patch: &ExportPatch) -> Vec<DesiredObject> {
    let queues: Vec<&ExportModule> = patch
        .modules
        .iter()
        .filter(|m| joined(patch, m, CQ.slug, cq_input::API))
        .collect();
    let parent = |id: i64| {
        patch
            .cables
            .iter()
            .find(|c| {
                c.input_module == id
                    && c.input == cq_input::COHORT
                    // Both outputs carry the queue's reference.
                    && (c.output == cq_output::COHORT || c.output == cq_output::QUEUE)
                    && c.output_module != id
            })
            .map(|c| c.output_module)
            .filter(|p| queues.iter().any(|q| q.id == *p))
    };
    let root = |id: i64| -> Option<i64> {
        let (mut cur, mut lowest) = (id, id);
        for _ in 0..=queues.len() {
            match parent(cur) {
                Some(p) if p == id => return Some(lowest.min(p)),
                Some(p) => {
                    cur = p;
                    lowest = lowest.min(p);
                }
                None if cur != id => return Some(cur),
                None => break,
            }
        }
        if cur != id {
            return Some(lowest);
        }
        queues
            .iter()
            .any(|q| parent(q.id) == Some(id))
            .then_some(id)
    };
    queues
        .iter()
        .map(|m| {
            let whole = |index| knob_of(m, &CQ, index).round() as u32;
            let borrow = whole(cq_param::BORROW);
            let lend = whole(cq_param::LEND);
            let queue = DesiredQueue {
                flavors: whole(cq_param::FLAVOR).min(4) as u8,
                mana: whole(cq_param::MANA),
                borrow_pct: (borrow < 200).then_some(borrow),
                lend_pct: (lend < 100).then_some(lend),
                strict_fifo: whole(cq_param::STRATEGY) >= 1,
                within: whole(cq_param::PREEMPTION).min(2) as u8,
                reclaim: whole(cq_param::RECLAIM).min(2) as u8,
                cohort: root(m.id).map_or(0, |r| r as u64),
                weight_milli: fair_sharing_weight_milli(&m.data).unwrap_or(DEFAULT_WEIGHT_MILLI),
            };
            DesiredObject::cluster_queue(
                m.id as u64,
                (knob_of(m, &CQ, cq_param::CPU) * 1000.0).round() as u32,
                (knob_of(m, &CQ, cq_param::MEMORY) * 1024.0).round() as u32,
                queue,
            )
        })
        .collect()
}

/// The patch's topology: its modules with their params (by descriptor id for KubeRack's),
/// and its cables by port id.
pub fn topology(patch: &ExportPatch) -> Value {
    let descriptor = |m: &ExportModule| {
        m.is_kuberack()
            .then(|| kuberack_protocol::find(&m.model))
            .flatten()
    };
    let port = |module: i64, index: usize, output: bool| -> Value {
        let d = patch
            .modules
            .iter()
            .find(|m| m.id == module)
            .and_then(descriptor);
        let ports = d.map(|d| if output { d.outputs } else { d.inputs });
        match ports.and_then(|p| p.get(index)) {
            Some(p) => json!(p.id),
            None => json!(index),
        }
    };
    let modules: Vec<Value> = patch
        .modules
        .iter()
        .map(|m| {
            let params: serde_json::Map<String, Value> = m
                .params
                .iter()
                .map(|&(index, value)| {
                    let id = descriptor(m)
                        .and_then(|d| d.params.get(index))
                        .map_or_else(|| index.to_string(), |d| d.id.to_owned());
                    (id, json!(value))
                })
                .collect();
            json!({"id": m.id, "plugin": m.plugin, "model": m.model, "bypass": m.bypass, "params": params})
        })
        .collect();
    let cables: Vec<Value> = patch
        .cables
        .iter()
        .map(|c| {
            json!({
                "from": {"module": c.output_module, "output": port(c.output_module, c.output, true)},
                "to": {"module": c.input_module, "input": port(c.input_module, c.input, false)},
            })
        })
        .collect();
    json!({"modules": modules, "cables": cables})
}

/// The Kueue version of exported manifests: current Kueue's (no server is asked offline).
pub const EXPORT_KUEUE_VERSION: kueue::KueueVersion = kueue::KueueVersion::V1beta2;

/// The whole export as a multi-document YAML stream.
pub fn export_yaml(patch: &ExportPatch, namespace: &str) -> Result<String, String> {
    for m in patch
        .modules
        .iter()
        .filter(|m| joined(patch, m, DESCRIPTOR.slug, input::API))
    {
        pod_terms(m).map_err(|e| format!("DEPLOYMENT {}: scheduling settings: {e}", m.id))?;
    }
    let mut docs = vec![manifest::namespace(namespace)];
    docs.extend(
        desired_objects(patch)
            .iter()
            .map(|obj| manifest::deployment(namespace, obj)),
    );
    // Kueue's objects only for a patch with CLUSTERQUEUEs (it expects Kueue installed).
    let queues = queue_objects(patch);
    if !queues.is_empty() {
        let mut flavors = Vec::new();
        for q in &queues {
            for f in kueue::flavors(&q.queue) {
                if !flavors.contains(&f) {
                    flavors.push(f);
                }
            }
        }
        let v = EXPORT_KUEUE_VERSION;
        docs.extend(flavors.into_iter().map(|f| kueue::resource_flavor(v, f)));
        docs.extend(kueue::workload_priority_classes(v));
        for q in &queues {
            docs.push(kueue::cluster_queue(v, q));
            docs.push(kueue::local_queue(v, namespace, q));
        }
    }
    docs.push(manifest::topology_config_map(namespace, &topology(patch)));
    let mut out = String::new();
    for doc in &docs {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(doc).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// A file or directory an export could not write.
#[derive(Debug)]
pub struct WriteError {
    /// "cannot create" or "cannot write".
    pub action: &'static str,
    /// The path concerned.
    pub path: PathBuf,
    /// The operating system's reason.
    pub source: std::io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.action,
            self.path.display(),
            self.source
        )
    }
}

/// Writes `yaml` as `dir/kuberack.yaml`, creating `dir`; returns the file written.
pub fn write_export(dir: &Path, yaml: &str) -> Result<PathBuf, WriteError> {
    let fail = |action, path: PathBuf| {
        move |source| WriteError {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(fail("cannot create", dir.to_owned()))?;
    let file = dir.join(EXPORT_FILE);
    std::fs::write(&file, yaml).map_err(fail("cannot write", file.clone()))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    fn rack_patch() -> Value {
        json!({
            "version": "2.5.2",
            "modules": [
                {"id": 11, "plugin": "KubeRack", "model": "Cluster", "params": []},
                {"id": 22, "plugin": "KubeRack", "model": "Deployment",
                 "params": [{"id": param::REPLICAS, "value": 4.0}, {"id": param::CPU, "value": 25.0}]},
                {"id": 33, "plugin": "KubeRack", "model": "Deployment", "params": [], "bypass": true},
                {"id": 44, "plugin": "KubeRack", "model": "Deployment", "params": []}
            ],
            "cables": [
                {"id": 1, "outputModuleId": 11, "outputId": 5, "inputModuleId": 22, "inputId": input::API},
                {"id": 2, "outputModuleId": 11, "outputId": 5, "inputModuleId": 33, "inputId": input::API}
            ]
        })
    }

    #[test]
    fn rack_patch_json_reads_into_deployments_and_a_topology() {
        let patch = ExportPatch::from_rack_json(&rack_patch()).unwrap();
        assert_eq!(patch.modules.len(), 4);
        assert_eq!(patch.cables.len(), 2);
        // The bypassed and the uncabled DEPLOYMENT are not desired.
        let objects = desired_objects(&patch);
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].key.name(), "deployment-22");
        assert_eq!((objects[0].replicas, objects[0].cpu_millis), (4, 250));
        let yaml = export_yaml(&patch, "team").unwrap();
        let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&yaml)
            .map(|d| Value::deserialize(d).unwrap())
            .collect();
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Namespace", "Deployment", "ConfigMap"]);
        assert_eq!(docs[1]["metadata"]["namespace"], "team");
        let topology: Value =
            serde_json::from_str(docs[2]["data"]["topology.json"].as_str().unwrap()).unwrap();
        assert_eq!(topology["cables"][0]["to"]["input"], "API");
    }

    #[test]
    fn cluster_queues_export_their_kueue_objects_with_the_cohort_of_their_chain() {
        let mut root = rack_patch();
        let cq = |id: i64, params: Value| json!({"id": id, "plugin": "KubeRack", "model": "ClusterQueue", "params": params});
        let modules = root["modules"].as_array_mut().unwrap();
        modules.push(cq(51, json!([{"id": cq_param::CPU, "value": 2.0}])));
        modules.push(cq(
            52,
            json!([{"id": cq_param::FLAVOR, "value": 4.0}, {"id": cq_param::BORROW, "value": 50.0}]),
        ));
        let mut weighted = cq(53, json!([]));
        weighted["data"] = json!({"fairSharing": {"weight": 0.5}});
        modules.push(weighted);
        let cables = root["cables"].as_array_mut().unwrap();
        for id in [51, 52, 53] {
            cables.push(
                json!({"outputModuleId": 11, "outputId": 5, "inputModuleId": id,
                               "inputId": cq_input::API}),
            );
        }
        cables.push(json!({"outputModuleId": 51, "outputId": cq_output::COHORT,
                           "inputModuleId": 52, "inputId": cq_input::COHORT}));
        let patch = ExportPatch::from_rack_json(&root).unwrap();
        let queues = queue_objects(&patch);
        let by_id = |id: u64| queues.iter().find(|q| q.key.module == id).unwrap();
        assert_eq!(by_id(51).cpu_millis, 2000);
        assert_eq!((by_id(51).queue.cohort, by_id(52).queue.cohort), (51, 51));
        assert_eq!(by_id(53).queue.cohort, 0, "no COHORT cable: no cohort");
        assert_eq!(
            (by_id(51).queue.weight_milli, by_id(53).queue.weight_milli),
            (1000, 500),
            "the weight saved in the module's data"
        );
        assert_eq!(
            (by_id(52).queue.flavors, by_id(52).queue.borrow_pct),
            (4, Some(50))
        );
        let yaml = export_yaml(&patch, "team").unwrap();
        let docs: Vec<Value> = serde_yaml::Deserializer::from_str(&yaml)
            .map(|d| Value::deserialize(d).unwrap())
            .collect();
        let count = |kind: &str| docs.iter().filter(|d| d["kind"] == kind).count();
        assert_eq!(count("ClusterQueue"), 3);
        assert_eq!(count("LocalQueue"), 3);
        // default-flavor and the three essences, each once; the four tiers.
        assert_eq!(count("ResourceFlavor"), 4);
        assert_eq!(count("WorkloadPriorityClass"), 4);
        let lq = docs.iter().find(|d| d["kind"] == "LocalQueue").unwrap();
        assert_eq!(lq["metadata"]["namespace"], "team");
        // Without CLUSTERQUEUEs, no Kueue object at all.
        let plain = ExportPatch::from_rack_json(&rack_patch()).unwrap();
        assert!(!export_yaml(&plain, "team")
            .unwrap()
            .contains("kueue.x-k8s.io"));
    }

    #[test]
    fn broken_patches_say_what_is_missing() {
        assert!(ExportPatch::from_rack_json(&json!({}))
            .unwrap_err()
            .contains("modules"));
        let err =
            ExportPatch::from_rack_json(&json!({"modules": [{"plugin": "KubeRack"}]})).unwrap_err();
        assert_eq!(err, "module #0 has no id");
        let err =
            ExportPatch::from_rack_json(&json!({"modules": [], "cables": [{"outputModuleId": 1}]}))
                .unwrap_err();
        assert!(err.starts_with("cable #0"), "{err}");
    }

    #[test]
    fn an_export_is_written_where_asked() {
        let dir = std::env::temp_dir().join(format!("kuberack-export-{}", std::process::id()));
        let file = write_export(&dir.join("deep"), "---\nkind: x\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "---\nkind: x\n");
        let _ = std::fs::remove_dir_all(&dir);
        // A file where the directory should be is a clear error.
        let blocker = std::env::temp_dir().join(format!("kuberack-blocker-{}", std::process::id()));
        std::fs::write(&blocker, "").unwrap();
        let err = write_export(&blocker, "").unwrap_err().to_string();
        assert!(err.starts_with("cannot create"), "{err}");
        let _ = std::fs::remove_file(&blocker);
    }
}
