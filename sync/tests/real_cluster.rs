//! The sync thread against a real cluster (see tests/cluster for the two identities): scale
//! by server-side apply, drift undone, a real pod deleted and heard, the label guard, a JOB
//! submission's Job, the forge patch's Kueue objects with every field the sync meant, the
//! mirror of 1,000 pods under a selector, and delete on toggle-off. Without a cluster, one
//! line per test says so.

mod cluster;

use cluster::{until, TestCluster};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kuberack_core::forge::ESSENCES;
use kuberack_core::world::events::EventKind;
use kuberack_sync::drift::holds;
use kuberack_sync::export::{queue_objects, ExportPatch};
use kuberack_sync::kueue::{self, KueueKind, KueueVersion};
use kuberack_sync::{queues, spawn, Change, DesiredJob, DesiredObject, MirrorKind};
use serde_json::{json, Value};

fn dep(module: u64, replicas: u32) -> Option<DesiredObject> {
    Some(DesiredObject::deployment(module, replicas, 10, 16))
}

async fn replicas(api: &Api<Deployment>, name: &str) -> Option<i32> {
    api.get_opt(name).await.ok().flatten()?.spec?.replicas
}

/// The Kueue version the server prefers, as the sync finds it (None: no Kueue).
async fn kueue_version(client: &kube::Client) -> Option<KueueVersion> {
    let groups = client.list_api_groups().await.unwrap();
    let group = groups.groups.iter().find(|g| g.name == kueue::GROUP)?;
    KueueVersion::preferred(group.versions.iter().map(|v| v.version.as_str()))
}

fn kueue_api(c: &TestCluster, version: KueueVersion, kind: KueueKind) -> Api<DynamicObject> {
    let resource = kind.api_resource(version);
    if kind.namespaced() {
        Api::namespaced_with(c.admin.clone(), &c.ns, &resource)
    } else {
        Api::all_with(c.admin.clone(), &resource)
    }
}

async fn live(api: &Api<DynamicObject>, name: &str) -> Option<Value> {
    let o = api.get_opt(name).await.ok().flatten()?;
    serde_json::to_value(o).ok()
}

