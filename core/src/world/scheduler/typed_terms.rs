//! The PreFilter and PreScore state of the typed pod terms that read other pods: pod
//! affinity ([`super::pod_affinity`]) and topology spread ([`super::spread_terms`]).

use super::framework::NodeSource;
use super::pod_affinity::{BoundPod, PodAffinityState};
use super::spread_terms::TypedSpread;
use crate::world::constraints::SchedulingSpec;

/// Both states, sized at construction.
pub struct TypedTerms {
    /// InterPodAffinity's.
    pub affinity: PodAffinityState,
    /// PodTopologySpread's.
    pub spread: TypedSpread,
}

impl TypedTerms {
    /// Room for clusters of up to `max_nodes` nodes.
    pub fn with_capacity(max_nodes: usize) -> TypedTerms {
        TypedTerms {
            affinity: PodAffinityState::with_capacity(max_nodes),
            spread: TypedSpread::with_capacity(max_nodes),
        }
    }

    /// PreFilter and PreScore for a pod with `spec` over the nodes in `order` and the bound
    /// pods (`pods` lists them anew on each call).
    pub fn prepare<N: NodeSource + ?Sized, I: Iterator<Item = BoundPod>>(
        &mut self,
        spec: &SchedulingSpec,
        order: &[u32],
        pods: impl Fn() -> I,
        nodes: &N,
    ) {
        self.affinity.prepare(spec.terms, pods(), nodes);
        self.spread.prepare(spec, order, pods(), nodes);
    }

    /// Whether the state reads other pods everywhere (so cached rows last one cycle).
    pub fn in_use(&self) -> bool {
        self.affinity.filters() || self.affinity.scores() || self.spread.active()
    }
}
