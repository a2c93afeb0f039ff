//! The lifecycle of a POD with no hub: the minimal kubelet's steps, timed locally in real
//! seconds with seeded latencies, including the FAULT gate's failed starts and
//! CrashLoopBackOff (the same delays the world's kubelet uses).

use super::pod::PodPhase;
use crate::rng::Rng;
use crate::world::{
    crash_loop_backoff, CONTAINER_START_MEDIAN, CRASH_AFTER_MEDIAN, READINESS_MEDIAN,
    SHUTDOWN_MEDIAN, START_RETRY_DELAYS,
};

/// What the next timer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// Nothing is due.
    Nothing,
    /// Pull the image and start the container (Pending).
    Start,
    /// The readiness probe passes.
    Ready,
    /// The faulty container exits with code 1.
    Crash,
    /// The back-off is over: restart the container.
    Restart,
    /// The graceful termination ends.
    Gone,
}

/// A lone pod's lifecycle.
#[derive(Debug, Clone)]
pub(super) struct LocalLifecycle {
    pub phase: PodPhase,
    pub ready: bool,
    due: Due,
    /// Seconds until `due`.
    remaining: f64,
    fault: bool,
    start_failures: usize,
    /// The container's restart back-off entry, seconds (0 before the first exit).
    backoff: f64,
    /// How long the current container has run.
    ran: f64,
    rng: Rng,
}

impl LocalLifecycle {
    pub fn new(seed: u64) -> LocalLifecycle {
        LocalLifecycle {
            phase: PodPhase::None,
            ready: false,
            due: Due::Nothing,
            remaining: 0.0,
            fault: false,
            start_failures: 0,
            backoff: 0.0,
            ran: 0.0,
            rng: Rng::new(seed),
        }
    }

    fn after(&mut self, due: Due, seconds: f64) {
        self.due = due;
        self.remaining = seconds;
    }

    /// The gate rose: a new pod.
    pub fn created(&mut self) {
        self.phase = PodPhase::Pending;
        self.ready = false;
        self.start_failures = 0;
        self.backoff = 0.0;
        let delay = self.rng.lognormal(CONTAINER_START_MEDIAN, 0.5);
        self.after(Due::Start, delay);
    }

    /// The gate fell: delete gracefully.
    pub fn deleted(&mut self) {
        if matches!(self.phase, PodPhase::None | PodPhase::Terminating) {
            return;
        }
        self.phase = PodPhase::Terminating;
        self.ready = false;
        let delay = self.rng.lognormal(SHUTDOWN_MEDIAN, 0.5);
        self.after(Due::Gone, delay);
    }

    /// The FAULT gate: on its rising edge a running container crashes at once.
    pub fn set_fault(&mut self, fault: bool) {
        let rose = fault && !self.fault;
        self.fault = fault;
        let up = matches!(self.due, Due::Ready | Due::Crash | Due::Nothing);
        if rose && self.phase == PodPhase::Running && up {
            self.crash();
        }
    }

    /// The container exited with code 1: restart after the kubelet's back-off.
    fn crash(&mut self) {
        self.ready = false;
        let (delay, entry) = crash_loop_backoff(self.backoff, self.ran);
        self.backoff = entry;
        self.after(Due::Restart, delay);
    }

    /// The container runs: Ready after the probe, or a crash while faulty.
    fn container_started(&mut self) {
        self.phase = PodPhase::Running;
        self.ran = 0.0;
        if self.fault {
            let delay = self.rng.lognormal(CRASH_AFTER_MEDIAN, 0.5);
            self.after(Due::Crash, delay);
        } else {
            let delay = self.rng.lognormal(READINESS_MEDIAN, 0.5);
            self.after(Due::Ready, delay);
        }
    }

    /// Advances `dt` seconds.
    pub fn advance(&mut self, dt: f64) {
        if self.phase == PodPhase::Running && self.due != Due::Restart {
            self.ran += dt;
        }
        if self.due == Due::Nothing {
            return;
        }
        self.remaining -= dt;
        if self.remaining > 0.0 {
            return;
        }
        let due = self.due;
        self.due = Due::Nothing;
        match due {
            Due::Start if self.fault => {
                self.start_failures += 1;
                match START_RETRY_DELAYS.get(self.start_failures - 1) {
                    Some(&retry) => self.after(Due::Start, retry),
                    None => self.phase = PodPhase::Failed,
                }
            }
            Due::Start | Due::Restart => self.container_started(),
            Due::Ready if self.fault => self.crash(),
            Due::Ready => self.ready = true,
            Due::Crash => self.crash(),
            Due::Gone => self.phase = PodPhase::None,
            Due::Nothing => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `seconds` in 1 ms steps and returns each (time, phase, ready) change.
    fn trace(l: &mut LocalLifecycle, seconds: f64) -> Vec<(f64, PodPhase, bool)> {
        let mut seen = vec![];
        let mut last = (l.phase, l.ready);
        for i in 0..(seconds * 1000.0) as usize {
            l.advance(0.001);
            if (l.phase, l.ready) != last {
                last = (l.phase, l.ready);
                seen.push((i as f64 / 1000.0, l.phase, l.ready));
            }
        }
        seen
    }

    #[test]
    fn a_lone_pod_starts_becomes_ready_and_terminates_in_order() {
        let mut l = LocalLifecycle::new(3);
        l.created();
        assert_eq!(l.phase, PodPhase::Pending);
        let seen: Vec<_> = trace(&mut l, 100.0).iter().map(|s| (s.1, s.2)).collect();
        assert_eq!(
            seen,
            [(PodPhase::Running, false), (PodPhase::Running, true)]
        );
        l.deleted();
        assert_eq!((l.phase, l.ready), (PodPhase::Terminating, false));
        trace(&mut l, 100.0);
        assert_eq!(l.phase, PodPhase::None);
    }

    #[test]
    fn a_fault_crash_loops_with_the_kubelets_back_off() {
        let mut l = LocalLifecycle::new(5);
        l.created();
        trace(&mut l, 20.0);
        assert!(l.ready);
        l.set_fault(true);
        assert!(!l.ready, "the running container crashed at the rising edge");
        // Each exit's restart delay: the first restarts at once, later ones wait 10, 20,
        // 40 s (the restarted container crashes again after about a second each time).
        let mut delays = vec![l.remaining];
        for _ in 0..100_000 {
            let before = l.due;
            l.advance(0.001);
            assert!(!l.ready, "never Ready while faulty");
            if l.due == Due::Restart && before != Due::Restart {
                delays.push(l.remaining);
            }
        }
        assert_eq!(delays, [0.0, 10.0, 20.0, 40.0, 80.0]);
        assert_eq!(
            l.phase,
            PodPhase::Running,
            "restartPolicy Always keeps it Running"
        );
        l.set_fault(false);
        trace(&mut l, 200.0);
        assert!(l.ready, "it recovers once the fault clears");
    }

    #[test]
    fn a_faulty_start_is_retried_after_2_4_and_8_s_then_fails() {
        let mut l = LocalLifecycle::new(9);
        l.set_fault(true);
        l.created();
        let start = l.remaining;
        let seen = trace(&mut l, start + 2.0 + 4.0 + 8.0 + 0.5);
        assert_eq!(seen.len(), 1, "{seen:?}");
        let (t, phase, _) = seen[0];
        assert_eq!(phase, PodPhase::Failed);
        assert!((t - (start + 14.0)).abs() < 0.01, "failed at {t}");
    }
}