#[test]
fn deployments_drift_pods_guard_jobs_and_toggle_off() {
    let Some(c) = TestCluster::from_env("deployments") else {
        return;
    };
    let deployments: Api<Deployment> = Api::namespaced(c.admin.clone(), &c.ns);
    let jobs: Api<Job> = Api::namespaced(c.admin.clone(), &c.ns);
    let pods: Api<Pod> = Api::namespaced(c.admin.clone(), &c.ns);
    let (mut hub, end) = queues(256, 4);
    let thread = spawn(c.config.clone(), end).unwrap();
    hub.publish(&[dep(1, 2)]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.block_on(async {
            assert!(until(async || replicas(&deployments, "deployment-1").await == Some(2)).await);
            let d = deployments.get("deployment-1").await.unwrap();
            let managers: Vec<_> = d.metadata.managed_fields.unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
            assert!(managers.iter().any(|m| m == "kuberack"), "{managers:?}");
            hub.publish(&[dep(1, 3)]);
            assert!(until(async || replicas(&deployments, "deployment-1").await == Some(3)).await);
            // Drift: `kubectl scale` by someone else is undone, and so is a deletion.
            let scale = json!({"spec": {"replicas": 7}});
            let pp = PatchParams::default();
            deployments.patch("deployment-1", &pp, &Patch::Merge(&scale)).await.unwrap();
            assert!(until(async || replicas(&deployments, "deployment-1").await == Some(3)).await, "scale not undone");
            deployments.delete("deployment-1", &DeleteParams::default()).await.unwrap();
            assert!(until(async || replicas(&deployments, "deployment-1").await == Some(3)).await, "deletion not undone");
            assert!(hub.status.drift_corrections() >= 2, "{}", hub.status.drift_corrections());
            // Deleting a real pod is heard (the pod's deletion finishing needs a kubelet:
            // kube-local's fake kubelet, or a real one).
            let mine = ListParams::default().labels("kuberack.io/module=deployment-1");
            let first_pod = async || pods.list(&mine).await.ok()?.items.into_iter().next();
            assert!(until(async || first_pod().await.is_some()).await, "no pod of deployment-1");
            let victim = first_pod().await.unwrap().metadata.name.unwrap();
            pods.delete(&victim, &DeleteParams::default()).await.unwrap();
            let heard = async || {
                while let Some(o) = hub.pop_observed() {
                    if o.kind == MirrorKind::World(EventKind::PodDeleted) && o.module == 1 {
                        return true;
                    }
                }
                false
            };
            assert!(until(heard).await, "the deletion of {victim} was not heard");
            // A Deployment without KubeRack's label is never touched.
            let foreign: Deployment = serde_json::from_value(json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "deployment-7", "labels": {"app": "theirs"}},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "theirs"}},
                    "template": {"metadata": {"labels": {"app": "theirs"}},
                        "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}}}))
            .unwrap();
            deployments.create(&PostParams::default(), &foreign).await.unwrap();
            hub.publish(&[dep(1, 3), dep(7, 5)]);
            let status = hub.status.clone();
            assert!(until(async || status.refused() > 0).await);
            assert_eq!(replicas(&deployments, "deployment-7").await, Some(1));
            // A JOB submission becomes a Job; it completes only where a kubelet runs its pod
            // (kube-local's fake kubelet finishes `sleep N`).
            let spec = DesiredJob { parallelism: 1, completions: 1, duration_ms: 500, ..DesiredJob::default() };
            assert!(hub.push(Change::Apply(DesiredObject::job(3, 1, 10, 16, spec))));
            let complete = async || {
                let job = jobs.get_opt("job-3-1").await.ok().flatten();
                job.and_then(|j| j.status?.succeeded) == Some(1)
            };
            assert!(until(complete).await, "job-3-1 did not complete (needs a kubelet)");
            // An unfinished Job deleted by someone else comes back; the simulation removing
            // it removes it for good.
            assert!(hub.push(Change::Apply(DesiredObject::job(3, 2, 10, 16, DesiredJob { duration_ms: 600_000, ..spec }))));
            assert!(until(async || jobs.get_opt("job-3-2").await.ok().flatten().is_some()).await);
            jobs.delete("job-3-2", &DeleteParams::background()).await.unwrap();
            let recreated = async || jobs.get_opt("job-3-2").await.ok().flatten().is_some_and(|j| j.metadata.deletion_timestamp.is_none());
            assert!(until(recreated).await, "an unfinished Job deleted by hand is created again");
            assert!(hub.push(Change::Remove(DesiredObject::job(3, 2, 0, 0, spec).key)));
            assert!(until(async || jobs.get_opt("job-3-2").await.ok().flatten().is_none()).await);
        })
    }));
    let left = thread.stop().unwrap();
    let errors = left.status.errors();
    let after = c.block_on(async {
        (
            deployments.get_opt("deployment-1").await.unwrap().is_none(),
            deployments.get_opt("deployment-7").await.unwrap().is_some(),
            jobs.get_opt("job-3-1").await.unwrap().is_none(),
        )
    });
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(
        after,
        (true, true, true),
        "toggle-off with delete removes only KubeRack's objects"
    );
    // The only failures: the label guard refusing the foreign Deployment.
    assert!(errors.iter().all(|(r, _)| r == "Deployment"), "{errors:?}");
}

