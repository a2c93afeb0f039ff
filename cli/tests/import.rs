//! `kuberack import` from `kubectl get nodes,deployments,jobs,clusterqueues,localqueues,
//! resourceflavors,workloadpriorityclasses -A -o json`, recorded from kube-local (a real
//! Kubernetes v1.34.9 control plane with Kueue's v1beta2 CRDs) while `kuberack play
//! patches/forge.vcv --sync` drove it; its six fake nodes were labelled as pools beforehand
//! (two `karpenter.sh/nodepool=gp`, two `batch` tainted `dedicated=batch:NoSchedule`, one of
//! instance type r5.xlarge, one bare) and the namespace `shop` holds two hand-written
//! Deployments (README, "Importing a cluster").

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kuberack_protocol::modules::{cluster_queue as cq, deployment, job, node};
use kuberack_sync::import::{import, read_list, ImportOptions, Imported};
use serde_json::{json, Value};

fn fixture() -> PathBuf {
    common::crate_dir().join("tests/fixtures/import/forge-cluster.list.json")
}

fn imported(options: &ImportOptions) -> Imported {
    let text = std::fs::read_to_string(fixture()).unwrap();
    import(&read_list(&text).unwrap(), options).unwrap()
}

fn kuberack(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kuberack"))
        .args(args)
        .output()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `kuberack import --from-file input -o output`.
fn import_file(input: &Path, output: &Path) -> Output {
    kuberack(&["import", "--from-file", path(input), "-o", path(output)])
}

fn modules<'a>(patch: &'a Value, model: &str) -> Vec<&'a Value> {
    patch["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["model"] == model)
        .collect()
}

fn param(m: &Value, index: usize) -> f64 {
    m["params"][index]["value"].as_f64().unwrap()
}

/// Whether a cable runs from (module, output) to (module, input).
fn cabled(patch: &Value, from: &Value, output: usize, to: &Value, input: usize) -> bool {
    patch["cables"].as_array().unwrap().iter().any(|c| {
        c["outputModuleId"] == from["id"]
            && c["outputId"] == output
            && c["inputModuleId"] == to["id"]
            && c["inputId"] == input
    })
}

#[test]
fn node_pools_group_by_nodepool_instance_type_and_identity_with_their_terms() {
    let patch = imported(&ImportOptions::default()).patch;
    let pools = modules(&patch, "Node");
    let selectors: Vec<&str> = pools
        .iter()
        .map(|m| m["data"]["sync"]["poolSelector"].as_str().unwrap())
        .collect();
    assert_eq!(
        selectors,
        [
            "karpenter.sh/nodepool=batch",
            "karpenter.sh/nodepool=gp",
            "node.kubernetes.io/instance-type=r5.xlarge, !karpenter.sh/nodepool",
            "kubernetes.io/hostname in (fake-5)",
        ]
    );
    let counts: Vec<f64> = pools.iter().map(|m| param(m, node::param::COUNT)).collect();
    assert_eq!(counts, [2.0, 2.0, 1.0, 1.0]);
    for m in &pools {
        // kube-local's fake nodes: 8 CPU, 32Gi.
        assert_eq!(param(m, node::param::CPU), 8.0);
        assert_eq!(param(m, node::param::MEMORY), 32.0);
    }
    let batch = pools[0];
    assert_eq!(batch["data"]["taints"], "dedicated=batch:NoSchedule");
    assert_eq!(param(batch, node::param::ZONE), 1.0, "zone-b");
    let labels = batch["data"]["labels"].as_str().unwrap();
    assert!(labels.contains("disk=ssd") && labels.contains("karpenter.sh/nodepool=batch"));
    assert!(!labels.contains("hostname") && !labels.contains("topology.kubernetes.io/zone"));
    assert_eq!(pools[1]["data"]["taints"], "");
    assert_eq!(param(pools[1], node::param::ZONE), 0.0, "zone-a");
    // Every pool is plugged into the hub.
    let hub = modules(&patch, "Cluster")[0];
    assert!(pools
        .iter()
        .all(|p| cabled(&patch, hub, 5, p, node::input::API)));
    // An override groups by its label first.
    let by_fake = imported(&ImportOptions {
        group_by: Some("kube-local/fake-node".into()),
        ..ImportOptions::default()
    });
    let pools = modules(&by_fake.patch, "Node");
    assert_eq!(pools.len(), 1);
    assert_eq!(param(pools[0], node::param::COUNT), 6.0);
    assert_eq!(
        pools[0]["data"]["sync"]["poolSelector"],
        "kube-local/fake-node=true"
    );
    assert!(
        by_fake
            .unrepresentable
            .iter()
            .any(|l| l.contains("label karpenter.sh/nodepool differs")),
        "{:?}",
        by_fake.unrepresentable
    );
}

