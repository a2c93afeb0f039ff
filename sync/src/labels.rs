//! The labels and field manager every object KubeRack writes carries, and the guard that keeps
//! the sync thread's hands off objects it did not create.

use std::collections::BTreeMap;

/// The recommended `managed-by` label key.
pub const MANAGED_BY_KEY: &str = "app.kubernetes.io/managed-by";
/// The value KubeRack puts in [`MANAGED_BY_KEY`].
pub const MANAGED_BY_VALUE: &str = "kuberack";
/// The label naming the rack module an object comes from.
pub const MODULE_KEY: &str = "kuberack.io/module";
/// The server-side apply field manager.
pub const FIELD_MANAGER: &str = "kuberack";

/// Server-side apply as [`FIELD_MANAGER`], forced (as a controller applies: a field someone
/// else changed since, `kubectl scale`'s replicas, is taken back; the label guard keeps the
/// sync off objects it did not create), with `fieldValidation=Strict`: a field the server
/// does not know (a Kueue field of another API version) fails the write instead of being
/// dropped.
pub fn apply_params() -> kube::api::PatchParams {
    kube::api::PatchParams::apply(FIELD_MANAGER)
        .force()
        .validation_strict()
}
/// The label selector matching every object KubeRack manages.
pub const MANAGED_SELECTOR: &str = "app.kubernetes.io/managed-by=kuberack";

/// The labels KubeRack puts on an object built from the module tagged `module`.
pub fn managed_labels(module: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (MANAGED_BY_KEY.to_owned(), MANAGED_BY_VALUE.to_owned()),
        (MODULE_KEY.to_owned(), module.to_owned()),
    ])
}

/// Why the guard refused to touch an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// `kind/name` of the refused object.
    pub object: String,
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refusing to modify {}: it exists without label {MANAGED_SELECTOR}",
            self.object
        )
    }
}

/// The label guard: an existing object may be modified or deleted only when it carries
/// `app.kubernetes.io/managed-by=kuberack`. An object that does not exist yet (`None`) may be
/// created.
pub fn guard(
    kind: &str,
    name: &str,
    existing_labels: Option<&BTreeMap<String, String>>,
) -> Result<(), Foreign> {
    let Some(labels) = existing_labels else {
        return Ok(());
    };
    if labels.get(MANAGED_BY_KEY).map(String::as_str) == Some(MANAGED_BY_VALUE) {
        Ok(())
    } else {
        Err(Foreign {
            object: format!("{kind}/{name}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_objects_may_be_created() {
        assert_eq!(guard("Deployment", "web", None), Ok(()));
    }

    #[test]
    fn managed_objects_may_be_modified() {
        let labels = managed_labels("deployment-1");
        assert_eq!(guard("Deployment", "web", Some(&labels)), Ok(()));
    }

    #[test]
    fn unlabelled_and_foreign_objects_are_refused() {
        let none = BTreeMap::new();
        let err = guard("Deployment", "web", Some(&none)).unwrap_err();
        assert_eq!(err.object, "Deployment/web");
        assert!(err.to_string().contains(MANAGED_SELECTOR));
        let helm = BTreeMap::from([(MANAGED_BY_KEY.to_owned(), "Helm".to_owned())]);
        assert!(guard("Deployment", "web", Some(&helm)).is_err());
        // The module label alone is not ownership.
        let module_only = BTreeMap::from([(MODULE_KEY.to_owned(), "x".to_owned())]);
        assert!(guard("Deployment", "web", Some(&module_only)).is_err());
    }
}
