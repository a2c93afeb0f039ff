//! The sync thread: a single-threaded tokio runtime that connects, applies the coalesced
//! desired state, mirrors pods and nodes, and retries failures with capped backoff.

use crate::backoff::Backoff;
use crate::coalesce::Coalescer;
use crate::config::{ClusterSource, SyncConfig};
use crate::errors::{describe, stalled, Failure, Request};
use crate::kueue::KueueVersion;
use crate::labels::{apply_params, guard, FIELD_MANAGER, MANAGED_SELECTOR, MODULE_KEY};
use crate::manifest;
use crate::mirror::{module_of, node_transitions, pod_transitions, NodeFacts, PodFacts};
use crate::selector::LabelQuery;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::{watcher, WatchStreamExt};
use kube::Client;
use kuberack_core::live::{
    Change, DesiredObject, ObjectKey, ObjectKind, Observed, RealSummary, Status, SyncEnd, SyncState,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

mod drift_watch;
mod kueue_writes;
mod workload_watch;

/// The running sync thread.
pub struct SyncThread {
    handle: JoinHandle<SyncEnd>,
    status: Arc<Status>,
}

/// Starts the sync thread on `end` (a new session: the hub sends its whole desired state
/// again); the hub keeps the other end. The thread gives `end` back when it ends, also
/// after a panic, which it contains and reports as an error.
pub fn spawn(config: SyncConfig, end: SyncEnd) -> std::io::Result<SyncThread> {
    let status = end.status.clone();
    status.begin_session();
    let handle = std::thread::Builder::new()
        .name("kuberack-sync".to_owned())
        .spawn(move || {
            let mut end = end;
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                match runtime {
                    Ok(rt) => rt.block_on(run(&config, &mut end)),
                    Err(e) => report(
                        &end.status,
                        SyncState::Error,
                        format!("cannot start the sync runtime: {e}"),
                    ),
                }
            }));
            if let Err(panic) = outcome {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                report(
                    &end.status,
                    SyncState::Error,
                    format!("the sync thread panicked: {message}"),
                );
            }
            end
        })?;
    Ok(SyncThread { handle, status })
}

impl SyncThread {
    /// The shared status.
    pub fn status(&self) -> &Arc<Status> {
        &self.status
    }

    /// Whether the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Asks the thread to stop (it notices within a poll period or a request timeout).
    pub fn request_stop(&self) {
        self.status.request_stop();
    }

    /// Asks the thread to stop and waits for it, returning the queue end (blocks: not for
    /// the audio thread). `None` only if the thread could not hand the end back.
    pub fn stop(self) -> Option<SyncEnd> {
        self.status.request_stop();
        self.handle.join().ok()
    }
}

/// Records an error for the light and the display, and logs it.
fn report(status: &Status, state: SyncState, text: String) {
    eprintln!("kuberack-sync: {text}");
    status.fail(state, text);
}

async fn run(config: &SyncConfig, end: &mut SyncEnd) {
    let status = end.status.clone();
    let mut state = Desired {
        coalescer: Coalescer::new(config.writes_per_second),
        write_backoff: Backoff::new(config.backoff_base, config.backoff_cap, config.seed ^ 1),
        writes_held_until: Duration::ZERO,
        known: BTreeSet::new(),
        refused: BTreeSet::new(),
        origin: Instant::now(),
        jobs: BTreeMap::new(),
        applied: BTreeSet::new(),
        pool_selectors: BTreeMap::new(),
        pools_changed: false,
    };
    let mut backoff = Backoff::new(config.backoff_base, config.backoff_cap, config.seed);
    let mut last_client = None;
    while !status.stop_requested() {
        status.set_state(SyncState::Connecting);
        let failure = match connect(config, &status).await {
            Ok((client, kueue)) => {
                backoff.reset();
                let mut session = Session::new(config, client.clone(), &status, kueue);
                last_client = Some((client, kueue));
                match session.run(end, &mut state).await {
                    Ok(()) => break,
                    Err(f) => f,
                }
            }
            Err(f) => f,
        };
        status.count_error(&failure.resource);
        report(&status, failure.state, failure.text);
        let delay = backoff.next_delay();
        idle(config, end, &mut state, delay).await;
    }
    if let (true, false, Some((client, kueue))) =
        (config.delete_on_stop, config.mirror_only, last_client)
    {
        if let Err(f) = delete_managed(config, client, kueue).await {
            report(&status, SyncState::Error, f.text);
        }
    }
    status.set_real(None);
    status.set_state(SyncState::Off);
}

