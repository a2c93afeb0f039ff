//! The descriptors of every module, with index constants the core uses.

pub mod autoscaler;
pub mod cluster;
pub mod cluster_queue;
pub mod deployment;
pub mod etcd;
pub mod ingress;
pub mod job;
pub mod node;
pub mod pod;
pub mod scheduler;
pub mod service;

use crate::ModuleDescriptor;

/// Every module model, in registry order (the C ABI's model index).
pub static MODULES: &[&ModuleDescriptor] = &[
    &cluster::DESCRIPTOR,
    &node::DESCRIPTOR,
    &deployment::DESCRIPTOR,
    &scheduler::DESCRIPTOR,
    &pod::DESCRIPTOR,
    &service::DESCRIPTOR,
    &ingress::DESCRIPTOR,
    &etcd::DESCRIPTOR,
    &autoscaler::DESCRIPTOR,
    &job::DESCRIPTOR,
    &cluster_queue::DESCRIPTOR,
];

/// The descriptor with this slug.
pub fn find(slug: &str) -> Option<&'static ModuleDescriptor> {
    MODULES.iter().copied().find(|m| m.slug == slug)
}
