//! The descriptors of every module, with index constants the core uses.

pub mod cluster;
pub mod deployment;
pub mod node;
pub mod scheduler;

use crate::ModuleDescriptor;

/// Every module model, in registry order (the C ABI's model index).
pub static MODULES: &[&ModuleDescriptor] = &[
    &cluster::DESCRIPTOR,
    &node::DESCRIPTOR,
    &deployment::DESCRIPTOR,
    &scheduler::DESCRIPTOR,
];

/// The descriptor with this slug.
pub fn find(slug: &str) -> Option<&'static ModuleDescriptor> {
    MODULES.iter().copied().find(|m| m.slug == slug)
}
