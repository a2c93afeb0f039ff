//! POD, SERVICE, INGRESS and ETCD as a host drives them, alone and joined to a hub.

mod rig;

use kuberack_core::world::events::EventKind;
use rig::Rig;

/// Counts rising edges across 5 V on the outputs named, sample by sample.
struct Edges {
    last: Vec<f32>,
}

impl Edges {
    fn new(n: usize) -> Edges {
        Edges { last: vec![0.0; n] }
    }

    /// The index of each output that rose this sample.
    fn rose(&mut self, now: &[f32]) -> Vec<usize> {
        let rose = (0..now.len())
            .filter(|&i| now[i] > 5.0 && self.last[i] <= 5.0)
            .collect();
        self.last.copy_from_slice(now);
        rose
    }
}

/// Sends one request: 2 ms high, 3 ms low.
fn request(rig: &mut Rig, m: usize, input: &str, mut each: impl FnMut(&Rig)) {
    let ms = (rig.sample_rate / 1000.0) as usize;
    for i in 0..5 * ms {
        rig.drive(m, input, if i < 2 * ms { 10.0 } else { 0.0 });
        rig.step();
        each(rig);
    }
}

/// A hub, a pool and a Deployment of `replicas`, a Service selecting it; run until Ready.
fn service_rig(replicas: f32) -> (Rig, usize, usize, usize) {
    let (mut rig, hub, _node, dep) = Rig::basic();
    rig.param(dep, "REPLICAS", replicas);
    let svc = rig.add("Service");
    rig.connect(hub, "API", svc, "API");
    rig.connect(dep, "SELECTOR", svc, "SELECTOR");
    (rig, hub, dep, svc)
}

const EPS: [&str; 4] = ["EP1", "EP2", "EP3", "EP4"];

/// Which endpoint outputs fired for each of `n` requests (and the poly channel that did).
fn serve(rig: &mut Rig, svc: usize, n: usize) -> Vec<(usize, usize)> {
    let mut served = Vec::new();
    let mut eps = Edges::new(4);
    let mut poly = Edges::new(16);
    for _ in 0..n {
        let mut this = (usize::MAX, usize::MAX);
        request(rig, svc, "REQUEST", |r| {
            let now: Vec<f32> = EPS.iter().map(|e| r.out(svc, e, 0)).collect();
            if let Some(&i) = eps.rose(&now).first() {
                this.0 = i;
            }
            let now: Vec<f32> = (0..16).map(|ch| r.out(svc, "ENDPOINTS", ch)).collect();
            if let Some(&ch) = poly.rose(&now).first() {
                this.1 = ch;
            }
        });
        served.push(this);
    }
    served
}

#[test]
fn a_service_round_robins_over_its_ready_endpoints_in_order() {
    let (mut rig, _hub, _dep, svc) = service_rig(3.0);
    rig.run(10.0);
    assert_eq!(rig.out(svc, "COUNT", 0), 3.0);
    assert_eq!(rig.channels(svc, "ENDPOINTS"), 3);
    assert_eq!(rig.light(svc, "AVAILABLE"), 1.0);
    let served = serve(&mut rig, svc, 7);
    let order: Vec<usize> = served.iter().map(|s| s.0).collect();
    assert_eq!(order, [0, 1, 2, 0, 1, 2, 0]);
    assert!(served.iter().all(|s| s.0 == s.1), "{served:?}");
    // Latency: base 5 ms on nodes at 18.75 % CPU: 5 / (1 - 0.1875) ms = 0.615 V.
    let v = rig.out(svc, "LATENCY", 0);
    assert!((v - 0.5 / (1.0 - 0.1875)).abs() < 1e-3, "{v}");
}

#[test]
fn random_balancing_reaches_every_endpoint() {
    let (mut rig, _hub, _dep, svc) = service_rig(3.0);
    rig.param(svc, "MODE", 1.0);
    rig.run(10.0);
    let served = serve(&mut rig, svc, 60);
    for ep in 0..3 {
        assert!(served.iter().any(|s| s.0 == ep), "{ep} never served");
    }
    assert!(served.iter().all(|s| s.0 < 3 && s.0 == s.1));
}