/// Waits `delay`, still taking desired changes (so the latest survives) and noticing stop.
async fn idle(config: &SyncConfig, end: &mut SyncEnd, state: &mut Desired, delay: Duration) {
    let until = Instant::now() + delay;
    while Instant::now() < until && !end.status.stop_requested() {
        state.drain(end, config);
        tokio::time::sleep(config.poll_period).await;
    }
}

pub(crate) async fn client_for(config: &SyncConfig) -> Result<Client, Failure> {
    let bad = |text: String| Failure {
        state: SyncState::Error,
        reconnect: true,
        text,
        resource: String::new(),
    };
    let mut kube_config = match &config.source {
        ClusterSource::Url(url) => {
            let uri = url
                .parse()
                .map_err(|e| bad(format!("bad API server URL {url}: {e}")))?;
            kube::Config::new(uri)
        }
        ClusterSource::Kubeconfig { path, context } => {
            let options = kube::config::KubeConfigOptions {
                context: context.clone(),
                ..Default::default()
            };
            let loaded = match path {
                Some(path) => match kube::config::Kubeconfig::read_from(path) {
                    Ok(kc) => kube::Config::from_custom_kubeconfig(kc, &options).await,
                    Err(e) => Err(e),
                },
                None => kube::Config::from_kubeconfig(&options).await,
            };
            loaded.map_err(|e| bad(format!("kubeconfig: {e}")))?
        }
    };
    kube_config.connect_timeout = Some(config.request_timeout);
    kube_config.default_namespace = config.namespace.clone();
    Client::try_from(kube_config).map_err(|e| bad(format!("cannot build a client: {e}")))
}

/// Bounds a request in time and classifies its failure.
pub(crate) async fn call<T>(
    req: Request<'_>,
    timeout: Duration,
    fut: impl Future<Output = kube::Result<T>>,
) -> Result<T, Failure> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(describe(req, &e)),
        Err(_) => Err(stalled(req, timeout)),
    }
}

/// Discovery (which also proves the server answers, and finds the Kueue version to write)
/// and the namespace.
async fn connect(
    config: &SyncConfig,
    status: &Status,
) -> Result<(Client, Option<KueueVersion>), Failure> {
    let client = client_for(config).await?;
    let t = config.request_timeout;
    let groups = call(
        Request {
            verb: "get",
            resource: "/apis (discovery)",
            namespace: "",
        },
        t,
        client.list_api_groups(),
    )
    .await?;
    let kueue = groups
        .groups
        .iter()
        .find(|g| g.name == crate::kueue::GROUP)
        .and_then(|g| KueueVersion::preferred(g.versions.iter().map(|v| v.version.as_str())));
    status.set_kueue(kueue.is_some());
    let ns = &config.namespace;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let get = Request {
        verb: "get",
        resource: "namespaces",
        namespace: "",
    };
    match call(get, t, namespaces.get_opt(ns)).await {
        Ok(Some(_)) => {}
        Ok(None) if config.mirror_only => {
            return Err(Failure {
                state: SyncState::Error,
                reconnect: true,
                text: format!("namespace {ns} does not exist (mirror-only: not creating it)"),
                resource: "namespaces".to_owned(),
            })
        }
        Ok(None) => {
            let apply = apply_params();
            let req = Request {
                verb: "patch",
                resource: "namespaces",
                namespace: "",
            };
            call(
                req,
                t,
                namespaces.patch(ns, &apply, &Patch::Apply(manifest::namespace(ns))),
            )
            .await?;
        }
        // A namespaced Role cannot read Namespace objects: assume it exists.
        Err(f) if f.text.starts_with("forbidden") => {}
        Err(f) => return Err(f),
    }
    Ok((client, kueue))
}