#[test]
fn deployments_carry_replicas_requests_and_scheduling() {
    let patch = imported(&ImportOptions::default()).patch;
    let deps = modules(&patch, "Deployment");
    assert_eq!(
        deps.len(),
        3,
        "deployment-11 of the forge, shop/cache and shop/web"
    );
    let web = deps
        .iter()
        .find(|d| d["data"]["scheduling"]["labels"] == "app=web, tier=front")
        .unwrap();
    assert_eq!(param(web, deployment::param::REPLICAS), 3.0);
    assert_eq!(
        param(web, deployment::param::CPU),
        30.0,
        "250m + 50m in 10m"
    );
    assert_eq!(
        param(web, deployment::param::MEMORY),
        10.0,
        "160 MiB in 16 MiB"
    );
    assert_eq!(
        param(web, deployment::param::MAX_SURGE),
        34.0,
        "1 of 3 replicas"
    );
    assert_eq!(param(web, deployment::param::MAX_UNAVAILABLE), 50.0);
    let s = &web["data"]["scheduling"];
    assert_eq!(
        s["tolerations"],
        "dedicated=batch:NoSchedule, node.kubernetes.io/unreachable:NoExecute for 60s"
    );
    assert_eq!(s["nodeSelector"], "disk=ssd");
    assert_eq!(
        s["nodeAffinity"],
        "topology.kubernetes.io/zone in (zone-a,zone-b)"
    );
    assert_eq!(
        s["preferredNodeAffinity"],
        "80: node.kubernetes.io/instance-type in (c5.2xlarge)"
    );
    // Its preferred podAntiAffinity to its own pods, as the "Pod affinity" text.
    assert_eq!(s["podAffinity"], "100: !app=web on kubernetes.io/hostname");
    assert_eq!(s["topologySpread"], "");
    let cache = deps
        .iter()
        .find(|d| d["data"]["scheduling"]["labels"] == "app=cache")
        .unwrap();
    assert_eq!(param(cache, deployment::param::REPLICAS), 40.0);
    let s = &cache["data"]["scheduling"];
    assert_eq!(s["priorityClassName"], "high");
    // The spread with its labelSelector, as the "Topology spread" text.
    assert_eq!(
        s["topologySpread"],
        "1 on topology.kubernetes.io/zone ScheduleAnyway for app=cache"
    );
    assert_eq!(s["podAffinity"], "");
    assert!(s.get("topologySpreadMaxSkew").is_none(), "{s}");
}

/// A pod template with pod affinity and spreads the rack expresses and ones it does not.
fn template(app: &str) -> Value {
    json!({
        "metadata": {"labels": {"app": app}},
        "spec": {
            "containers": [{"name": "c", "command": ["sleep", "7"],
                "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}],
            "affinity": {
                "podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": "db"}},
                     "topologyKey": "topology.kubernetes.io/zone"},
                    {"labelSelector": {"matchLabels": {"app": "db"}},
                     "namespaceSelector": {}, "topologyKey": "kubernetes.io/hostname"}
                ]},
                "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
                    {"labelSelector": {"matchLabels": {"app": app}},
                     "topologyKey": "kubernetes.io/hostname"}
                ]}
            },
            "topologySpreadConstraints": [
                {"maxSkew": 2, "topologyKey": "topology.kubernetes.io/zone",
                 "whenUnsatisfiable": "DoNotSchedule", "minDomains": 2,
                 "labelSelector": {"matchExpressions": [
                     {"key": "app", "operator": "In", "values": [app]}]}},
                {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                 "whenUnsatisfiable": "DoNotSchedule", "matchLabelKeys": ["pod-template-hash"],
                 "labelSelector": {"matchLabels": {"app": app}}}
            ]
        }
    })
}

