//! The CLUSTER's display snapshot is taken only when a display asked for one: a hub that no
//! display reads spends nothing on it, and one that is read keeps it at most a frame or two
//! behind the world.

mod rig;

use kuberack_core::view::ClusterView;
use rig::Rig;

#[test]
fn the_snapshot_follows_the_reads_and_nothing_else() {
    let (mut rig, hub, _node, _dep) = Rig::basic();
    let cell = rig.modules[hub].module.view().expect("a hub has a view");
    rig.run(5.0);
    let world_time = rig.hub_world(hub).time();
    assert!(rig.hub_world(hub).node_count() > 0 && world_time > 0.0);
    // Simulated seconds per second of samples (the WARP knob).
    let rate = world_time / 5.0;

    // Nobody read in five seconds: nothing was ever captured.
    let mut view = ClusterView::default();
    assert!(cell.read(&mut view));
    assert_eq!((view.revision, view.num_nodes), (0, 0));

    // That read asked for one: within two display frames (1/60 s each) it is there.
    rig.run(2.0 / 60.0);
    assert!(cell.read(&mut view));
    assert!(view.num_nodes > 0, "{view:?}");
    assert!(view.revision > 0);
    assert!(view.time_s >= world_time, "{} {world_time}", view.time_s);
    let asked_at = view.time_s;

    // That read asked for one more, taken within a frame or two of it; then none while
    // nobody reads, however long the world runs.
    rig.run(3.0);
    assert!(cell.read(&mut view));
    let late = view.time_s - asked_at;
    assert!(late > 0.0 && late < rate * 4.0 / 60.0, "{late}");
    let held = view.time_s;

    // The frame period has long passed: the next tick takes the one this read asked for.
    rig.run(0.001);
    assert!(cell.read(&mut view));
    assert!(view.time_s > held + rate * 2.9);
    let fresh = view.time_s;
    // Asked again within the frame period: the snapshot waits for it.
    rig.run(0.001);
    assert!(cell.read(&mut view));
    assert_eq!(view.time_s, fresh);

    // A display reading every frame sees the world move frame by frame.
    let mut times = Vec::new();
    for _ in 0..30 {
        rig.run(1.0 / 60.0);
        assert!(cell.read(&mut view));
        times.push(view.time_s);
    }
    let now = rig.hub_world(hub).time();
    assert!(times.windows(2).all(|w| w[1] >= w[0]));
    assert!(now - times[29] < rate * 2.5 / 60.0, "{now} {}", times[29]);
    let distinct = times.windows(2).filter(|w| w[1] > w[0]).count();
    assert!(distinct >= 20, "{times:?}");
}
