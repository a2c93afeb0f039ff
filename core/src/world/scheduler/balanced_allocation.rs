//! NodeResourcesBalancedAllocation: favours nodes whose cpu and memory fractions (after
//! placing the pod) are close: (1 - std deviation) * 100, as upstream computes it for two
//! resources.

use super::MAX_NODE_SCORE;

/// Score for requested (pod included) over allocatable cpu and memory.
#[inline]
pub fn score(cpu_req: i64, cpu_cap: i64, mem_req: i64, mem_cap: i64) -> i64 {
    let fraction = |req: i64, cap: i64| {
        if cap == 0 {
            1.0
        } else {
            (req as f64 / cap as f64).min(1.0)
        }
    };
    let std_dev = (fraction(cpu_req, cpu_cap) - fraction(mem_req, mem_cap)).abs() / 2.0;
    ((1.0 - std_dev) * MAX_NODE_SCORE as f64) as i64
}