#[test]
fn counts_clamp_at_the_descriptors_maxima_and_job_templates_carry_pod_terms() {
    let max_nodes = node::DESCRIPTOR.params[node::param::COUNT].max as usize;
    let max_replicas = deployment::DESCRIPTOR.params[deployment::param::REPLICAS].max;
    let mut items: Vec<Value> = (0..=max_nodes)
        .map(|i| {
            json!({"kind": "Node", "metadata": {"name": format!("n{i:04}"),
                "labels": {"karpenter.sh/nodepool": "big"}},
                "status": {"allocatable": {"cpu": "8", "memory": "32Gi"}}})
        })
        .collect();
    items.push(json!({"kind": "Deployment",
        "metadata": {"name": "huge", "namespace": "shop"},
        "spec": {"replicas": max_replicas + 1.0, "template": template("huge")}}));
    items.push(json!({"kind": "Job",
        "metadata": {"name": "etl", "namespace": "shop"},
        "spec": {"template": template("etl")}}));
    let dir = common::scratch("import_clamp");
    let (input, out_patch) = (dir.join("list.json"), dir.join("big.json"));
    std::fs::write(&input, json!({"kind": "List", "items": items}).to_string()).unwrap();
    let out = import_file(&input, &out_patch);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().skip(2).map(str::trim).collect();
    // What the two functions refuse stays listed, term by term, as written.
    let refused = |what: &str, app: &str| {
        [
            format!("{what}: podAffinity term {{\"labelSelector\":{{\"matchLabels\":{{\"app\":\"db\"}}}},\"namespaceSelector\":{{}},\"topologyKey\":\"kubernetes.io/hostname\"}}: pod affinity terms over other namespaces; left out"),
            format!("{what}: topologySpreadConstraints entry {{\"labelSelector\":{{\"matchLabels\":{{\"app\":\"{app}\"}}}},\"matchLabelKeys\":[\"pod-template-hash\"],\"maxSkew\":1,\"topologyKey\":\"kubernetes.io/hostname\",\"whenUnsatisfiable\":\"DoNotSchedule\"}}: topology spread matchLabelKeys; left out"),
        ]
    };
    let mut expected = vec![
        format!(
            "NODE pool karpenter.sh/nodepool=big: {} nodes; a NODE holds at most {max_nodes}, written as {max_nodes}",
            max_nodes + 1
        ),
        format!(
            "Deployment shop/huge: {} replicas; the REPLICAS knob holds at most {max_replicas}, written as {max_replicas}",
            max_replicas + 1.0
        ),
    ];
    expected.extend(refused("Deployment shop/huge", "huge"));
    expected.extend(refused("Job shop/etl", "etl"));
    assert_eq!(lines, expected);
    let loaded = common::load_at_48k(&out_patch);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let patch: Value = serde_json::from_slice(&std::fs::read(&out_patch).unwrap()).unwrap();
    let pool = modules(&patch, "Node")[0];
    assert_eq!(param(pool, node::param::COUNT), max_nodes as f64);
    let huge = modules(&patch, "Deployment")[0];
    assert_eq!(
        param(huge, deployment::param::REPLICAS),
        f64::from(max_replicas)
    );
    let job = modules(&patch, "Job")[0];
    assert_eq!(param(job, job::param::DURATION), 7.0);
    for (m, app) in [(huge, "huge"), (job, "etl")] {
        let s = &m["data"]["scheduling"];
        assert_eq!(
            s["podAffinity"],
            format!("app=db on topology.kubernetes.io/zone; !app={app} on kubernetes.io/hostname")
        );
        assert_eq!(
            s["topologySpread"],
            format!("2 on topology.kubernetes.io/zone minDomains=2 for app in ({app})")
        );
    }
}

