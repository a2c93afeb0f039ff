//! A STAND-IN for the Kubernetes API server, for tests only: an in-process HTTP/1.1 server on
//! 127.0.0.1 that speaks the subset KubeRack's sync thread uses — discovery (/api, /apis),
//! namespaces, server-side apply (PATCH application/apply-patch+yaml), JSON merge patches of
//! existing objects, get, list (with equality label selectors), delete and
//! watch with resourceVersion (and 410 Gone on demand) for deployments, jobs, pods, nodes and
//! any group's resources (Kueue's cluster-scoped and namespaced ones alike) — and
//! records every request. It can refuse verbs (401/403), hide Kueue (404), answer a conflict
//! (409), stall, and is bounded: at most MAX_REQUESTS requests and LIFETIME of running, after
//! which, or when dropped, it stops by itself. It is not a Kubernetes implementation:
//! objects are stored as sent, nothing is defaulted or reconciled.

#![allow(dead_code)]

mod http;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Requests served before the stand-in stops by itself.
pub const MAX_REQUESTS: usize = 20_000;
/// Running time after which the stand-in stops by itself.
pub const LIFETIME: Duration = Duration::from_secs(120);
/// How long a watch request is held open at most.
pub const WATCH_HOLD: Duration = Duration::from_secs(2);

/// One request as received (`at`); logged once handled, before its answer is sent (watches
/// and stalled requests: when received).
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub content_type: String,
    pub body: String,
    pub at: Instant,
}

/// Faults the stand-in injects.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answer every request with this status (401 or 403), for requests whose
    /// "verb resource" (e.g. "patch deployments") matches, or all when the filter is empty.
    pub deny: Option<(u16, String)>,
    /// Serve the kueue.x-k8s.io group in discovery.
    pub kueue: bool,
    /// Answer this many applies (of anything but namespaces) with 409 Conflict.
    pub conflicts: u32,
    /// Answer this many watch requests with a 410 Gone ERROR event.
    pub gone_watches: u32,
    /// Read requests but never answer them.
    pub stall: bool,
}

#[derive(Default)]
struct Store {
    // (resource, namespace, name) -> object
    objects: BTreeMap<(String, String, String), Value>,
    // (resourceVersion, resource, namespace, type, object)
    events: Vec<(u64, String, String, &'static str, Value)>,
    rv: u64,
    log: Vec<Recorded>,
    faults: Faults,
}

pub(crate) struct Shared {
    store: Mutex<Store>,
    changed: Condvar,
    stop: AtomicBool,
    started: Instant,
}

/// A running stand-in.
pub struct StandIn {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl StandIn {
    /// Starts a stand-in on a free port of 127.0.0.1.
    pub fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr");
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            started: Instant::now(),
        });
        let s = shared.clone();
        let accept = std::thread::spawn(move || http::accept_loop(listener, s));
        StandIn {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// The URL to give the sync thread.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Changes the injected faults.
    pub fn set_faults(&self, faults: Faults) {
        self.shared.store.lock().unwrap().faults = faults;
    }

    /// Every request so far.
    pub fn log(&self) -> Vec<Recorded> {
        self.shared.store.lock().unwrap().log.clone()
    }

    /// The stored object, if any.
    pub fn object(&self, resource: &str, ns: &str, name: &str) -> Option<Value> {
        let store = self.shared.store.lock().unwrap();
        store
            .objects
            .get(&(resource.into(), ns.into(), name.into()))
            .cloned()
    }

    /// Creates or replaces an object as another client would (events reach watchers).
    pub fn put(&self, resource: &str, ns: &str, object: Value) {
        let name = object["metadata"]["name"]
            .as_str()
            .expect("name")
            .to_owned();
        self.shared.upsert(resource, ns, &name, object);
    }

    /// Deletes an object as another client would.
    pub fn remove(&self, resource: &str, ns: &str, name: &str) {
        self.shared.delete(resource, ns, name);
    }

    /// Waits until `pred` holds for the request log, up to `timeout`.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Recorded]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if pred(&self.shared.store.lock().unwrap().log) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.changed.notify_all();
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Shared {
    pub(crate) fn stopped(&self) -> bool {
        self.stop.load(Ordering::Acquire) || self.started.elapsed() > LIFETIME
    }

    fn upsert(&self, resource: &str, ns: &str, name: &str, mut object: Value) -> Value {
        let mut store = self.store.lock().unwrap();
        store.rv += 1;
        let rv = store.rv;
        object["metadata"]["resourceVersion"] = json!(rv.to_string());
        object["metadata"]["uid"] = json!(format!("uid-{resource}-{ns}-{name}"));
        let key = (resource.to_owned(), ns.to_owned(), name.to_owned());
        let kind = if store.objects.contains_key(&key) {
            "MODIFIED"
        } else {
            "ADDED"
        };
        store.objects.insert(key, object.clone());
        store
            .events
            .push((rv, resource.into(), ns.into(), kind, object.clone()));
        self.changed.notify_all();
        object
    }

    fn delete(&self, resource: &str, ns: &str, name: &str) -> Option<Value> {
        let mut store = self.store.lock().unwrap();
        let old = store
            .objects
            .remove(&(resource.into(), ns.into(), name.into()))?;
        store.rv += 1;
        let rv = store.rv;
        store
            .events
            .push((rv, resource.into(), ns.into(), "DELETED", old.clone()));
        self.changed.notify_all();
        Some(old)
    }
}
