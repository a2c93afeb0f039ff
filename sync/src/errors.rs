//! Turning API failures into the status light's state and a sentence that says what was
//! refused.

use kuberack_core::live::SyncState;

/// What a failed request means for the sync thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The state to show.
    pub state: SyncState,
    /// Whether the connection must be re-established (server unreachable or stalled).
    pub reconnect: bool,
    /// For the display and the log.
    pub text: String,
    /// The resource the failed request was about (empty: the connection itself).
    pub resource: String,
}

/// A request the sync thread made: `verb` on `resource` (plural, with group) in `namespace`.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The Kubernetes verb: get, list, watch, patch, create, delete.
    pub verb: &'a str,
    /// The resource, e.g. `deployments.apps`.
    pub resource: &'a str,
    /// The namespace, empty for cluster-scoped resources.
    pub namespace: &'a str,
}

impl std::fmt::Display for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.namespace.is_empty() {
            write!(f, " in namespace {}", self.namespace)?;
        }
        Ok(())
    }
}

/// Classifies an API status code (0 when no response came back) and message.
pub fn classify(req: Request<'_>, code: u16, message: &str) -> Failure {
    let (state, reconnect, what) = match code {
        0 => (SyncState::Error, true, "API server unreachable"),
        401 => (
            SyncState::Error,
            true,
            "unauthorized (401): the credentials were rejected",
        ),
        403 => (SyncState::Error, false, "forbidden (403): RBAC refused"),
        404 => (SyncState::Degraded, false, "not found (404)"),
        409 => (SyncState::Degraded, false, "conflict (409)"),
        410 => (SyncState::Degraded, false, "gone (410): relisting"),
        429 => (SyncState::Degraded, false, "throttled (429)"),
        500..=599 => (SyncState::Degraded, true, "server error"),
        _ => (SyncState::Degraded, false, "request failed"),
    };
    let mut text = format!("{what}: {req}");
    if code >= 500 {
        text = format!("{what} ({code}): {req}");
    }
    if !message.is_empty() {
        text.push_str(": ");
        text.push_str(message);
    }
    Failure {
        state,
        reconnect,
        text,
        resource: req.resource.to_owned(),
    }
}

/// Classifies a kube client error.
pub fn describe(req: Request<'_>, err: &kube::Error) -> Failure {
    match err {
        kube::Error::Api(status) => classify(req, status.code, &status.message),
        other => classify(req, 0, &other.to_string()),
    }
}

/// A request that got no answer within the timeout.
pub fn stalled(req: Request<'_>, after: std::time::Duration) -> Failure {
    Failure {
        state: SyncState::Error,
        reconnect: true,
        text: format!("API server stalled: {req} unanswered after {after:?}"),
        resource: req.resource.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATCH: Request<'static> = Request {
        verb: "patch",
        resource: "deployments.apps",
        namespace: "kuberack",
    };

    #[test]
    fn forbidden_names_the_verb_and_resource() {
        let f = classify(PATCH, 403, "user cannot patch");
        assert_eq!(f.state, SyncState::Error);
        assert!(!f.reconnect);
        assert!(f.text.contains(
            "forbidden (403): RBAC refused: patch deployments.apps in namespace kuberack"
        ));
    }

    #[test]
    fn unreachable_and_unauthorized_reconnect() {
        assert!(classify(PATCH, 0, "connection refused").reconnect);
        assert!(classify(PATCH, 401, "").reconnect);
        assert!(classify(PATCH, 503, "").reconnect);
        let conflict = classify(PATCH, 409, "");
        assert_eq!(conflict.state, SyncState::Degraded);
        assert!(!conflict.reconnect);
    }

    #[test]
    fn cluster_scoped_requests_name_no_namespace() {
        let req = Request {
            verb: "list",
            resource: "nodes",
            namespace: "",
        };
        assert_eq!(classify(req, 404, "").text, "not found (404): list nodes");
    }
}