#[test]
fn cluster_queues_keep_cohort_flavors_quotas_and_local_queues_feed_jobs() {
    let patch = imported(&ImportOptions::default()).patch;
    let queues = modules(&patch, "ClusterQueue");
    assert_eq!(queues.len(), 2);
    // By name: clusterqueue-10 (default-flavor), clusterqueue-9 (the three essences).
    let (batch, forge) = (queues[0], queues[1]);
    assert_eq!(param(batch, cq::param::FLAVOR), 0.0);
    assert_eq!(param(batch, cq::param::CPU), 4.0);
    assert_eq!(param(batch, cq::param::MEMORY), 16.0);
    assert_eq!(param(batch, cq::param::RECLAIM), 2.0, "Any");
    assert_eq!(param(forge, cq::param::FLAVOR), 4.0);
    assert_eq!(param(forge, cq::param::CPU), 16.0);
    assert_eq!(param(forge, cq::param::MEMORY), 64.0);
    assert_eq!(param(forge, cq::param::MANA), 8.0);
    assert_eq!(param(forge, cq::param::PREEMPTION), 1.0, "LowerPriority");
    assert_eq!(param(forge, cq::param::BORROW), 200.0, "no limit");
    // One cohort: chained by a COHORT cable.
    assert!(cabled(
        &patch,
        batch,
        cq::output::COHORT,
        forge,
        cq::input::COHORT
    ));
    // A JOB per LocalQueue, queued to its ClusterQueue; the forge queue's JOB from its
    // first Job (sleep 5, 100m, 64Mi).
    let jobs = modules(&patch, "Job");
    assert_eq!(jobs.len(), 2);
    assert!(cabled(
        &patch,
        batch,
        cq::output::QUEUE,
        jobs[0],
        job::input::QUEUE
    ));
    assert!(cabled(
        &patch,
        forge,
        cq::output::QUEUE,
        jobs[1],
        job::input::QUEUE
    ));
    assert_eq!(param(jobs[1], job::param::DURATION), 5.0);
    assert_eq!(param(jobs[1], job::param::CPU), 10.0);
    assert_eq!(param(jobs[1], job::param::MEMORY), 4.0);
    assert_eq!(
        jobs[1]["data"]["scheduling"]["labels"], "",
        "controller labels are not carried"
    );
}

#[test]
fn what_cannot_be_represented_is_listed_one_line_each() {
    let lines = imported(&ImportOptions::default()).unrepresentable;
    assert_eq!(
        lines,
        [
            "cohort clusterqueue-9: the rack chains its 2 ClusterQueues by COHORT cables; synced, the cohort is named after the first one's CLUSTERQUEUE",
            "LocalQueue kuberack/clusterqueue-9: 12 Jobs; its JOB submits Jobs like kuberack/enchantment-13-1-arcane on each SUBMIT",
        ]
    );
    // Scoped to one namespace: only its Deployments and queues.
    let shop = imported(&ImportOptions {
        namespace: Some("shop".into()),
        selector: Some("app=web".into()),
        ..ImportOptions::default()
    });
    assert_eq!(modules(&shop.patch, "Deployment").len(), 1);
    assert_eq!(modules(&shop.patch, "Job").len(), 0);
    let hub = modules(&shop.patch, "Cluster")[0];
    assert_eq!(
        hub["data"]["sync"],
        serde_json::json!({"namespace": "shop", "mirrorOnly": true, "selector": "app=web"})
    );
}