/// The forge patch's CLUSTERQUEUEs (as the hub publishes them) on the server's Kueue: every
/// ResourceFlavor, ClusterQueue (cohort, quotas, limits, fair-sharing weight), LocalQueue and
/// WorkloadPriorityClass holds every field the sync meant (it applies with
/// fieldValidation=Strict, so a field of another version fails the write), a forge Job is
/// suspended with its queue and priority labels, an edited quota and a deleted ClusterQueue
/// come back, and toggle-off deletes them all.
#[test]
fn forge_patch_kueue_objects_keep_every_field() {
    let Some(c) = TestCluster::from_env("forge") else {
        return;
    };
    let Some(version) = c.block_on(kueue_version(&c.admin)) else {
        println!("real-cluster sync test forge skipped: the cluster serves no Kueue API (install Kueue's CRDs to run it)");
        return;
    };
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../cli/tests/fixtures/forge-cluster.patch.json"
    );
    let patch: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let queue_objs = queue_objects(&ExportPatch::from_rack_json(&patch).unwrap());
    assert_eq!(queue_objs.len(), 2, "the forge patch has two CLUSTERQUEUEs");
    assert!(
        queue_objs.iter().any(|q| q.queue.cohort != 0),
        "in a cohort"
    );
    let jobs: Api<Job> = Api::namespaced(c.admin.clone(), &c.ns);
    let (mut hub, end) = queues(256, 8);
    let thread = spawn(c.config.clone(), end).unwrap();
    let desired: Vec<Option<DesiredObject>> = queue_objs.iter().copied().map(Some).collect();
    hub.publish(&desired);
    let forge_job = DesiredJob {
        duration_ms: 600_000,
        queue: queue_objs[0].key.module,
        priority_class: 2,
        ..DesiredJob::default()
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.block_on(async {
            let mut expected: Vec<(KueueKind, String, Value)> = Vec::new();
            for q in &queue_objs {
                let name = format!("clusterqueue-{}", q.key.module);
                expected.push((
                    KueueKind::ClusterQueue,
                    name.clone(),
                    kueue::cluster_queue(version, q),
                ));
                expected.push((
                    KueueKind::LocalQueue,
                    name,
                    kueue::local_queue(version, &c.ns, q),
                ));
                for f in kueue::flavors(&q.queue) {
                    expected.push((
                        KueueKind::ResourceFlavor,
                        kueue::flavor_name(f).to_owned(),
                        kueue::resource_flavor(version, f),
                    ));
                }
            }
            for class in kueue::workload_priority_classes(version) {
                let name = class["metadata"]["name"].as_str().unwrap().to_owned();
                expected.push((KueueKind::WorkloadPriorityClass, name, class));
            }
            for (kind, name, body) in &expected {
                let api = kueue_api(&c, version, *kind);
                let present = async || live(&api, name).await.is_some_and(|o| holds(&o, body));
                assert!(
                    until(present).await,
                    "{kind:?} {name} lacks fields the sync meant: {:?}",
                    live(&api, name).await
                );
            }
            let cohort = version.cohort_field();
            let in_cohort = expected
                .iter()
                .filter(|(k, _, b)| {
                    *k == KueueKind::ClusterQueue && b["spec"].get(cohort).is_some()
                })
                .count();
            assert!(in_cohort > 0, "the cohort is written as spec.{cohort}");
            // A forge Job, queued: suspended, with its LocalQueue and priority class.
            let essence = ESSENCES.len() - 1;
            assert!(hub.push(Change::Apply(DesiredObject::forge_job(
                13, 1, essence, 100, 64, forge_job
            ))));
            let name = DesiredObject::forge_job(13, 1, essence, 100, 64, forge_job)
                .key
                .name();
            assert!(until(async || jobs.get_opt(&name).await.ok().flatten().is_some()).await);
            let job = jobs.get(&name).await.unwrap();
            assert_eq!(job.spec.as_ref().unwrap().suspend, Some(true));
            let labels = job.metadata.labels.unwrap();
            assert_eq!(
                labels["kueue.x-k8s.io/queue-name"],
                format!("clusterqueue-{}", queue_objs[0].key.module)
            );
            assert!(
                labels.contains_key("kueue.x-k8s.io/priority-class"),
                "{labels:?}"
            );
            // Drift: an edited quota is written back; a deleted ClusterQueue is created again.
            let (_, cq_name, cq_body) = expected
                .iter()
                .find(|(k, _, _)| *k == KueueKind::ClusterQueue)
                .unwrap();
            let cqs = kueue_api(&c, version, KueueKind::ClusterQueue);
            let mut edited = live(&cqs, cq_name).await.unwrap();
            edited["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] =
                json!("1m");
            edited["metadata"]
                .as_object_mut()
                .unwrap()
                .remove("managedFields");
            let obj: DynamicObject = serde_json::from_value(edited).unwrap();
            cqs.replace(cq_name, &PostParams::default(), &obj)
                .await
                .unwrap();
            let restored = async || {
                live(&cqs, cq_name)
                    .await
                    .is_some_and(|o| holds(&o, cq_body))
            };
            assert!(until(restored).await, "the edited quota was not restored");
            cqs.delete(cq_name, &DeleteParams::default()).await.unwrap();
            assert!(
                until(restored).await,
                "the deleted ClusterQueue was not created again"
            );
            let flavors = kueue_api(&c, version, KueueKind::ResourceFlavor);
            let (_, rf_name, rf_body) = expected
                .iter()
                .find(|(k, _, _)| *k == KueueKind::ResourceFlavor)
                .unwrap();
            flavors
                .delete(rf_name, &DeleteParams::default())
                .await
                .unwrap();
            assert!(
                until(async || live(&flavors, rf_name)
                    .await
                    .is_some_and(|o| holds(&o, rf_body)))
                .await,
                "the deleted ResourceFlavor was not created again"
            );
        });
    }));
    let status = thread.stop().unwrap().status;
    let left: Vec<String> = c.block_on(async {
        let mut left = Vec::new();
        for kind in KueueKind::WRITTEN {
            let api = kueue_api(&c, version, kind);
            let lp = ListParams::default().labels("app.kubernetes.io/managed-by=kuberack");
            for o in api.list(&lp).await.unwrap().items {
                left.push(format!("{kind:?} {}", o.metadata.name.unwrap_or_default()));
            }
        }
        left
    });
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert!(left.is_empty(), "toggle-off with delete leaves {left:?}");
    assert!(
        status.drift_corrections() >= 3,
        "{}",
        status.drift_corrections()
    );
    assert!(status.errors().is_empty(), "{:?}", status.errors());
}

