//! The module types, one per descriptor, and the factory hosts create them with.

pub mod autoscaler;
pub mod claim_settings;
pub mod cluster;
pub mod cluster_queue;
pub mod cluster_sync;
pub mod control_rate;
pub mod deployment;
pub mod devices;
pub mod enchantment;
pub mod etcd;
pub mod ingress;
pub mod job;
mod membership;
pub mod node;
pub mod pod;
mod pod_local;
pub mod scheduler;
pub mod scheduling_settings;
pub mod service;
pub mod words;

use std::sync::Arc;

use crate::rack::Module;
use crate::registry::Registry;

pub use autoscaler::AutoscalerModule;
pub use cluster::ClusterModule;
pub use cluster_queue::ClusterQueueModule;
pub use control_rate::{ControlRate, CONTROL_PERIOD};
pub use deployment::DeploymentModule;
pub use devices::DevicesModule;
pub use enchantment::EnchantmentModule;
pub use etcd::EtcdModule;
pub use ingress::IngressModule;
pub use job::JobModule;
pub use node::NodeModule;
pub use pod::PodModule;
pub use scheduler::SchedulerModule;
pub use service::ServiceModule;

/// A slug no KubeRack module has, or a registry with no free slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownModel(pub String);

impl std::fmt::Display for UnknownModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot create KubeRack module '{}'", self.0)
    }
}

impl std::error::Error for UnknownModel {}

/// A member with no settings of its own accepts an object (or nothing) and ignores it.
pub(crate) fn expect_no_settings(
    module: &str,
    state: &serde_json::Value,
) -> Result<(), crate::LoadError> {
    if state.is_object() || state.is_null() {
        Ok(())
    } else {
        Err(crate::LoadError(format!(
            "{module} settings: expected an object; using defaults"
        )))
    }
}

/// The load result of settings whose refused text (`refused`, one reason each) a loaded patch
/// keeps as written but does not put in force.
pub(crate) fn refused_text(what: &str, refused: &[String]) -> Result<(), crate::LoadError> {
    if refused.is_empty() {
        Ok(())
    } else {
        Err(crate::LoadError(format!(
            "{what}: {}; kept as written, not in force",
            refused.join("; ")
        )))
    }
}

/// Creates the module with this slug, claiming a slot in `registry`. Not for the audio path.
///
/// Members whose outputs are all control signals run at control rate ([`ControlRate`]); the
/// hub, NODE and ETCD, which synthesise audio, run every sample and keep their control work
/// on the hub's tick themselves.
pub fn create_module(
    slug: &str,
    registry: &Arc<Registry>,
) -> Result<Box<dyn Module>, UnknownModel> {
    fn each_sample<M: Module + 'static>(m: M) -> Box<dyn Module> {
        Box::new(m)
    }
    fn held<M: Module + 'static>(m: M) -> Box<dyn Module> {
        Box::new(ControlRate::new(m))
    }
    let module: Option<Box<dyn Module>> = match slug {
        "Cluster" => ClusterModule::new(registry).map(each_sample),
        "Node" => NodeModule::new(registry).map(each_sample),
        "Etcd" => EtcdModule::new(registry).map(each_sample),
        "Deployment" => DeploymentModule::new(registry).map(held),
        "Scheduler" => SchedulerModule::new(registry).map(held),
        "Pod" => PodModule::new(registry).map(held),
        "Service" => ServiceModule::new(registry).map(held),
        "Ingress" => IngressModule::new(registry).map(held),
        "Autoscaler" => AutoscalerModule::new(registry).map(held),
        "Job" => JobModule::new(registry).map(held),
        "ClusterQueue" => ClusterQueueModule::new(registry).map(held),
        "Devices" => DevicesModule::new(registry).map(held),
        "Enchantment" => EnchantmentModule::new(registry).map(held),
        _ => None,
    };
    module.ok_or_else(|| UnknownModel(slug.to_owned()))
}