/// What the thread keeps across reconnects: pending writes and what it already owns.
struct Desired {
    coalescer: Coalescer,
    write_backoff: Backoff,
    writes_held_until: Duration,
    known: BTreeSet<ObjectKey>,
    refused: BTreeSet<ObjectKey>,
    origin: Instant,
    /// The Jobs created and not removed since, by name: one deleted unfinished is drift.
    jobs: BTreeMap<String, DesiredObject>,
    /// Every object applied at least once, for the summary.
    applied: BTreeSet<ObjectKey>,
    /// Each NODE's pool selector, by module id (also in mirror-only mode).
    pool_selectors: BTreeMap<u64, LabelQuery>,
    /// A pool selector changed since the real pools were last published.
    pools_changed: bool,
}

impl Desired {
    fn drain(&mut self, end: &mut SyncEnd, config: &SyncConfig) {
        while let Some(mut change) = end.pop_desired() {
            match change {
                Change::Apply(obj) if obj.key.kind == ObjectKind::Node => {
                    self.follow_pool_selector(obj.key.module, obj.pool_selector);
                    // A NODE without "Sync cordon" writes nothing, as if it were gone.
                    if !obj.cordon_synced {
                        change = Change::Remove(obj.key);
                    }
                }
                Change::Remove(key) if key.kind == ObjectKind::Node => {
                    self.follow_pool_selector(key.module, 0);
                }
                _ => {}
            }
            if config.mirror_only {
                continue;
            }
            let new_job = matches!(change, Change::Apply(obj) if obj.key.is_one_job());
            if new_job && self.coalescer.pending_jobs() >= config.max_pending_jobs {
                end.status.count_dropped_job();
                continue;
            }
            self.coalescer.offer(change);
        }
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// Keeps NODE `module`'s pool selector (an interned id; 0: none).
    fn follow_pool_selector(&mut self, module: u64, id: u16) {
        let required = match id {
            0 => Vec::new(),
            id => kuberack_core::world::terms::table::pod_terms_text(id).required,
        };
        let query = (!required.is_empty()).then(|| LabelQuery::of(required));
        let before = match &query {
            Some(q) => self.pool_selectors.insert(module, q.clone()),
            None => self.pool_selectors.remove(&module),
        };
        self.pools_changed |= before != query;
    }

    /// Follows a written change: the Jobs alive, the objects applied.
    fn written(&mut self, change: Change, status: &Status) {
        match change {
            Change::Apply(obj) => {
                if obj.key.is_one_job() {
                    self.jobs.insert(obj.key.name(), obj);
                }
                if self.applied.insert(obj.key) {
                    status.set_applied_objects(self.applied.len() as u64);
                }
            }
            Change::Remove(key) if key.is_one_job() => {
                self.jobs.remove(&key.name());
            }
            Change::Remove(key) => self
                .jobs
                .retain(|_, o| (o.key.kind, o.key.module) != (key.kind, key.module)),
        }
    }
}

/// Which part of the session a health entry is about.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Writes,
    Guard,
    Owned,
    Kueue,
    Workloads,
    Pods,
    Nodes,
}

struct Session<'a> {
    config: &'a SyncConfig,
    client: Client,
    status: &'a Status,
    health: BTreeMap<Part, Failure>,
    pods: HashMap<String, PodFacts>,
    nodes: HashMap<String, NodeFacts>,
    pods_relisted: Option<HashSet<String>>,
    nodes_relisted: Option<HashSet<String>>,
    /// Both watchers have listed once: the capacity summary is complete.
    pods_listed: bool,
    nodes_listed: bool,
    /// Shared Kueue objects (flavors, priority classes) already written this session.
    kueue_shared: BTreeSet<String>,
    workloads: HashMap<String, crate::workloads::WorkloadFacts>,
    workloads_relisted: Option<HashSet<String>>,
    workloads_listed: bool,
    /// The Kueue version discovery found (None: Kueue not found).
    kueue: Option<KueueVersion>,
    /// The generation each object had after the sync's last write, by `resource/name`: a
    /// watch event of an older or the same generation is no drift.
    generations: std::cell::RefCell<HashMap<String, i64>>,
}