#[test]
fn with_no_ready_endpoint_every_request_is_a_503() {
    let (mut rig, _hub, dep, svc) = service_rig(2.0);
    // Right away nothing is Ready yet.
    rig.run(0.05);
    let mut unavailable = 0;
    let mut served = 0;
    let mut u = Edges::new(1);
    let mut e = Edges::new(4);
    for _ in 0..5 {
        request(&mut rig, svc, "REQUEST", |r| {
            unavailable += u.rose(&[r.out(svc, "UNAVAILABLE", 0)]).len();
            let now: Vec<f32> = EPS.iter().map(|p| r.out(svc, p, 0)).collect();
            served += e.rose(&now).len();
        });
    }
    assert_eq!((unavailable, served), (5, 0));
    assert_eq!(rig.light(svc, "UNAVAILABLE"), 1.0);
    assert_eq!(rig.out(svc, "COUNT", 0), 0.0);
    // Scaled to zero after being Ready: endpoints go as the pods start terminating.
    rig.run(10.0);
    assert_eq!(rig.out(svc, "COUNT", 0), 2.0);
    rig.param(dep, "REPLICAS", 0.0);
    rig.run(0.05);
    assert_eq!(rig.out(svc, "COUNT", 0), 0.0);
    assert_eq!(rig.light(svc, "AVAILABLE"), 0.0);
}

#[test]
fn an_ingress_routes_by_longest_prefix_and_answers_404() {
    let mut rig = Rig::new(48_000.0);
    let ing = rig.add("Ingress");
    rig.param(ing, "ROUTE1", 2.0); // /api
    rig.param(ing, "ROUTE2", 3.0); // /api/v1
    rig.param(ing, "ROUTE3", 5.0); // /web
    let outs = ["ROUTE1", "ROUTE2", "ROUTE3", "NOT_FOUND"];
    let routed = |rig: &mut Rig, volts: f32| {
        rig.drive(ing, "PATH", volts);
        let mut edges = Edges::new(4);
        let mut hit = Vec::new();
        request(rig, ing, "REQUEST", |r| {
            let now: Vec<f32> = outs.iter().map(|o| r.out(ing, o, 0)).collect();
            hit.extend(edges.rose(&now));
        });
        hit
    };
    assert_eq!(routed(&mut rig, 1.25), [0]); // /api
    assert_eq!(routed(&mut rig, 2.5), [1]); // /api/v1: the longer prefix
    assert_eq!(routed(&mut rig, 3.75), [0]); // /api/v2
    assert_eq!(routed(&mut rig, 6.25), [2]); // /web/static
    assert_eq!(routed(&mut rig, 0.0), [3]); // /: no rule
    assert_eq!(routed(&mut rig, 7.5), [3]); // /metrics
    assert_eq!(rig.light(ing, "NOT_FOUND"), 1.0);
    rig.param(ing, "ROUTE3", 1.0); // a catch-all /
    assert_eq!(routed(&mut rig, 7.5), [2]);
    assert_eq!(rig.light(ing, "MATCHED"), 1.0);
}

#[test]
fn a_joined_etcd_writes_ticks_beats_with_warp_and_triggers_compaction() {
    let (mut rig, hub, _node, _dep) = Rig::basic();
    let etcd = rig.add("Etcd");
    rig.connect(hub, "API", etcd, "API");
    rig.run(1.0);
    // Ten external writes: ten ExternalWrite events.
    for _ in 0..10 {
        request(&mut rig, etcd, "WRITE", |_| {});
    }
    rig.run(0.01);
    let world = rig.hub_world(hub);
    let writes = world
        .events()
        .since(0)
        .1
        .filter(|e| e.kind == EventKind::ExternalWrite)
        .count();
    assert_eq!(writes, 10);
    let rev = world.revision();
    let volts = rig.out(etcd, "REVISION", 0);
    assert!(
        (volts - (rev % 1000) as f32 * 0.01).abs() < 1e-4,
        "{volts} {rev}"
    );
    assert_eq!(rig.light(etcd, "JOINED"), 1.0);

    // Heartbeats: every 100 ms of simulated time, so 20 in 2 s at 1x and 100 at 5x.
    let beats = |rig: &mut Rig, seconds: f32| {
        let mut e = Edges::new(1);
        let mut n = 0;
        rig.run_with(seconds, |r| {
            n += e.rose(&[r.out(etcd, "HEARTBEAT", 0)]).len()
        });
        n
    };
    let at_1x = beats(&mut rig, 2.0);
    assert!((19..=21).contains(&at_1x), "{at_1x}");
    rig.param(hub, "WARP", 5f32.log10());
    let at_5x = beats(&mut rig, 2.0);
    assert!((98..=102).contains(&at_5x), "{at_5x}");

    // Compaction every 5 simulated minutes: at 100x, one about every 3 s.
    rig.param(hub, "WARP", 2.0);
    let mut e = Edges::new(1);
    let mut compactions = 0;
    rig.run_with(7.0, |r| {
        compactions += e.rose(&[r.out(etcd, "COMPACTION", 0)]).len()
    });
    assert_eq!(compactions as u32, rig.hub_world(hub).compactions());
    assert_eq!(compactions, 2);
}

