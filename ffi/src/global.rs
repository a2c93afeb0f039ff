//! The process-global registry that every module created through the ABI shares, so hubs
//! and members find each other by the tags their cables carry.

use std::sync::{Arc, OnceLock};

use kuberack_core::Registry;

static REGISTRY: OnceLock<Arc<Registry>> = OnceLock::new();

/// The registry of this process, created on first use (off the audio path).
pub(crate) fn registry() -> &'static Arc<Registry> {
    REGISTRY.get_or_init(Registry::new)
}