impl<'a> Session<'a> {
    fn new(
        config: &'a SyncConfig,
        client: Client,
        status: &'a Status,
        kueue: Option<KueueVersion>,
    ) -> Session<'a> {
        Session {
            config,
            client,
            status,
            kueue,
            generations: Default::default(),
            health: BTreeMap::new(),
            pods: HashMap::new(),
            nodes: HashMap::new(),
            pods_relisted: None,
            nodes_relisted: None,
            pods_listed: false,
            nodes_listed: false,
            kueue_shared: BTreeSet::new(),
            workloads: HashMap::new(),
            workloads_relisted: None,
            workloads_listed: false,
        }
    }

    /// Records the generation an object has after the sync wrote it.
    fn wrote(&self, resource: &str, name: &str, generation: Option<i64>) {
        if let Some(g) = generation {
            let mut generations = self.generations.borrow_mut();
            generations.insert(format!("{resource}/{name}"), g);
        }
    }

    /// Whether a watched object's generation is newer than the sync's last write of it (or
    /// unknown): only then can its spec differ from what the sync wrote.
    fn changed_since_written(&self, resource: &str, name: &str, generation: Option<i64>) -> bool {
        let written = self
            .generations
            .borrow()
            .get(&format!("{resource}/{name}"))
            .copied();
        match (written, generation) {
            (Some(w), Some(g)) => g > w,
            _ => true,
        }
    }

    /// Runs until stop (Ok) or a failure that needs a new connection (Err).
    async fn run(&mut self, end: &mut SyncEnd, state: &mut Desired) -> Result<(), Failure> {
        let ns = &self.config.namespace;
        let pods_api: Api<Pod> = Api::namespaced(self.client.clone(), ns);
        let nodes_api: Api<Node> = Api::all(self.client.clone());
        let mut scope = watcher::Config::default();
        if let Some(selector) = &self.config.label_selector {
            scope = scope.labels(selector);
        }
        let mut pods = watcher(pods_api, scope).default_backoff().boxed();
        let mut nodes = watcher(nodes_api, watcher::Config::default())
            .default_backoff()
            .boxed();
        let mut workloads = self.workload_events();
        let mut owned = self.owned_events();
        let mut ticker = tokio::time::interval(self.config.poll_period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        self.refresh_state();
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    if self.status.stop_requested() {
                        return Ok(());
                    }
                    state.drain(end, self.config);
                    if std::mem::take(&mut state.pools_changed) {
                        self.publish_real(&state.pool_selectors);
                    }
                    self.write_due(state).await?;
                }
                Some(ev) = pods.next() => {
                    self.on_pod(end, ev);
                    self.publish_real(&state.pool_selectors);
                }
                Some(ev) = nodes.next() => {
                    self.on_node(end, ev);
                    self.publish_real(&state.pool_selectors);
                }
                Some(ev) = workloads.next() => self.on_workload(end, ev),
                Some((kind, ev)) = owned.next() => self.on_owned(state, kind, ev),
            }
        }
    }

    /// The real nodes' count and the CPU requested on them, for the hub's outputs and
    /// display, once both watchers have listed.
    fn publish_real(&self, pool_selectors: &BTreeMap<u64, LabelQuery>) {
        if !(self.pods_listed && self.nodes_listed) {
            return;
        }
        let mut real = RealSummary {
            nodes: self.nodes.len().min(u32::MAX as usize) as u32,
            ..RealSummary::default()
        };
        for node in self.nodes.values() {
            real.ready_nodes += u32::from(node.ready);
            real.cpu_allocatable_m = real
                .cpu_allocatable_m
                .saturating_add(node.cpu_allocatable_m);
        }
        for pod in self.pods.values() {
            real.cpu_requested_m = real.cpu_requested_m.saturating_add(pod.cpu_requested_m);
        }
        self.status.set_real_pools(&crate::summary::real_pools(
            &self.nodes,
            &self.pods,
            pool_selectors,
        ));
        self.status
            .set_real_channels(&crate::summary::cluster_channels(&self.nodes, &self.pods));
        self.status.set_real(Some(real));
    }

    fn refresh_state(&self) {
        let worst = self
            .health
            .values()
            .map(|f| f.state)
            .max_by_key(|s| *s as u8);
        self.status.set_state(worst.unwrap_or(SyncState::Synced));
    }

    fn set_health(&mut self, part: Part, result: Result<(), Failure>) {
        match result {
            Ok(()) => {
                self.health.remove(&part);
            }
            Err(f) => {
                self.status.count_error(&f.resource);
                report(self.status, f.state, f.text.clone());
                self.health.insert(part, f);
            }
        }
        self.refresh_state();
    }

    async fn write_due(&mut self, state: &mut Desired) -> Result<(), Failure> {
        let now = state.now();
        if now < state.writes_held_until {
            return Ok(());
        }
        let mut due = state.coalescer.take_due(now).into_iter();
        while let Some(change) = due.next() {
            let key = match change {
                Change::Apply(obj) => obj.key,
                Change::Remove(key) => key,
            };
            match self.write(change, &mut state.known).await {
                Ok(written) => {
                    for _ in 0..written {
                        self.status.count_write();
                    }
                    state.written(change, self.status);
                    if key.is_one_job() {
                        state.coalescer.forget(&key);
                    }
                    state.write_backoff.reset();
                    state.refused.remove(&key);
                    self.set_health(Part::Writes, Ok(()));
                }
                Err(Refusal::Guard(f)) => {
                    self.status.count_refused();
                    // A refused apply stays on the light until the module goes away; a refused
                    // delete, or a Job's refused creation, leaves the foreign object alone and
                    // is done.
                    let job = key.is_one_job();
                    if job {
                        state.coalescer.forget(&key);
                    }
                    if matches!(change, Change::Apply(_)) && !job {
                        state.refused.insert(key);
                        self.set_health(Part::Guard, Err(f));
                    } else {
                        state.refused.remove(&key);
                        self.status.count_error(&f.resource);
                        report(self.status, f.state, f.text);
                    }
                }
                Err(Refusal::Failed(f)) => {
                    // This change and the ones not tried yet wait for the backoff.
                    for unwritten in std::iter::once(change).chain(due) {
                        state.coalescer.retry(unwritten);
                    }
                    state.writes_held_until = now + state.write_backoff.next_delay();
                    if f.reconnect {
                        return Err(f);
                    }
                    self.set_health(Part::Writes, Err(f));
                    return Ok(());
                }
            }
            if state.refused.is_empty() && self.health.contains_key(&Part::Guard) {
                self.set_health(Part::Guard, Ok(()));
            }
        }
        Ok(())
    }

    /// Writes one change; `Ok` holds the number of write requests the server accepted.
    async fn write(
        &mut self,
        change: Change,
        known: &mut BTreeSet<ObjectKey>,
    ) -> Result<u32, Refusal> {
        let key = match change {
            Change::Apply(obj) => obj.key,
            Change::Remove(key) => key,
        };
        match (key.kind, change) {
            (ObjectKind::Deployment, _) => self.write_deployment(change, known).await,
            (ObjectKind::Node, Change::Apply(obj)) => self.cordon_nodes(&obj).await,
            // A NODE gone, or its "Sync cordon" off: its real nodes stay as they are.
            (ObjectKind::Node, Change::Remove(_)) => Ok(0),
            // A JOB or ENCHANTMENT as a member: nothing to write until it leaves.
            (ObjectKind::Job | ObjectKind::Enchantment, Change::Apply(_)) if key.index == 0 => {
                Ok(0)
            }
            (ObjectKind::Job | ObjectKind::Enchantment, Change::Apply(obj)) => {
                self.create_job(&obj).await
            }
            (ObjectKind::Job | ObjectKind::Enchantment, Change::Remove(key)) => {
                self.delete_jobs(&key).await
            }
            (ObjectKind::ClusterQueue, _) => self.write_queue(change).await,
        }
    }

    /// Creates the Job of one submission. One of that name already there (an earlier
    /// session's, or the patch was reloaded and its counts restarted) is replaced when it
    /// has finished and KubeRack made it; one still running is kept as this submission.
    async fn create_job(&mut self, obj: &DesiredObject) -> Result<u32, Refusal> {
        let ns = &self.config.namespace;
        let t = self.config.request_timeout;
        let api: Api<Job> = Api::namespaced(self.client.clone(), ns);
        let name = obj.key.name();
        let req = |verb| Request {
            verb,
            resource: "jobs.batch",
            namespace: ns,
        };
        let mut written = 0;
        let existing = call(req("get"), t, api.get_opt(&name))
            .await
            .map_err(Refusal::Failed)?;
        if let Some(old) = existing {
            guarded("Job", &name, old.metadata.labels.as_ref())?;
            if !crate::drift::job_finished(&serde_json::to_value(&old).unwrap_or_default()) {
                eprintln!("kuberack-sync: Job {name} exists and has not finished: kept");
                return Ok(0);
            }
            call(
                req("delete"),
                t,
                api.delete(&name, &DeleteParams::background()),
            )
            .await
            .map_err(Refusal::Failed)?;
            written += 1;
        }
        let kueue = self.status.kueue_found();
        if obj.job.queue != 0 && !kueue {
            self.kueue_missing(&format!("Job {name} is created unsuspended"));
        }
        let body = manifest::job(ns, obj, kueue, &self.config.job_image);
        let params = apply_params();
        call(
            req("patch"),
            t,
            api.patch(&name, &params, &Patch::Apply(body)),
        )
        .await
        .map_err(Refusal::Failed)?;
        Ok(written + 1)
    }

    /// Deletes the Jobs of a JOB or ENCHANTMENT that left (or the one Job of `key`), with
    /// their pods.
    async fn delete_jobs(&self, key: &ObjectKey) -> Result<u32, Refusal> {
        let ns = &self.config.namespace;
        let t = self.config.request_timeout;
        let api: Api<Job> = Api::namespaced(self.client.clone(), ns);
        let req = |verb| Request {
            verb,
            resource: "jobs.batch",
            namespace: ns,
        };
        let selector = format!("{MANAGED_SELECTOR},{MODULE_KEY}={}", key.tag());
        let jobs = call(
            req("list"),
            t,
            api.list(&ListParams::default().labels(&selector)),
        )
        .await
        .map_err(Refusal::Failed)?;
        let mut written = 0;
        for job in jobs.items {
            let name = job.metadata.name.clone().unwrap_or_default();
            if key.index != 0 && name != key.name() {
                continue;
            }
            guarded("Job", &name, job.metadata.labels.as_ref())?;
            call(
                req("delete"),
                t,
                api.delete(&name, &DeleteParams::background()),
            )
            .await
            .map_err(Refusal::Failed)?;
            written += 1;
        }
        Ok(written)
    }

    /// Cordons or uncordons the real nodes labelled with the NODE module's tag and KubeRack's
    /// managed-by label, by a merge patch of spec.unschedulable where it differs.
    async fn cordon_nodes(&self, obj: &DesiredObject) -> Result<u32, Refusal> {
        let t = self.config.request_timeout;
        let api: Api<Node> = Api::all(self.client.clone());
        let req = |verb| Request {
            verb,
            resource: "nodes",
            namespace: "",
        };
        let selector = format!("{MANAGED_SELECTOR},{MODULE_KEY}={}", obj.key.name());
        let nodes = call(
            req("list"),
            t,
            api.list(&ListParams::default().labels(&selector)),
        )
        .await
        .map_err(Refusal::Failed)?;
        let patch = manifest::node_cordon(obj.cordoned);
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PatchParams::default()
        };
        let mut written = 0;
        for node in nodes.items {
            let name = node.metadata.name.clone().unwrap_or_default();
            guarded("Node", &name, node.metadata.labels.as_ref())?;
            let cordoned = node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true);
            if cordoned != obj.cordoned {
                call(
                    req("patch"),
                    t,
                    api.patch(&name, &params, &Patch::Merge(&patch)),
                )
                .await
                .map_err(Refusal::Failed)?;
                written += 1;
            }
        }
        Ok(written)
    }

    async fn write_deployment(
        &self,
        change: Change,
        known: &mut BTreeSet<ObjectKey>,
    ) -> Result<u32, Refusal> {
        let ns = &self.config.namespace;
        let t = self.config.request_timeout;
        let api: Api<Deployment> = Api::namespaced(self.client.clone(), ns);
        let key = match change {
            Change::Apply(obj) => obj.key,
            Change::Remove(key) => key,
        };
        let name = key.name();
        let req = |verb| Request {
            verb,
            resource: "deployments.apps",
            namespace: ns,
        };
        let mut exists = true;
        if !known.contains(&key) || matches!(change, Change::Remove(_)) {
            let existing = call(req("get"), t, api.get_opt(&name))
                .await
                .map_err(Refusal::Failed)?;
            exists = existing.is_some();
            if let Some(d) = existing {
                guarded("Deployment", &name, d.metadata.labels.as_ref())?;
            }
        }
        match change {
            Change::Apply(obj) => {
                let body = manifest::deployment(ns, &obj);
                let params = apply_params();
                let written = call(
                    req("patch"),
                    t,
                    api.patch(&name, &params, &Patch::Apply(body)),
                )
                .await
                .map_err(Refusal::Failed)?;
                self.wrote("deployments.apps", &name, written.metadata.generation);
                known.insert(key);
                Ok(1)
            }
            Change::Remove(_) if exists => {
                call(
                    req("delete"),
                    t,
                    api.delete(&name, &DeleteParams::default()),
                )
                .await
                .map_err(Refusal::Failed)?;
                known.remove(&key);
                Ok(1)
            }
            Change::Remove(_) => Ok(0),
        }
    }

    fn on_pod(&mut self, end: &mut SyncEnd, ev: Result<watcher::Event<Pod>, watcher::Error>) {
        let ns = self.config.namespace.clone();
        let req = Request {
            verb: "watch",
            resource: "pods",
            namespace: &ns,
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => return self.set_health(Part::Pods, Err(watch_failure(req, &e))),
        };
        self.set_health(Part::Pods, Ok(()));
        let mut emit = |name: &str, old: Option<&PodFacts>, new: Option<&PodFacts>, module| {
            pod_transitions(old, new, |kind| {
                end.push_observed(Observed::of(kind, module).named(name))
            });
        };
        match ev {
            watcher::Event::Init => self.pods_relisted = Some(HashSet::new()),
            watcher::Event::InitApply(pod) | watcher::Event::Apply(pod) => {
                let name = pod.metadata.name.clone().unwrap_or_default();
                let facts = PodFacts::of(&pod);
                let module = module_label(pod.metadata.labels.as_ref());
                emit(&name, self.pods.get(&name), Some(&facts), module);
                if let Some(seen) = &mut self.pods_relisted {
                    seen.insert(name.clone());
                }
                self.pods.insert(name, facts);
            }
            watcher::Event::Delete(pod) => {
                let name = pod.metadata.name.clone().unwrap_or_default();
                let module = module_label(pod.metadata.labels.as_ref());
                if let Some(old) = self.pods.remove(&name) {
                    emit(&name, Some(&old), None, module);
                }
            }
            watcher::Event::InitDone => {
                self.pods_listed = true;
                if let Some(seen) = self.pods_relisted.take() {
                    self.pods.retain(|name, old| {
                        let keep = seen.contains(name);
                        if !keep {
                            emit(name, Some(old), None, 0);
                        }
                        keep
                    });
                }
            }
        }
    }

    fn on_node(&mut self, end: &mut SyncEnd, ev: Result<watcher::Event<Node>, watcher::Error>) {
        let req = Request {
            verb: "watch",
            resource: "nodes",
            namespace: "",
        };
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => return self.set_health(Part::Nodes, Err(watch_failure(req, &e))),
        };
        self.set_health(Part::Nodes, Ok(()));
        let mut emit = |name: &str, old: Option<&NodeFacts>, new: Option<&NodeFacts>| {
            node_transitions(old, new, |kind| {
                end.push_observed(Observed::of(kind, 0).named(name))
            });
        };
        match ev {
            watcher::Event::Init => self.nodes_relisted = Some(HashSet::new()),
            watcher::Event::InitApply(node) | watcher::Event::Apply(node) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                let facts = NodeFacts::of(&node);
                emit(&name, self.nodes.get(&name), Some(&facts));
                if let Some(seen) = &mut self.nodes_relisted {
                    seen.insert(name.clone());
                }
                self.nodes.insert(name, facts);
            }
            watcher::Event::Delete(node) => {
                let name = node.metadata.name.clone().unwrap_or_default();
                if let Some(old) = self.nodes.remove(&name) {
                    emit(&name, Some(&old), None);
                }
            }
            watcher::Event::InitDone => {
                self.nodes_listed = true;
                if let Some(seen) = self.nodes_relisted.take() {
                    self.nodes.retain(|name, old| {
                        let keep = seen.contains(name);
                        if !keep {
                            emit(name, Some(old), None);
                        }
                        keep
                    });
                }
            }
        }
    }
}

