//! The descriptors of every module, with index constants the core uses.

pub mod cluster;
pub mod deployment;
pub mod etcd;
pub mod ingress;
pub mod node;
pub mod pod;
pub mod service;

use crate::ModuleDescriptor;

/// Every module model, in registry order (the C ABI's model index).
pub static MODULES: &[&ModuleDescriptor] = &[
    &cluster::DESCRIPTOR,
    &node::DESCRIPTOR,
    &deployment::DESCRIPTOR,
    &pod::DESCRIPTOR,
    &service::DESCRIPTOR,
    &ingress::DESCRIPTOR,
    &etcd::DESCRIPTOR,
];

/// The descriptor with this slug.
pub fn find(slug: &str) -> Option<&'static ModuleDescriptor> {
    MODULES.iter().copied().find(|m| m.slug == slug)
}