#[test]
fn the_imported_patch_loads_without_warnings_and_plays_deterministically() {
    let dir = common::scratch("import_play");
    let vcv = dir.join("cluster.vcv");
    let out = import_file(&fixture(), &vcv);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with(&format!("wrote {} (1 Cluster, 1 Scheduler, 1 Etcd, 4 Node, 3 Deployment, 2 ClusterQueue, 2 Job)", vcv.display())), "{stdout}");
    assert!(stdout.contains("not represented (2):"), "{stdout}");
    let loaded = common::load_at_48k(&vcv);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    // Importing again gives the same bytes.
    let again = dir.join("again.vcv");
    import_file(&fixture(), &again);
    assert_eq!(std::fs::read(&vcv).unwrap(), std::fs::read(&again).unwrap());
    let play = |events: &Path| {
        let out = kuberack(&[
            "play",
            path(&vcv),
            "--seconds",
            "3",
            "--no-progress",
            "--events",
            path(events),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    let summary = play(&a);
    play(&b);
    let trace = std::fs::read(&a).unwrap();
    assert_eq!(trace, std::fs::read(&b).unwrap(), "same patch, same trace");
    let scheduled: u64 = summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("pods scheduled")?.trim().parse().ok())
        .unwrap();
    assert!(
        scheduled > 0,
        "the imported cluster schedules pods:\n{summary}"
    );
}

#[test]
fn corrupt_and_empty_input_give_a_clear_error() {
    let dir = common::scratch("import_bad");
    let out_patch = dir.join("x.vcv");
    for (content, expected) in [
        ("", "the input is empty"),
        ("{\"items\": [", "not JSON"),
        (
            "{\"items\": [{\"kind\": \"Node\"}]}",
            "item #0 has no kind or metadata.name",
        ),
    ] {
        let input = dir.join("in.json");
        std::fs::write(&input, content).unwrap();
        let out = import_file(&input, &out_patch);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.starts_with("kuberack: error:") && stderr.contains(expected),
            "{stderr}"
        );
        assert!(!out_patch.exists(), "nothing is written");
    }
    let out = import_file(Path::new("/nonexistent/list.json"), &out_patch);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// A cluster at Kubernetes' own limits (tools/scale_cluster.py: 5,000 nodes in 5 Karpenter
/// pools, 30 Deployments of 5,000 replicas) imports as 5 NODEs of 1,000 and 30 DEPLOYMENTs of
/// 5,000, with nothing left out, and plays: all 150,000 pods are created.
#[test]
fn a_cluster_at_kubernetes_limits_imports_whole_and_plays() {
    let dir = common::scratch("import_scale");
    let (list, vcv) = (dir.join("scale.list.json"), dir.join("scale.patch.json"));
    let script = common::crate_dir().join("../tools/scale_cluster.py");
    let made = Command::new("python3")
        .arg(&script)
        .arg("-o")
        .arg(&list)
        .status();
    if !made.as_ref().is_ok_and(|s| s.success()) {
        println!(
            "import at scale skipped: python3 could not run tools/scale_cluster.py ({made:?})"
        );
        return;
    }
    let out = import_file(&list, &vcv);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("5 Node, 30 Deployment"), "{stdout}");
    assert!(!stdout.contains("not represented"), "{stdout}");
    let patch: Value = serde_json::from_slice(&std::fs::read(&vcv).unwrap()).unwrap();
    let pools = modules(&patch, "Node");
    assert_eq!(pools.len(), 5);
    assert!(pools.iter().all(|m| param(m, node::param::COUNT) == 1000.0));
    let apps = modules(&patch, "Deployment");
    assert_eq!(apps.len(), 30);
    assert!(apps
        .iter()
        .all(|m| param(m, deployment::param::REPLICAS) == 5000.0));
    let out = kuberack(&["play", path(&vcv), "--seconds", "1", "--no-progress"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let count = |what: &str| -> u64 {
        summary
            .lines()
            .find_map(|l| l.trim().strip_prefix(what)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {what} in:\n{summary}"))
    };
    assert_eq!(count("pods created"), 150_000, "{summary}");
    assert!(count("pods scheduled") > 0, "{summary}");
}
