//! The hub's live-sync settings (saved with the patch, never a secret) and the link a host
//! uses to run the sync thread beside a hub without touching the hub's own state.

use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::queue::{queues, HubEnd, SyncEnd};
use super::status::Status;

/// The namespace KubeRack writes into unless told otherwise.
pub const DEFAULT_NAMESPACE: &str = "kuberack";

/// What the hub's context menu sets. Holds names only: credentials stay in the kubeconfig.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncSettings {
    /// The one namespace KubeRack writes in and watches.
    pub namespace: String,
    /// The kubeconfig context; empty means the kubeconfig's current context.
    pub context: String,
    /// On toggle-off, delete what KubeRack created (default: leave it).
    pub delete_on_stop: bool,
    /// Watch the cluster, write nothing.
    pub mirror_only: bool,
    /// A label selector (`app=web,tier!=cache`) scoping the pods the mirror watches; empty:
    /// every pod of the namespace.
    pub selector: String,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            context: String::new(),
            delete_on_stop: false,
            mirror_only: false,
            selector: String::new(),
        }
    }
}

impl SyncSettings {
    /// The settings with an invalid namespace or context replaced by the default, and a note
    /// saying so. A namespace must be a DNS-1123 label.
    pub fn sanitized(mut self) -> (SyncSettings, Option<String>) {
        let mut note = None;
        if !is_dns_label(&self.namespace) {
            note = Some(format!(
                "sync namespace {:?} is not a DNS-1123 label; using {DEFAULT_NAMESPACE}",
                self.namespace
            ));
            self.namespace = DEFAULT_NAMESPACE.to_owned();
        }
        if self.context.len() > 253 || self.context.chars().any(char::is_control) {
            note = Some("sync context name is invalid; using the current context".to_owned());
            self.context.clear();
        }
        if self.selector.len() > 1024 || self.selector.chars().any(char::is_control) {
            note = Some("sync label selector is invalid; watching every pod".to_owned());
            self.selector.clear();
        }
        (self, note)
    }
}

/// Whether `s` is a DNS-1123 label: 1 to 63 lowercase alphanumerics or '-', starting and
/// ending alphanumeric.
pub fn is_dns_label(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum(c) || c == '-')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

/// Shared between a hub and its host: the status atomics, the settings, and the sync
/// thread's end of the queues while no thread holds it. Only the status is touched on the
/// audio path; the mutexes are for the host's UI or control thread.
pub struct LiveLink {
    /// The status the hub shows and the sync thread writes.
    pub status: Arc<Status>,
    settings: Mutex<SyncSettings>,
    sync_end: Mutex<Option<SyncEnd>>,
}

impl LiveLink {
    /// A link and the hub's end of its queues, with room for `capacity` messages each way
    /// and `slots` desired objects (all memory allocated here).
    pub fn new(capacity: usize, slots: usize) -> (Arc<LiveLink>, HubEnd) {
        let (hub, end) = queues(capacity, slots);
        let link = LiveLink {
            status: Arc::clone(&hub.status),
            settings: Mutex::new(SyncSettings::default()),
            sync_end: Mutex::new(Some(end)),
        };
        (Arc::new(link), hub)
    }

    /// The current settings.
    pub fn settings(&self) -> SyncSettings {
        self.settings
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// Replaces the settings (they apply from the next start of the sync thread).
    pub fn set_settings(&self, settings: SyncSettings) {
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    /// Takes the sync thread's end of the queues (`None` while a thread holds it).
    pub fn take_sync_end(&self) -> Option<SyncEnd> {
        self.sync_end
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Gives the sync thread's end back when its thread has ended.
    pub fn return_sync_end(&self, end: SyncEnd) {
        *self.sync_end.lock().unwrap_or_else(|e| e.into_inner()) = Some(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_hold_no_secret() {
        let s = SyncSettings {
            namespace: "demo".into(),
            context: "kind-kind".into(),
            delete_on_stop: true,
            mirror_only: false,
            selector: "app=web".into(),
        };
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"namespace": "demo", "context": "kind-kind",
                "deleteOnStop": true, "mirrorOnly": false, "selector": "app=web"})
        );
        assert_eq!(serde_json::from_value::<SyncSettings>(json).unwrap(), s);
        // Missing fields take their defaults.
        let partial: SyncSettings = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(partial, SyncSettings::default());
    }

    #[test]
    fn invalid_namespaces_fall_back_to_the_default() {
        for bad in ["", "Kube", "-a", "a-", "a_b", &"x".repeat(64)] {
            let s = SyncSettings {
                namespace: bad.to_owned(),
                ..SyncSettings::default()
            };
            let (s, note) = s.sanitized();
            assert_eq!(s.namespace, DEFAULT_NAMESPACE, "{bad}");
            assert!(note.is_some());
        }
        let (s, note) = SyncSettings {
            namespace: "team-a1".into(),
            ..SyncSettings::default()
        }
        .sanitized();
        assert_eq!(s.namespace, "team-a1");
        assert!(note.is_none());
        let (s, note) = SyncSettings {
            selector: "app=web\n".into(),
            ..SyncSettings::default()
        }
        .sanitized();
        assert!(s.selector.is_empty() && note.is_some());
    }

    #[test]
    fn the_sync_end_is_lent_out_once() {
        let (link, _hub) = LiveLink::new(4, 4);
        let end = link.take_sync_end().expect("an end");
        assert!(link.take_sync_end().is_none());
        link.return_sync_end(end);
        assert!(link.take_sync_end().is_some());
    }
}