/// The mirror of 1,000 pods under a label selector: every pod's creation is heard (or its
/// drop counted), pods outside the selector are not. Prints the events heard per second.
#[test]
fn a_mirror_of_a_thousand_pods_under_a_selector() {
    let Some(c) = TestCluster::from_env("mirror") else {
        return;
    };
    const PODS: usize = 1000;
    let pods: Api<Pod> = Api::namespaced(c.admin.clone(), &c.ns);
    let mut config = c.config.clone();
    config.label_selector = Some("mirror=yes".to_owned());
    config.mirror_only = true;
    let (mut hub, end) = queues(4096, 4);
    let thread = spawn(config, end).unwrap();
    let pod = |name: String, mirrored: bool| -> Pod {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": {"mirror": if mirrored { "yes" } else { "no" }}},
            "spec": {"nodeName": "unscheduled-on-purpose", "containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}))
        .unwrap()
    };
    let (created, elapsed) = c.block_on(async {
        let status = hub.status.clone();
        assert!(
            until(async || status.state() == kuberack_sync::SyncState::Synced).await,
            "{}",
            status.last_error()
        );
        let pp = PostParams::default();
        for i in 0..10 {
            pods.create(&pp, &pod(format!("outside-{i}"), false))
                .await
                .unwrap();
        }
        let start = std::time::Instant::now();
        let writers = (0..PODS).collect::<Vec<_>>();
        for chunk in writers.chunks(50) {
            let bodies: Vec<Pod> = chunk.iter().map(|i| pod(format!("p-{i}"), true)).collect();
            let batch = bodies.iter().map(|b| pods.create(&pp, b));
            for r in futures::future::join_all(batch).await {
                r.unwrap();
            }
        }
        let mut created = 0usize;
        let heard_all = async || {
            while let Some(o) = hub.pop_observed() {
                if o.kind == MirrorKind::World(EventKind::PodCreated) {
                    created += 1;
                }
            }
            created as u64 + status.dropped_events() >= PODS as u64
        };
        assert!(until(heard_all).await, "heard {created} of {PODS} pods");
        (created, start.elapsed())
    });
    let status = thread.stop().unwrap().status;
    let dropped = status.dropped_events();
    println!(
        "mirror: {PODS} pods created and heard in {:.2} s: {:.0} pod events/s, {dropped} dropped",
        elapsed.as_secs_f64(),
        status.heard_events() as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(
        created as u64 + dropped,
        PODS as u64,
        "only the selected pods are heard, each once"
    );
}

#[test]
fn a_nodes_labels_and_taints_reach_its_real_nodes_and_come_off_again() {
    use k8s_openapi::api::core::v1::Node;
    use kuberack_core::world::terms::api::NodeTerms;
    use kuberack_core::world::terms::{parse, table};
    let Some(c) = TestCluster::from_env("node-terms") else {
        return;
    };
    let nodes: Api<Node> = Api::all(c.admin.clone());
    let Some(name) = c.block_on(async {
        let list = nodes.list(&ListParams::default()).await.unwrap();
        list.items.into_iter().next().and_then(|n| n.metadata.name)
    }) else {
        println!("skipped: the cluster has no node to label");
        return;
    };
    // The node joins NODE module 4242's pool, as an admin labels it.
    let module = 4242;
    let mark = json!({"metadata": {"labels": {
        "app.kubernetes.io/managed-by": "kuberack", "kuberack.io/module": "node-4242"}}});
    let pp = PatchParams::default();
    c.block_on(nodes.patch(&name, &pp, &Patch::Merge(&mark)))
        .unwrap();
    let terms = table::intern_node(&NodeTerms {
        labels: parse::node_labels("kuberack-test=yes").unwrap(),
        taints: parse::node_taints("kuberack-test=yes:PreferNoSchedule").unwrap(),
    })
    .unwrap();
    let (mut hub, end) = queues(16, 4);
    let thread = spawn(c.config.clone(), end).unwrap();
    hub.publish(&[Some(DesiredObject::node_sync(module, None, Some(terms)))]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        c.block_on(async {
            let state = async || {
                let n = nodes.get(&name).await.ok()?;
                let label = n
                    .metadata
                    .labels
                    .unwrap_or_default()
                    .get("kuberack-test")
                    .cloned();
                let taint = n
                    .spec
                    .and_then(|s| s.taints)
                    .unwrap_or_default()
                    .iter()
                    .any(|t| t.key == "kuberack-test" && t.effect == "PreferNoSchedule");
                let managers: Vec<String> = n
                    .metadata
                    .managed_fields
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|m| m.manager)
                    .collect();
                Some((label, taint, managers.iter().any(|m| m == "kuberack")))
            };
            assert!(
                until(async || state().await == Some((Some("yes".into()), true, true))).await,
                "labels and taints not applied: {:?}",
                state().await
            );
            // Turned off: taken off again.
            hub.publish(&[None]);
            assert!(
                until(async || matches!(state().await, Some((None, false, _)))).await,
                "labels and taints not taken off: {:?}",
                state().await
            );
        })
    }));
    let _ = thread.stop();
    let unmark = json!({"metadata": {"labels": {
        "app.kubernetes.io/managed-by": null, "kuberack.io/module": null}}});
    let _ = c.block_on(nodes.patch(&name, &pp, &Patch::Merge(&unmark)));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
