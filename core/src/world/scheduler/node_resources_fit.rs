//! NodeResourcesFit: the filter (pods, cpu, memory against allocatable) and the scoring
//! strategies LeastAllocated, MostAllocated and RequestedToCapacityRatio, cpu and memory
//! weighted 1 each, computed as upstream computes them.

use super::cycle::PodInfo;
use super::node_info::NodeInfo;
use super::{FilterReason, Shortfall, MAX_NODE_SCORE};

/// Most points of a RequestedToCapacityRatio shape.
pub const MAX_SHAPE_POINTS: usize = 4;
/// Highest score of a shape point (upstream's MaxCustomPriorityScore).
pub const MAX_CUSTOM_PRIORITY_SCORE: i64 = 10;
const MAX_UTILIZATION: i64 = 100;

/// A point of a RequestedToCapacityRatio shape: utilization 0..100 -> score 0..10.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShapePoint {
    /// Utilization in percent.
    pub utilization: u8,
    /// Score, 0..10.
    pub score: u8,
}

/// NodeResourcesFit's scoringStrategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoringStrategy {
    /// Favour the least requested nodes (spread).
    LeastAllocated,
    /// Favour the most requested nodes (bin-packing).
    MostAllocated,
    /// A broken-line function of utilization (points in ascending utilization).
    RequestedToCapacityRatio {
        /// The shape's points; the first `len` are used.
        shape: [ShapePoint; MAX_SHAPE_POINTS],
        /// Points used (at least 1).
        len: u8,
    },
}

impl ScoringStrategy {
    /// The SCHEDULER knob's strategy: 0 = LeastAllocated, 1 = MostAllocated, in between the
    /// two-point RequestedToCapacityRatio shape {(0, 10 - s), (100, s)} with s = round(10 k),
    /// which slides from LeastAllocated's line to MostAllocated's (k = 0.5 scores every node
    /// alike). Out-of-range and NaN positions clamp to the nearest end.
    pub fn from_knob(k: f32) -> ScoringStrategy {
        let k = if k.is_nan() { 0.0 } else { k.clamp(0.0, 1.0) };
        if k <= 0.0 {
            return ScoringStrategy::LeastAllocated;
        }
        if k >= 1.0 {
            return ScoringStrategy::MostAllocated;
        }
        let s = (k * 10.0).round() as u8;
        let mut shape = [ShapePoint::default(); MAX_SHAPE_POINTS];
        shape[0] = ShapePoint {
            utilization: 0,
            score: 10 - s,
        };
        shape[1] = ShapePoint {
            utilization: 100,
            score: s,
        };
        ScoringStrategy::RequestedToCapacityRatio { shape, len: 2 }
    }

    /// Score of a node whose requests (pod included) are `cpu_req`/`mem_req`.
    #[inline]
    pub fn score(&self, cpu_req: i64, cpu_cap: i64, mem_req: i64, mem_cap: i64) -> i64 {
        match self {
            ScoringStrategy::LeastAllocated => weighted_mean(
                least(cpu_req, cpu_cap),
                least(mem_req, mem_cap),
                cpu_cap,
                mem_cap,
            ),
            ScoringStrategy::MostAllocated => weighted_mean(
                most(cpu_req, cpu_cap),
                most(mem_req, mem_cap),
                cpu_cap,
                mem_cap,
            ),
            ScoringStrategy::RequestedToCapacityRatio { shape, len } => {
                let shape = &shape[..usize::from(*len).clamp(1, MAX_SHAPE_POINTS)];
                let mut sum = 0;
                let mut weights = 0;
                for (req, cap) in [(cpu_req, cpu_cap), (mem_req, mem_cap)] {
                    if cap == 0 {
                        continue;
                    }
                    let s = ratio_score(shape, req, cap);
                    // Upstream leaves resources scoring 0 out of the mean.
                    if s > 0 {
                        sum += s;
                        weights += 1;
                    }
                }
                if weights == 0 {
                    0
                } else {
                    super::round_half_away(sum as f64 / weights as f64)
                }
            }
        }
    }
}

