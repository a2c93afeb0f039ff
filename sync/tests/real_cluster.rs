//! The sync thread against a real cluster, when KUBERACK_TEST_KUBECONFIG names a kubeconfig
//! of a disposable cluster: scale by server-side apply, a real pod deleted and heard by the
//! hub, the label guard, a JOB submission's Job, and delete on toggle-off, in a fresh
//! namespace that is deleted afterwards. Without it, one line says so.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Pod};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kuberack_core::world::events::EventKind;
use kuberack_sync::kueue::{KueueKind, KueueVersion};
use kuberack_sync::{
    queues, spawn, Change, ClusterSource, DesiredJob, DesiredObject, DesiredQueue, MirrorKind,
    SyncConfig,
};
use serde_json::json;
use std::time::{Duration, Instant};

const ENV: &str = "KUBERACK_TEST_KUBECONFIG";

fn dep(module: u64, replicas: u32) -> Option<DesiredObject> {
    Some(DesiredObject::deployment(module, replicas, 10, 16))
}

async fn replicas(api: &Api<Deployment>, name: &str) -> Option<i32> {
    api.get_opt(name).await.ok().flatten()?.spec?.replicas
}

async fn until(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

/// The Kueue version the server prefers, as the sync finds it.
async fn kueue_version(client: &kube::Client) -> KueueVersion {
    let groups = client.list_api_groups().await.unwrap();
    let group = groups
        .groups
        .iter()
        .find(|g| g.name == kuberack_sync::kueue::GROUP);
    let served = group
        .into_iter()
        .flat_map(|g| g.versions.iter().map(|v| v.version.as_str()));
    KueueVersion::preferred(served).unwrap_or(KueueVersion::V1beta1)
}

#[test]
fn sync_against_a_real_cluster() {
    let Some(path) = std::env::var_os(ENV) else {
        println!("real-cluster sync test skipped: {ENV} is not set (set it to the kubeconfig of a disposable cluster to run it)");
        return;
    };
    let ns = format!("kuberack-test-{}", std::process::id());
    let mut config = SyncConfig::new(ClusterSource::Kubeconfig {
        path: Some(path.clone().into()),
        context: None,
    });
    config.namespace = ns.clone();
    config.delete_on_stop = true;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let kc = Kubeconfig::read_from(&path).expect("kubeconfig");
        let cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .unwrap();
        kube::Client::try_from(cfg).unwrap()
    });
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let jobs: Api<Job> = Api::namespaced(client.clone(), &ns);
    let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);

    let (mut hub, end) = queues(64, 4);
    let thread = spawn(config, end).unwrap();
    hub.publish(&[dep(1, 2)]);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            assert!(until(async || replicas(&deployments, "deployment-1").await == Some(2)).await);
            let d = deployments.get("deployment-1").await.unwrap();
            let managers: Vec<_> = d.metadata.managed_fields.unwrap_or_default().into_iter().filter_map(|m| m.manager).collect();
            assert!(managers.iter().any(|m| m == "kuberack"), "{managers:?}");
            // Scaling follows the desired replicas.
            hub.publish(&[dep(1, 3)]);
            assert!(until(async || replicas(&deployments, "deployment-1").await == Some(3)).await);
            // Deleting a real pod is heard: the hub receives PodDeleted for the DEPLOYMENT.
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
            // A JOB submission becomes a Job that runs to completion (no queue: Kueue or
            // not, it starts at once).
            let spec = DesiredJob {
                parallelism: 1,
                completions: 1,
                duration_ms: 500,
                ..DesiredJob::default()
            };
            assert!(hub.push(Change::Apply(DesiredObject::job(3, 1, 10, 16, spec))));
            let complete = async || {
                let job = jobs.get_opt("job-3-1").await.ok().flatten();
                job.and_then(|j| j.status?.succeeded) == Some(1)
            };
            assert!(until(complete).await, "job-3-1 did not complete");
            // Where Kueue is installed, a CLUSTERQUEUE becomes a ClusterQueue and LocalQueue.
            if hub.status.kueue_found() {
                let queue = DesiredObject::cluster_queue(4, 1000, 512, DesiredQueue::default());
                hub.publish(&[dep(1, 3), dep(7, 5), Some(queue)]);
                let resource = KueueKind::LocalQueue.api_resource(kueue_version(&client).await);
                let local: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &resource);
                assert!(until(async || local.get_opt("clusterqueue-4").await.ok().flatten().is_some()).await);
            }
        })
    }));
    thread.stop().unwrap();
    let after = rt.block_on(async {
        let resource = KueueKind::ClusterQueue.api_resource(kueue_version(&client).await);
        let queues: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        let queue_left = queues.get_opt("clusterqueue-4").await.ok().flatten();
        assert!(
            queue_left.is_none(),
            "toggle-off with delete removes the ClusterQueue"
        );
        let job_left = jobs.get_opt("job-3-1").await.unwrap();
        assert!(
            job_left.is_none(),
            "toggle-off with delete removes the Job too"
        );
        let mine = deployments.get_opt("deployment-1").await.unwrap();
        let theirs = deployments.get_opt("deployment-7").await.unwrap();
        let _ = namespaces.delete(&ns, &DeleteParams::default()).await;
        (mine.is_none(), theirs.is_some())
    });
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(
        after,
        (true, true),
        "toggle-off with delete removes only KubeRack's objects"
    );
}
