//! The typed pod terms on POD and ENCHANTMENT through a hub: a bare pod tolerating a NODE's
//! typed taint and selecting its typed label lands there (and one without stays pending), and
//! a forge's Jobs carry the ENCHANTMENT's terms.

mod rig;

use kuberack_core::modules::scheduling_settings::PodTermsSettings;
use kuberack_core::world::terms::table;
use rig::Rig;
use serde_json::json;

/// POD PHASE: 2 V Pending, 4 V Running.
const PENDING: f32 = 2.0;
const RUNNING: f32 = 4.0;

#[test]
fn a_pod_tolerating_the_nodes_typed_taint_lands_there_and_one_without_waits() {
    let (mut rig, _hub, node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    rig.modules[node]
        .module
        .load(&json!({"labels": "gpu=true", "taints": "dedicated=gpu:NoSchedule"}))
        .unwrap();
    let hub = 0;
    let tolerating = rig.add("Pod");
    let plain = rig.add("Pod");
    rig.connect(hub, "API", tolerating, "API");
    rig.connect(hub, "API", plain, "API");
    rig.modules[tolerating]
        .module
        .load(&json!({"scheduling": {
            "tolerations": "dedicated=gpu:NoSchedule",
            "nodeSelector": "gpu=true",
        }}))
        .unwrap();
    rig.run(1.0);
    rig.drive(tolerating, "GATE", 10.0);
    rig.drive(plain, "GATE", 10.0);
    rig.run(8.0);
    assert_eq!(rig.out(tolerating, "PHASE", 0), RUNNING);
    assert_eq!(rig.out(plain, "PHASE", 0), PENDING);
    // Saved as typed, for the patch.
    let saved = rig.modules[tolerating].module.save();
    assert_eq!(
        saved["scheduling"]["tolerations"],
        json!("dedicated=gpu:NoSchedule")
    );
}

#[test]
fn forge_jobs_carry_the_enchantments_typed_terms() {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", 0.0);
    let forge = rig.add("Enchantment");
    rig.connect(hub, "API", forge, "API");
    let settings = json!({"scheduling": {
        "labels": "forge=yes",
        "podAffinity": "!forge=yes on hostname",
        "topologySpread": "1 on zone ScheduleAnyway",
    }});
    rig.modules[forge].module.load(&settings).unwrap();
    let want: PodTermsSettings = serde_json::from_value(settings["scheduling"].clone()).unwrap();
    let want = table::intern_pod(&want.parse().unwrap()).unwrap();
    assert_ne!(want, 0);
    rig.run(1.0);
    rig.drive(forge, "FORGE", 10.0);
    rig.run(0.2);
    let w = rig.hub_world(hub);
    let (_, e) = w.enchantments().next().expect("an Enchantment");
    let jobs: Vec<_> = e.jobs.iter().filter_map(|j| w.job(j.id)).collect();
    assert!(!jobs.is_empty(), "no forge Job");
    for job in jobs {
        assert_eq!(job.spec.scheduling.terms, want);
        // The essence shortcuts stay beside the typed terms.
        assert_ne!(job.spec.scheduling.node_selector_energy, 0);
    }
}
