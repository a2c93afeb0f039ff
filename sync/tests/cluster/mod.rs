//! The real cluster the real-cluster tests run against: an admin identity
//! (KUBERACK_TEST_KUBECONFIG) for the tests' own setup and checks, and the identity the
//! sync runs as (KUBERACK_TEST_RESTRICTED_KUBECONFIG), given exactly deploy/rbac.yaml's
//! rights, bound in each test's fresh namespace.

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, DeleteParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kuberack_sync::{ClusterSource, SyncConfig};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The admin kubeconfig (setup and checks).
pub const ADMIN_ENV: &str = "KUBERACK_TEST_KUBECONFIG";
/// The kubeconfig the sync runs with, given deploy/rbac.yaml's rights by the test.
pub const RESTRICTED_ENV: &str = "KUBERACK_TEST_RESTRICTED_KUBECONFIG";

/// Kueue's objects are cluster-scoped and toggle-off deletes every labelled one: the tests
/// take turns.
static TURN: Mutex<()> = Mutex::new(());

/// One test's namespace on the real cluster, with the sync's identity bound in it.
pub struct TestCluster {
    pub rt: tokio::runtime::Runtime,
    pub admin: kube::Client,
    pub ns: String,
    pub config: SyncConfig,
    cluster_roles: Vec<String>,
    _turn: MutexGuard<'static, ()>,
}

async fn client(path: &PathBuf) -> kube::Client {
    let kc = Kubeconfig::read_from(path).expect("a readable kubeconfig");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("a usable kubeconfig");
    kube::Client::try_from(cfg).expect("a client")
}

fn from<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).expect("a well-formed object")
}

/// The documents of deploy/rbac.yaml.
fn rbac_documents() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/rbac.yaml");
    let text = std::fs::read_to_string(path).expect("deploy/rbac.yaml");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| serde::Deserialize::deserialize(doc).expect("YAML"))
        .collect()
}

impl TestCluster {
    /// The cluster of the environment, or `None` after one line saying the test is skipped.
    pub fn from_env(test: &str) -> Option<TestCluster> {
        let Some(admin_path) = std::env::var_os(ADMIN_ENV) else {
            println!("real-cluster sync test {test} skipped: {ADMIN_ENV} is not set (set it to the kubeconfig of a disposable cluster to run it)");
            return None;
        };
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let admin_path = PathBuf::from(admin_path);
        let admin = rt.block_on(client(&admin_path));
        let ns = format!("kuberack-{test}-{}", std::process::id());
        let mut cluster = TestCluster {
            rt,
            admin,
            ns: ns.clone(),
            config: SyncConfig::new(ClusterSource::Kubeconfig {
                path: Some(admin_path),
                context: None,
            }),
            cluster_roles: Vec::new(),
            _turn: turn,
        };
        cluster.config.namespace = ns.clone();
        cluster.config.delete_on_stop = true;
        let namespaces: Api<Namespace> = Api::all(cluster.admin.clone());
        let body: Namespace = serde_json::from_value(json!({"metadata": {"name": ns}})).unwrap();
        cluster
            .rt
            .block_on(namespaces.create(&PostParams::default(), &body))
            .expect("the test namespace");
        match std::env::var_os(RESTRICTED_ENV) {
            Some(path) => cluster.bind_restricted(PathBuf::from(path)),
            None => println!(
                "real-cluster sync test {test}: {RESTRICTED_ENV} is not set, so the sync runs with the admin identity (least privilege not checked)"
            ),
        }
        Some(cluster)
    }

    /// Gives the restricted identity deploy/rbac.yaml's rules: its Role in the test's
    /// namespace, its ClusterRoles under names of the test's own; the sync then runs as it.
    fn bind_restricted(&mut self, path: PathBuf) {
        let restricted = self.rt.block_on(client(&path));
        let reviews: Api<SelfSubjectReview> = Api::all(restricted);
        let review = self
            .rt
            .block_on(reviews.create(&PostParams::default(), &SelfSubjectReview::default()))
            .expect("a SelfSubjectReview of the restricted identity");
        let user = review
            .status
            .and_then(|s| s.user_info?.username)
            .expect("the restricted user's name");
        let subject =
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": user}]);
        let ns = self.ns.clone();
        for doc in rbac_documents() {
            let name = doc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let rules = doc["rules"].clone();
            let pp = PostParams::default();
            let kind = doc["kind"].as_str().unwrap_or_default();
            let own = match kind {
                "Role" => name,
                "ClusterRole" => format!("{name}-{ns}"),
                _ => continue,
            };
            let role = json!({"metadata": {"name": own}, "rules": rules});
            let bind = json!({"metadata": {"name": own}, "subjects": subject,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": own}});
            self.rt.block_on(async {
                if kind == "Role" {
                    let roles: Api<Role> = Api::namespaced(self.admin.clone(), &ns);
                    let binds: Api<RoleBinding> = Api::namespaced(self.admin.clone(), &ns);
                    roles.create(&pp, &from(role)).await.unwrap();
                    binds.create(&pp, &from(bind)).await.unwrap();
                } else {
                    let roles: Api<ClusterRole> = Api::all(self.admin.clone());
                    let binds: Api<ClusterRoleBinding> = Api::all(self.admin.clone());
                    roles.create(&pp, &from(role)).await.unwrap();
                    binds.create(&pp, &from(bind)).await.unwrap();
                }
            });
            if kind == "ClusterRole" {
                self.cluster_roles.push(own);
            }
        }
        self.config.source = ClusterSource::Kubeconfig {
            path: Some(path),
            context: None,
        };
    }

    /// Runs a future on the test's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let roles: Api<ClusterRole> = Api::all(self.admin.clone());
        let binds: Api<ClusterRoleBinding> = Api::all(self.admin.clone());
        let namespaces: Api<Namespace> = Api::all(self.admin.clone());
        let dp = DeleteParams::default();
        self.rt.block_on(async {
            for name in &self.cluster_roles {
                let _ = binds.delete(name, &dp).await;
                let _ = roles.delete(name, &dp).await;
            }
            let _ = namespaces.delete(&self.ns, &dp).await;
        });
    }
}

/// Polls `check` every 100 ms for up to 30 s; whether it came true.
pub async fn until(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}
