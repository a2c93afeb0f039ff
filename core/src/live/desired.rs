//! The rack's desired state as fixed-size values, and the allocation-free diff the hub runs
//! each control tick to find what changed since it last told the sync thread.

/// The Kubernetes kind a desired object becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    /// An apps/v1 Deployment.
    Deployment,
    /// The real nodes a NODE module cordons: those labelled with its `kuberack.io/module`
    /// tag (and KubeRack's managed-by label). KubeRack never creates or deletes nodes.
    Node,
}

impl ObjectKind {
    /// The lowercase kind, used in object names and module tags.
    pub fn lower(self) -> &'static str {
        match self {
            ObjectKind::Deployment => "deployment",
            ObjectKind::Node => "node",
        }
    }
}

/// Which object: a kind and the Rack module id it comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// The Kubernetes kind.
    pub kind: ObjectKind,
    /// The Rack module id (stable across saves of a patch).
    pub module: u64,
}

impl ObjectKey {
    /// The object's name and its `kuberack.io/module` tag: `deployment-<module id>`, a valid
    /// DNS-1123 label of at most 31 characters.
    pub fn name(&self) -> String {
        format!("{}-{}", self.kind.lower(), self.module)
    }
}

/// One module's desired object. `Copy` and fixed-size, so it crosses the queue to the sync
/// thread without allocating on the audio side. Fields that do not apply to the key's kind
/// are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DesiredObject {
    /// Which object.
    pub key: ObjectKey,
    /// Deployment: spec.replicas.
    pub replicas: u32,
    /// Deployment: the pod template's CPU request in millicores.
    pub cpu_millis: u32,
    /// Deployment: the pod template's memory request in MiB.
    pub memory_mib: u32,
    /// Node: spec.unschedulable (cordoned).
    pub cordoned: bool,
}

impl DesiredObject {
    /// The Deployment of DEPLOYMENT module `module`.
    pub fn deployment(module: u64, replicas: u32, cpu_millis: u32, memory_mib: u32) -> Self {
        DesiredObject {
            key: ObjectKey {
                kind: ObjectKind::Deployment,
                module,
            },
            replicas,
            cpu_millis,
            memory_mib,
            cordoned: false,
        }
    }

    /// The cordon of the real nodes of NODE module `module`.
    pub fn node(module: u64, cordoned: bool) -> Self {
        DesiredObject {
            key: ObjectKey {
                kind: ObjectKind::Node,
                module,
            },
            replicas: 0,
            cpu_millis: 0,
            memory_mib: 0,
            cordoned,
        }
    }
}

/// A change in the desired state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Create the object or bring it to these values.
    Apply(DesiredObject),
    /// The module is gone: the object is no longer desired.
    Remove(ObjectKey),
}

/// Calls `emit` for each slot whose desired object differs between `prev` and `next` (slots
/// past the shorter slice count as empty). Where `emit` returns false (the queue was full),
/// `prev` keeps its old value, so the next call offers the then-latest value again: overflow
/// is coalesced, never lost and never waited for. Allocates nothing.
pub fn diff_into(
    prev: &mut [Option<DesiredObject>],
    next: &[Option<DesiredObject>],
    mut emit: impl FnMut(Change) -> bool,
) {
    for (i, slot) in prev.iter_mut().enumerate() {
        let want = next.get(i).copied().flatten();
        if *slot == want {
            continue;
        }
        let change = match (*slot, want) {
            (_, Some(obj)) => Change::Apply(obj),
            (Some(old), None) => Change::Remove(old.key),
            (None, None) => continue,
        };
        if emit(change) {
            *slot = want;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(module: u64, replicas: u32) -> Option<DesiredObject> {
        Some(DesiredObject::deployment(module, replicas, 100, 128))
    }

    fn run(prev: &mut [Option<DesiredObject>], next: &[Option<DesiredObject>]) -> Vec<Change> {
        let mut out = Vec::new();
        diff_into(prev, next, |c| {
            out.push(c);
            true
        });
        out
    }

    #[test]
    fn unchanged_state_emits_nothing() {
        let mut prev = [dep(1, 3), None];
        assert!(run(&mut prev, &[dep(1, 3), None]).is_empty());
    }

    #[test]
    fn additions_changes_and_removals_are_emitted_once() {
        let mut prev = [None, dep(2, 1), dep(3, 1)];
        let next = [dep(1, 2), dep(2, 5), None];
        let changes = run(&mut prev, &next);
        assert_eq!(
            changes,
            vec![
                Change::Apply(dep(1, 2).unwrap()),
                Change::Apply(dep(2, 5).unwrap()),
                Change::Remove(dep(3, 1).unwrap().key),
            ]
        );
        assert_eq!(prev, next);
        assert!(run(&mut prev, &next).is_empty());
    }

    #[test]
    fn a_refused_change_is_offered_again_with_the_latest_value() {
        let mut prev = [dep(1, 1)];
        diff_into(&mut prev, &[dep(1, 2)], |_| false);
        assert_eq!(prev, [dep(1, 1)]);
        // Meanwhile the knob moved on: only the latest value goes out.
        assert_eq!(
            run(&mut prev, &[dep(1, 4)]),
            vec![Change::Apply(dep(1, 4).unwrap())]
        );
    }

    #[test]
    fn a_node_cordon_is_its_own_object() {
        let mut prev = [dep(1, 1), None];
        let next = [dep(1, 1), Some(DesiredObject::node(1, true))];
        let changes = run(&mut prev, &next);
        assert_eq!(changes, vec![Change::Apply(DesiredObject::node(1, true))]);
        assert_ne!(next[0].unwrap().key, next[1].unwrap().key);
        assert_eq!(next[1].unwrap().key.name(), "node-1");
    }

    #[test]
    fn names_are_dns_labels() {
        for kind in [ObjectKind::Deployment, ObjectKind::Node] {
            let name = ObjectKey {
                kind,
                module: u64::MAX,
            }
            .name();
            assert!(name.len() <= 63);
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }
}