enum Refusal {
    /// The label guard refused: not retried until the desired value changes.
    Guard(Failure),
    /// The request failed: retried with backoff.
    Failed(Failure),
}

/// The label guard on an existing object, as a refusal the session shows as degraded.
fn guarded(
    kind: &str,
    name: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> Result<(), Refusal> {
    let empty = BTreeMap::new();
    guard(kind, name, Some(labels.unwrap_or(&empty))).map_err(|e| {
        Refusal::Guard(Failure {
            state: SyncState::Degraded,
            reconnect: false,
            text: e.to_string(),
            resource: kind.to_owned(),
        })
    })
}

fn module_label(labels: Option<&BTreeMap<String, String>>) -> u64 {
    labels
        .and_then(|l| l.get(MODULE_KEY))
        .and_then(|tag| module_of(tag))
        .unwrap_or(0)
}

fn watch_failure(req: Request<'_>, err: &watcher::Error) -> Failure {
    match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => describe(req, e),
        watcher::Error::WatchError(status) => {
            crate::errors::classify(req, status.code, &status.message)
        }
        other => crate::errors::classify(req, 0, &other.to_string()),
    }
}

/// Deletes every Deployment and Job in the namespace that carries KubeRack's label (Jobs
/// with their pods).
async fn delete_managed(
    config: &SyncConfig,
    client: Client,
    kueue: Option<KueueVersion>,
) -> Result<(), Failure> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &config.namespace);
    delete_labelled(config, deployments, "deployments.apps", "Deployment").await?;
    let jobs: Api<Job> = Api::namespaced(client.clone(), &config.namespace);
    delete_labelled(config, jobs, "jobs.batch", "Job").await?;
    if let Some(version) = kueue {
        let (ns, t) = (&config.namespace, config.request_timeout);
        kueue_writes::delete_managed_kueue(client, version, ns, t).await?;
    }
    Ok(())
}

/// Deletes every object of `api` in the namespace that carries KubeRack's label, in the
/// background (dependents by the garbage collector).
async fn delete_labelled<K>(
    config: &SyncConfig,
    api: Api<K>,
    resource: &str,
    kind: &str,
) -> Result<(), Failure>
where
    K: kube::Resource + Clone + std::fmt::Debug + serde::de::DeserializeOwned,
{
    let ns = &config.namespace;
    let t = config.request_timeout;
    let req = |verb| Request {
        verb,
        resource,
        namespace: ns,
    };
    let list = call(
        req("list"),
        t,
        api.list(&ListParams::default().labels(MANAGED_SELECTOR)),
    )
    .await?;
    for d in list.items {
        let meta = d.meta();
        let name = meta.name.clone().unwrap_or_default();
        let empty = BTreeMap::new();
        if guard(kind, &name, Some(meta.labels.as_ref().unwrap_or(&empty))).is_ok() {
            call(
                req("delete"),
                t,
                api.delete(&name, &DeleteParams::background()),
            )
            .await?;
        }
    }
    Ok(())
}