/// Mean over the resources with allocatable > 0 (integer division, as upstream).
#[inline]
fn weighted_mean(cpu: i64, mem: i64, cpu_cap: i64, mem_cap: i64) -> i64 {
    let (mut sum, mut weights) = (0, 0);
    if cpu_cap != 0 {
        sum += cpu;
        weights += 1;
    }
    if mem_cap != 0 {
        sum += mem;
        weights += 1;
    }
    if weights == 0 {
        0
    } else {
        sum / weights
    }
}

/// leastRequestedScore.
#[inline]
fn least(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        0
    } else {
        (capacity - requested) * MAX_NODE_SCORE / capacity
    }
}

/// mostRequestedScore.
#[inline]
fn most(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        0
    } else {
        requested.min(capacity) * MAX_NODE_SCORE / capacity
    }
}

/// One resource's RequestedToCapacityRatio score, 0..100.
fn ratio_score(shape: &[ShapePoint], requested: i64, capacity: i64) -> i64 {
    let utilization = if requested >= capacity {
        MAX_UTILIZATION
    } else if requested <= 0 {
        0
    } else {
        requested * MAX_UTILIZATION / capacity
    };
    broken_linear(shape, utilization)
}

/// Upstream's BuildBrokenLinearFunction over the shape with scores scaled to 0..100: flat
/// before the first point and after the last, linear (integer arithmetic) in between.
fn broken_linear(shape: &[ShapePoint], p: i64) -> i64 {
    let u = |i: usize| i64::from(shape[i].utilization);
    let s = |i: usize| {
        i64::from(shape[i].score).min(MAX_CUSTOM_PRIORITY_SCORE)
            * (MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE)
    };
    for i in 0..shape.len() {
        if p <= u(i) {
            if i == 0 {
                return s(0);
            }
            return s(i - 1) + (s(i) - s(i - 1)) * (p - u(i - 1)) / (u(i) - u(i - 1)).max(1);
        }
    }
    s(shape.len() - 1)
}

/// Filter: pod count, cpu, memory and the extended resource, each insufficient one reported
/// (as upstream's fitsRequest), with `extra` requested on the node (nominated pods'
/// reservations, or minus victims during a preemption dry run). A request above the node's
/// allocatable itself makes the status UnschedulableAndUnresolvable. A node offers none of
/// an essence it is not labelled with.
#[inline]
pub fn filter(node: &NodeInfo, pod: &PodInfo, extra: Extra) -> Result<(), FilterReason> {
    let (cpu_m, memory_mib) = (i64::from(pod.cpu_m), i64::from(pod.memory_mib));
    let pods = i64::from(node.pod_count) + extra.pods;
    let cpu = i64::from(node.requested_cpu_m) + extra.cpu_m;
    let mem = i64::from(node.requested_memory_mib) + extra.memory_mib;
    let mut short = Shortfall::default();
    if pods + 1 > i64::from(node.allocatable_pods) {
        short = short.pods();
    }
    let alloc_cpu = i64::from(node.allocatable_cpu_m);
    if cpu_m > 0 && cpu + cpu_m > alloc_cpu {
        short = short.cpu(cpu_m > alloc_cpu);
    }
    let alloc_mem = i64::from(node.allocatable_memory_mib);
    if memory_mib > 0 && mem + memory_mib > alloc_mem {
        short = short.memory(memory_mib > alloc_mem);
    }
    if pod.mana.amount > 0 {
        let mana = i64::from(node.requested_mana) + extra.mana;
        let offered = i64::from(node.mana.allocatable_of(pod.mana.essence));
        let amount = i64::from(pod.mana.amount);
        if mana + amount > offered {
            short = short.mana(pod.mana.essence, amount > offered);
        }
    }
    if short.is_empty() {
        Ok(())
    } else {
        Err(FilterReason::Insufficient(short))
    }
}

/// Requests added to (or, negative, removed from) a node for one filter run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Extra {
    /// Pods.
    pub pods: i64,
    /// CPU, millicores.
    pub cpu_m: i64,
    /// Memory, MiB.
    pub memory_mib: i64,
    /// Mana of the node's essence.
    pub mana: i64,
}
