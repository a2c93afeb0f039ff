//! Kubernetes-style object names, formatted on demand (the world stores no strings).

use std::fmt;

/// The API kind of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// core/v1 Node.
    Node,
    /// core/v1 Pod.
    Pod,
    /// apps/v1 Deployment.
    Deployment,
    /// apps/v1 ReplicaSet.
    ReplicaSet,
    /// core/v1 Service.
    Service,
    /// discovery.k8s.io/v1 EndpointSlice.
    EndpointSlice,
    /// core/v1 ConfigMap (the key an external client writes).
    ConfigMap,
    /// etcd itself (its compaction key).
    Etcd,
    /// batch/v1 Job.
    Job,
    /// core/v1 Pod owned by a Job.
    JobPod,
    /// core/v1 Pod with no controller (a POD module's).
    BarePod,
    /// karpenter.sh/v1 NodePool: an AUTOSCALER's pool.
    NodePool,
    /// karpenter.sh/v1 NodeClaim: an AUTOSCALER's request for one node (named as its node).
    NodeClaim,
    /// kueue.x-k8s.io/v1beta2 ClusterQueue: a CLUSTERQUEUE module's.
    ClusterQueue,
    /// kueue.x-k8s.io/v1beta2 Workload: a queued Job's (`owner` is the Job's id).
    Workload,
}

/// Identifies an object: enough to print the name Kubernetes would show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObjectName {
    /// API kind.
    pub kind: ObjectKind,
    /// Tag of the module the object comes from (the pool or the Deployment), or a Job's id.
    pub owner: u32,
    /// pod-template-hash for ReplicaSets and a Deployment's pods; 0 otherwise.
    pub revision: u32,
    /// Node ordinal within its pool, or the pod's uid.
    pub id: u64,
}

impl ObjectName {
    /// The API kind as Kubernetes spells it.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ObjectKind::Node => "Node",
            ObjectKind::NodeClaim => "NodeClaim",
            ObjectKind::NodePool => "NodePool",
            ObjectKind::Pod | ObjectKind::JobPod | ObjectKind::BarePod => "Pod",
            ObjectKind::Job => "Job",
            ObjectKind::Deployment => "Deployment",
            ObjectKind::ReplicaSet => "ReplicaSet",
            ObjectKind::Service => "Service",
            ObjectKind::EndpointSlice => "EndpointSlice",
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Etcd => "Etcd",
            ObjectKind::ClusterQueue => "ClusterQueue",
            ObjectKind::Workload => "Workload",
        }
    }
}

/// Characters Kubernetes uses for generated name suffixes (no vowels, no confusables).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

fn write_suffix(f: &mut fmt::Formatter<'_>, seed: u64, len: usize) -> fmt::Result {
    let mut h = mix(seed);
    for _ in 0..len {
        let c = ALPHANUMS[(h % ALPHANUMS.len() as u64) as usize];
        fmt::Write::write_char(f, c as char)?;
        h /= ALPHANUMS.len() as u64;
    }
    Ok(())
}

/// The pod-template-hash as upstream prints it: each decimal digit of the hash mapped into
/// the safe alphabet (`rand.SafeEncodeString(fmt.Sprint(hash))`).
fn write_hash(f: &mut fmt::Formatter<'_>, hash: u32) -> fmt::Result {
    let mut digits = [0u8; 10];
    let mut n = hash;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in digits[..len].iter().rev() {
        let c = ALPHANUMS[d as usize % ALPHANUMS.len()];
        fmt::Write::write_char(f, c as char)?;
    }
    Ok(())
}

impl fmt::Display for ObjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ObjectKind::Node | ObjectKind::NodeClaim => {
                write!(f, "node-{}-{}", self.owner, self.id)
            }
            ObjectKind::NodePool => write!(f, "nodepool-{}", self.owner),
            ObjectKind::Deployment => write!(f, "deployment-{}", self.owner),
            // A bare pod (POD module): no ReplicaSet, no template revision.
            ObjectKind::BarePod => write!(f, "pod-{}", self.owner),
            ObjectKind::Service => write!(f, "service-{}", self.owner),
            ObjectKind::EndpointSlice => {
                write!(f, "service-{}-", self.owner)?;
                write_suffix(f, u64::from(self.owner) ^ 0xe5, 5)
            }
            ObjectKind::ConfigMap => write!(f, "external-{}", self.owner),
            ObjectKind::Etcd => f.write_str("compact_rev_key"),
            ObjectKind::Job => write!(f, "job-{}", self.owner),
            ObjectKind::ClusterQueue => write!(f, "clusterqueue-{}", self.owner),
            // Kueue names a Job's Workload `job-<job name>-<hash>`.
            ObjectKind::Workload => {
                write!(f, "job-job-{}-", self.owner)?;
                write_suffix(f, u64::from(self.owner) ^ 0x6b75_6575, 5)
            }
            ObjectKind::JobPod => {
                write!(f, "job-{}-", self.owner)?;
                write_suffix(f, self.id ^ 0x5bd1_e995, 5)
            }
            ObjectKind::ReplicaSet | ObjectKind::Pod => {
                write!(f, "deployment-{}-", self.owner)?;
                write_hash(f, self.revision)?;
                if self.kind == ObjectKind::Pod {
                    f.write_str("-")?;
                    write_suffix(f, self.id ^ 0x5bd1_e995, 5)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_look_like_kubernetes_names() {
        let pod = ObjectName {
            kind: ObjectKind::Pod,
            owner: 3,
            revision: 3_845_729_416,
            id: 42,
        };
        let s = pod.to_string();
        assert!(s.starts_with("deployment-3-"), "{s}");
        assert_eq!(s.len(), "deployment-3-".len() + 10 + 1 + 5);
        // Digit 3 is byte 51, 51 % 27 = 24: '7'; digit 8 is byte 56, 56 % 27 = 2: 'd'.
        assert!(s.starts_with("deployment-3-7d"), "{s}");
        let rs = ObjectName {
            kind: ObjectKind::ReplicaSet,
            ..pod
        };
        assert!(s.starts_with(&rs.to_string()));
        let other = ObjectName { id: 43, ..pod };
        assert_ne!(s, other.to_string());
        let node = ObjectName {
            kind: ObjectKind::Node,
            owner: 2,
            revision: 0,
            id: 0,
        };
        assert_eq!(node.to_string(), "node-2-0");
        let bare = ObjectName {
            kind: ObjectKind::BarePod,
            owner: 7,
            revision: 0,
            id: 9,
        };
        assert_eq!(bare.to_string(), "pod-7");
        let slice = ObjectName {
            kind: ObjectKind::EndpointSlice,
            ..bare
        };
        let s = slice.to_string();
        assert!(
            s.starts_with("service-7-") && s.len() == "service-7-".len() + 5,
            "{s}"
        );
    }
}
