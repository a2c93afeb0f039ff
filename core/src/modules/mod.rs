//! The module types, one per descriptor, and the factory hosts create them with.

pub mod autoscaler;
pub mod claim_settings;
pub mod cluster;
pub mod cluster_queue;
pub mod cluster_sync;
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

/// Creates the module with this slug, claiming a slot in `registry`. Not for the audio path.
pub fn create_module(
    slug: &str,
    registry: &Arc<Registry>,
) -> Result<Box<dyn Module>, UnknownModel> {
    let module: Option<Box<dyn Module>> = match slug {
        "Cluster" => ClusterModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Node" => NodeModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Deployment" => DeploymentModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Scheduler" => SchedulerModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Pod" => PodModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Service" => ServiceModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Ingress" => IngressModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Etcd" => EtcdModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Autoscaler" => AutoscalerModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Job" => JobModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "ClusterQueue" => ClusterQueueModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Devices" => DevicesModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        "Enchantment" => EnchantmentModule::new(registry).map(|m| Box::new(m) as Box<dyn Module>),
        _ => None,
    };
    module.ok_or_else(|| UnknownModel(slug.to_owned()))
}