#[test]
fn a_lone_etcd_keeps_its_own_revision_and_heartbeat_and_sounds_each_write() {
    let mut rig = Rig::new(48_000.0);
    let etcd = rig.add("Etcd");
    let mut e = Edges::new(1);
    let mut beats = 0;
    rig.run_with(1.0, |r| {
        beats += e.rose(&[r.out(etcd, "HEARTBEAT", 0)]).len()
    });
    assert!((9..=11).contains(&beats), "{beats}");
    assert_eq!(rig.out(etcd, "REVISION", 0), 0.0);
    assert_eq!(rig.light(etcd, "JOINED"), 0.0);
    let mut peak = 0.0f32;
    for _ in 0..3 {
        request(&mut rig, etcd, "WRITE", |r| {
            peak = peak.max(r.out(etcd, "AUDIO", 0).abs())
        });
    }
    assert!((rig.out(etcd, "REVISION", 0) - 0.03).abs() < 1e-6);
    assert!(peak > 0.5 && peak <= 5.0, "{peak}");
}

/// The PHASE voltages a POD went through, without repeats.
fn phases(rig: &mut Rig, pod: usize, seconds: f32) -> Vec<f32> {
    let mut seen: Vec<f32> = Vec::new();
    rig.run_with(seconds, |r| {
        let v = r.out(pod, "PHASE", 0);
        if seen.last() != Some(&v) {
            seen.push(v);
        }
    });
    seen
}

#[test]
fn a_lone_pod_follows_its_gate_with_start_up_latency() {
    let mut rig = Rig::new(48_000.0);
    let pod = rig.add("Pod");
    rig.run(0.01);
    assert_eq!(rig.out(pod, "PHASE", 0), 0.0);
    rig.drive(pod, "GATE", 10.0);
    rig.run(0.05);
    // Not instantly ready: a start-up latency first.
    assert_eq!(rig.out(pod, "PHASE", 0), 2.0);
    assert_eq!(rig.out(pod, "READY", 0), 0.0);
    assert_eq!(rig.light(pod, "PENDING"), 1.0);
    let seen = phases(&mut rig, pod, 15.0);
    assert_eq!(seen, [2.0, 4.0]);
    assert_eq!(rig.out(pod, "READY", 0), 10.0);
    // 250m alone: 10 V per core.
    assert!((rig.out(pod, "LOAD", 0) - 2.5).abs() < 1e-5);
    rig.drive(pod, "GATE", 0.0);
    let seen = phases(&mut rig, pod, 15.0);
    assert_eq!(seen, [6.0, 0.0]);
    assert_eq!(rig.out(pod, "READY", 0), 0.0);
}

#[test]
fn a_joined_pod_is_a_bare_pod_scheduled_like_any_other() {
    let (mut rig, hub, node, _dep) = Rig::basic();
    let pod = rig.add("Pod");
    rig.connect(hub, "API", pod, "API");
    rig.param(pod, "CPU", 100.0); // 1000m
    rig.run(5.0);
    assert_eq!(rig.out(pod, "PHASE", 0), 0.0, "no gate, no pod");
    rig.drive(pod, "GATE", 10.0);
    let seen = phases(&mut rig, pod, 10.0);
    assert_eq!(seen, [0.0, 2.0, 4.0]);
    assert_eq!(rig.out(pod, "READY", 0), 10.0);
    assert_eq!(rig.light(pod, "RUNNING"), 1.0);
    // Its node: 3 x 250m + 1000m of 4 cores = 43.75 %.
    assert!((rig.out(pod, "LOAD", 0) - 4.375).abs() < 1e-4);
    assert!((rig.out(node, "UTIL", 0) - 4.375).abs() < 1e-4);
    let world = rig.hub_world(hub);
    let story: Vec<&str> = world
        .events()
        .since(0)
        .1
        .filter(|e| e.object.to_string().starts_with("pod-"))
        .map(|e| e.kind.name())
        .collect();
    assert_eq!(
        story,
        [
            "PodCreated",
            "Scheduled",
            "ContainerCreating",
            "Started",
            "Ready"
        ]
    );
    // Gate low: graceful deletion, then no pod.
    rig.drive(pod, "GATE", 0.0);
    let seen = phases(&mut rig, pod, 10.0);
    assert_eq!(seen, [4.0, 6.0, 0.0]);
    // Unplugged while alive: the pod goes too.
    rig.drive(pod, "GATE", 10.0);
    rig.run(5.0);
    assert_eq!(rig.out(pod, "PHASE", 0), 4.0);
    rig.disconnect(pod, "API");
    rig.run(5.0);
    let world = rig.hub_world(hub);
    assert!(world
        .pods()
        .all(|(_, p)| !p.name().to_string().starts_with("pod-")));
    assert_eq!(world.pod_count(), 3, "the Deployment's pods remain");
}

