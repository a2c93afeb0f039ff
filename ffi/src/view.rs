//! The CLUSTER display's snapshot, read from the UI thread without touching the audio path.

use kuberack_core::view::{ClusterView, VIEW_MAX_NODES, VIEW_MAX_PODS};

use crate::module::{with_handle, KrModule};
use crate::status::KrStatus;

/// Most nodes a view shows.
pub const KR_VIEW_MAX_NODES: usize = 32;
/// Most pods a view shows per node.
pub const KR_VIEW_MAX_PODS: usize = 32;

const _: () = assert!(KR_VIEW_MAX_NODES == VIEW_MAX_NODES && KR_VIEW_MAX_PODS == VIEW_MAX_PODS);

/// Pod state codes in `KrClusterView::pod_state`: not bound to a node.
pub const KR_POD_UNSCHEDULED: u8 = 0;
/// Bound, not yet picked up by the kubelet.
pub const KR_POD_BOUND: u8 = 1;
/// ContainerCreating.
pub const KR_POD_CREATING: u8 = 2;
/// Running, not yet Ready.
pub const KR_POD_RUNNING: u8 = 3;
/// Ready.
pub const KR_POD_READY: u8 = 4;
/// Terminating gracefully.
pub const KR_POD_TERMINATING: u8 = 5;
/// Failed.
pub const KR_POD_FAILED: u8 = 6;

/// A snapshot of a CLUSTER's world for its display.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct KrClusterView {
    /// etcd revision.
    pub revision: u64,
    /// Simulated seconds.
    pub time_s: f64,
    /// Cluster CPU utilisation 0..1.
    pub cpu_utilisation: f32,
    /// Pods not yet bound.
    pub pending: u32,
    /// Nodes shown (at most `KR_VIEW_MAX_NODES`).
    pub num_nodes: u32,
    /// Tag of each node's NODE module.
    pub node_pool: [u32; KR_VIEW_MAX_NODES],
    /// 1 when the node is Ready.
    pub node_ready: [u8; KR_VIEW_MAX_NODES],
    /// 1 when the node is cordoned.
    pub node_cordoned: [u8; KR_VIEW_MAX_NODES],
    /// CPU requested over allocatable, 0..1.
    pub node_cpu_utilisation: [f32; KR_VIEW_MAX_NODES],
    /// Pods bound to each node (may exceed `KR_VIEW_MAX_PODS`).
    pub node_num_pods: [u32; KR_VIEW_MAX_NODES],
    /// `KR_POD_*` state of each node's first pods.
    pub pod_state: [[u8; KR_VIEW_MAX_PODS]; KR_VIEW_MAX_NODES],
}

impl From<&ClusterView> for KrClusterView {
    fn from(v: &ClusterView) -> Self {
        KrClusterView {
            revision: v.revision,
            time_s: v.time_s,
            cpu_utilisation: v.cpu_utilisation,
            pending: v.pending,
            num_nodes: v.num_nodes,
            node_pool: v.node_pool,
            node_ready: v.node_ready.map(u8::from),
            node_cordoned: v.node_cordoned.map(u8::from),
            node_cpu_utilisation: v.node_cpu_utilisation,
            node_num_pods: v.node_num_pods,
            pod_state: v.pod_state.map(|node| node.map(|s| s as u8)),
        }
    }
}

/// Copies the latest snapshot a CLUSTER published into `out`. Lock-free and safe from the
/// UI thread while the audio thread processes. `KR_ERR_INVALID` when `m` is not a CLUSTER,
/// `KR_ERR_FAULTED` when the snapshot could not be read consistently (try again next frame).
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or valid for writing one `KrClusterView`.
#[no_mangle]
pub unsafe extern "C" fn kr_cluster_view(m: *const KrModule, out: *mut KrClusterView) -> i32 {
    let body = |module: &KrModule| {
        if out.is_null() {
            return KrStatus::KR_ERR_NULL;
        }
        let Some(cell) = module.view() else {
            return KrStatus::KR_ERR_INVALID;
        };
        let mut view = Box::<ClusterView>::default();
        if !cell.read(&mut view) {
            return KrStatus::KR_ERR_FAULTED;
        }
        // SAFETY: non-null and valid for one write, by the caller's contract.
        unsafe { out.write(KrClusterView::from(&*view)) };
        KrStatus::KR_OK
    };
    // SAFETY: forwarded caller contract.
    unsafe { with_handle(m, body) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::{kr_module_create, kr_module_free};
    use std::ptr;

    #[test]
    fn hubs_have_a_view_members_do_not_and_null_is_refused() {
        let hub = kr_module_create(0);
        let node = kr_module_create(1);
        let mut view = std::mem::MaybeUninit::<KrClusterView>::uninit();
        // SAFETY: live handles and a writable view.
        unsafe {
            assert_eq!(kr_cluster_view(hub, view.as_mut_ptr()), 0);
            assert_eq!(view.assume_init().num_nodes, 0);
            assert_eq!(
                kr_cluster_view(node, view.as_mut_ptr()),
                KrStatus::KR_ERR_INVALID.code()
            );
            assert_eq!(
                kr_cluster_view(ptr::null(), view.as_mut_ptr()),
                KrStatus::KR_ERR_NULL.code()
            );
            assert_eq!(
                kr_cluster_view(hub, ptr::null_mut()),
                KrStatus::KR_ERR_NULL.code()
            );
            kr_module_free(hub);
            kr_module_free(node);
        }
    }
}
