//! Reaching a hub's world from the player (for its event log, statistics and seed), and the
//! real-cluster events it heard.

use kuberack_core::live::HeardLog;
use kuberack_core::modules::ClusterModule;
use kuberack_core::world::World;
use kuberack_core::Module;

fn cluster(module: &dyn Module) -> Option<&ClusterModule> {
    module.as_any().downcast_ref::<ClusterModule>()
}

/// The world a CLUSTER module owns, or `None` for any other module.
pub fn world_of(module: &dyn Module) -> Option<&World> {
    cluster(module).map(ClusterModule::world)
}

/// The real-cluster events a CLUSTER module heard while synced, or `None` for any other
/// module.
pub fn heard_of(module: &dyn Module) -> Option<&HeardLog> {
    cluster(module).map(ClusterModule::heard)
}

/// The seed a CLUSTER module's world runs with, or `None` for any other module.
pub fn seed_of(module: &dyn Module) -> Option<u64> {
    cluster(module).map(|c| c.settings().seed)
}