#[test]
fn a_joined_pods_fault_crashes_its_container_into_crash_loop_back_off() {
    let (mut rig, hub, _node, _dep) = Rig::basic();
    let pod = rig.add("Pod");
    rig.connect(hub, "API", pod, "API");
    rig.drive(pod, "GATE", 10.0);
    rig.run(10.0);
    assert_eq!(rig.out(pod, "READY", 0), 10.0);
    rig.drive(pod, "FAULT", 10.0);
    rig.run(30.0);
    // Still Running (restartPolicy Always), never Ready while faulty.
    assert_eq!(rig.out(pod, "PHASE", 0), 4.0);
    assert_eq!(rig.out(pod, "READY", 0), 0.0);
    let world = rig.hub_world(hub);
    let of_pod = |name: &str| -> Vec<i64> {
        world
            .events()
            .history()
            .filter(|e| e.object.to_string().starts_with("pod-") && e.kind.name() == name)
            .map(|e| e.value)
            .collect()
    };
    // Exit code 1 each time; the kubelet's back-off: at once, then 10 s, then 20 s.
    let died = of_pod("ContainerDied");
    assert!(
        died.len() >= 3 && died.iter().all(|&code| code == 1),
        "{died:?}"
    );
    assert_eq!(&of_pod("BackOff")[..2], [10, 20]);
    let deployment_crashes = world
        .events()
        .history()
        .filter(|e| {
            e.kind.name() == "ContainerDied" && e.object.to_string().starts_with("deployment-")
        })
        .count();
    assert_eq!(deployment_crashes, 0, "only the faulty pod crashes");
    rig.drive(pod, "FAULT", 0.0);
    rig.run(60.0);
    assert_eq!(
        rig.out(pod, "READY", 0),
        10.0,
        "it recovers when the fault drops"
    );
}

#[test]
fn a_lone_pods_fault_plays_the_same_crash_loop_on_the_panel() {
    let mut rig = Rig::new(1000.0);
    let pod = rig.add("Pod");
    rig.drive(pod, "GATE", 10.0);
    rig.run(10.0);
    assert_eq!(rig.out(pod, "READY", 0), 10.0);
    rig.drive(pod, "FAULT", 10.0);
    // Within one control tick of the rising edge (32 samples, 32 ms at this rate).
    rig.run(0.032);
    assert_eq!(rig.out(pod, "READY", 0), 0.0, "crashed at the rising edge");
    rig.run(30.0);
    assert_eq!(rig.out(pod, "PHASE", 0), 4.0);
    assert_eq!(rig.out(pod, "READY", 0), 0.0);
    rig.drive(pod, "FAULT", 0.0);
    rig.run(60.0);
    assert_eq!(rig.out(pod, "READY", 0), 10.0);
}

#[test]
fn a_nodes_down_gate_silences_its_kubelets_until_it_drops() {
    let (mut rig, hub, node, _dep) = Rig::basic();
    rig.param(node, "COUNT", 3.0);
    rig.run(10.0);
    assert_eq!(rig.light(node, "READY"), 1.0);
    // Poly: only channel 2 high, so only node 2 (ordinal 1) goes silent.
    rig.drive_poly(node, "DOWN", &[0.0, 10.0, 0.0]);
    rig.run(14.0);
    let not_ready = |rig: &Rig| -> Vec<String> {
        rig.hub_world(hub)
            .events()
            .history()
            .filter(|e| e.kind.name() == "NodeNotReady")
            .map(|e| e.object.to_string())
            .collect()
    };
    assert!(
        not_ready(&rig).is_empty(),
        "not before the 15 s grace period"
    );
    rig.run(2.0);
    assert_eq!(not_ready(&rig).len(), 1);
    assert!(not_ready(&rig)[0].ends_with("-1"), "{:?}", not_ready(&rig));
    assert_eq!(rig.light(node, "READY"), 0.0);
    // Mono: every node of the pool.
    rig.drive(node, "DOWN", 10.0);
    rig.run(16.0);
    assert_eq!(not_ready(&rig).len(), 3);
    let world = rig.hub_world(hub);
    assert!(
        world.pods().all(|(_, p)| p.node != u32::MAX),
        "pods stay bound"
    );
    // Unplugged: the kubelets post status again and the nodes are Ready.
    rig.disconnect(node, "DOWN");
    rig.run(1.0);
    assert_eq!(rig.light(node, "READY"), 1.0);
    let ready_again = rig
        .hub_world(hub)
        .events()
        .history()
        .filter(|e| e.kind.name() == "NodeReady")
        .count();
    assert_eq!(ready_again, 3 + 3, "three at start-up, three on return");
}
