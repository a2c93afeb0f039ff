//! Per-object write coalescing: the last value wins and each object is written at most a
//! configured number of times per second.

use kuberack_core::live::{Change, ObjectKey};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug)]
struct Entry {
    pending: Option<Change>,
    last_written: Option<Change>,
    last_write_at: Option<Duration>,
}

/// Holds the latest change per object until that object may be written again.
/// Time is a `Duration` since any fixed origin, so tests drive it by hand.
#[derive(Debug)]
pub struct Coalescer {
    min_interval: Duration,
    entries: BTreeMap<ObjectKey, Entry>,
    superseded: u64,
}

impl Coalescer {
    /// At most `writes_per_second` writes per object (values below 0.01 are taken as 0.01).
    pub fn new(writes_per_second: f64) -> Coalescer {
        let rate = if writes_per_second.is_finite() {
            writes_per_second.max(0.01)
        } else {
            0.01
        };
        Coalescer {
            min_interval: Duration::from_secs_f64(1.0 / rate),
            entries: BTreeMap::new(),
            superseded: 0,
        }
    }

    /// Records the latest desired change for its object; an earlier pending one is replaced.
    pub fn offer(&mut self, change: Change) {
        let key = key_of(&change);
        let entry = self.entries.entry(key).or_insert(Entry {
            pending: None,
            last_written: None,
            last_write_at: None,
        });
        if entry.pending.replace(change).is_some() {
            self.superseded += 1;
        }
        if entry.last_written == Some(change) {
            // Back to what the server already has: nothing to write.
            entry.pending = None;
        }
    }

    /// Takes every change whose object may be written at `now`, and marks them written.
    pub fn take_due(&mut self, now: Duration) -> Vec<Change> {
        let mut due = Vec::new();
        for entry in self.entries.values_mut() {
            let ready = entry
                .last_write_at
                .is_none_or(|at| now >= at + self.min_interval);
            if ready {
                if let Some(change) = entry.pending.take() {
                    entry.last_written = Some(change);
                    entry.last_write_at = Some(now);
                    due.push(change);
                }
            }
        }
        due
    }

    /// Puts back a change whose write failed, unless a newer one arrived meanwhile.
    pub fn retry(&mut self, change: Change) {
        if let Some(entry) = self.entries.get_mut(&key_of(&change)) {
            entry.last_written = None;
            entry.pending.get_or_insert(change);
        }
    }

    /// When the next pending change becomes due, if any is pending.
    pub fn next_due(&self) -> Option<Duration> {
        self.entries
            .values()
            .filter(|e| e.pending.is_some())
            .map(|e| {
                e.last_write_at
                    .map_or(Duration::ZERO, |at| at + self.min_interval)
            })
            .min()
    }

    /// Forgets an object whose write is done for good (a created Job): its entry would
    /// otherwise be kept for the session.
    pub fn forget(&mut self, key: &ObjectKey) {
        if self.entries.get(key).is_some_and(|e| e.pending.is_none()) {
            self.entries.remove(key);
        }
    }

    /// The apply last written for `key` while no newer change waits: what the server should
    /// hold now.
    pub fn settled(&self, key: &ObjectKey) -> Option<Change> {
        let entry = self.entries.get(key)?;
        match (entry.pending, entry.last_written) {
            (None, Some(c @ Change::Apply(_))) => Some(c),
            _ => None,
        }
    }

    /// Offers again the apply last written for `key` (the server no longer holds it: drift),
    /// under the same per-object cap as any write. Returns whether one was offered.
    pub fn reassert(&mut self, key: &ObjectKey) -> bool {
        let Some(change) = self.settled(key) else {
            return false;
        };
        if let Some(entry) = self.entries.get_mut(key) {
            entry.pending = Some(change);
        }
        true
    }

    /// The keys of every object whose last write was an apply.
    pub fn applied_keys(&self) -> impl Iterator<Item = &ObjectKey> + '_ {
        self.entries
            .iter()
            .filter(|(_, e)| matches!(e.last_written, Some(Change::Apply(_))))
            .map(|(k, _)| k)
    }

    /// Single Jobs (of JOB submissions and forges) with a creation waiting to be written.
    pub fn pending_jobs(&self) -> usize {
        self.entries
            .iter()
            .filter(|(k, e)| k.is_one_job() && e.pending.is_some())
            .count()
    }

    /// Changes replaced by a newer value before they were written.
    pub fn superseded(&self) -> u64 {
        self.superseded
    }
}

fn key_of(change: &Change) -> ObjectKey {
    match change {
        Change::Apply(obj) => obj.key,
        Change::Remove(key) => *key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kuberack_core::live::{DesiredObject, ObjectKind};

    fn apply(module: u64, replicas: u32) -> Change {
        Change::Apply(DesiredObject::deployment(module, replicas, 100, 64))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn first_write_is_immediate_and_last_value_wins() {
        let mut c = Coalescer::new(5.0);
        c.offer(apply(1, 1));
        assert_eq!(c.take_due(ms(0)), vec![apply(1, 1)]);
        c.offer(apply(1, 2));
        c.offer(apply(1, 3));
        assert!(
            c.take_due(ms(100)).is_empty(),
            "written again within 200 ms"
        );
        assert_eq!(c.next_due(), Some(ms(200)));
        assert_eq!(c.take_due(ms(200)), vec![apply(1, 3)]);
        assert_eq!(c.superseded(), 1);
    }

    #[test]
    fn a_ten_hz_lfo_is_written_at_the_cap() {
        let mut c = Coalescer::new(5.0);
        let mut writes = 0;
        // 10 s of a value changing every 100 ms, polled every 10 ms.
        for t in (0..10_000).step_by(10) {
            if t % 100 == 0 {
                c.offer(apply(1, (t / 100 % 7) as u32));
            }
            writes += c.take_due(ms(t)).len();
        }
        assert!((49..=51).contains(&writes), "{writes} writes in 10 s");
    }

    #[test]
    fn objects_are_limited_independently() {
        let mut c = Coalescer::new(5.0);
        c.offer(apply(1, 1));
        c.offer(apply(2, 1));
        assert_eq!(c.take_due(ms(0)).len(), 2);
        c.offer(apply(1, 2));
        assert!(c.take_due(ms(50)).is_empty());
        c.offer(apply(2, 2));
        assert_eq!(c.take_due(ms(200)).len(), 2);
    }

    #[test]
    fn returning_to_the_written_value_writes_nothing() {
        let mut c = Coalescer::new(5.0);
        c.offer(apply(1, 1));
        c.take_due(ms(0));
        c.offer(apply(1, 2));
        c.offer(apply(1, 1));
        assert!(c.take_due(ms(500)).is_empty());
        assert_eq!(c.next_due(), None);
    }

    #[test]
    fn failed_writes_are_retried_unless_superseded() {
        let mut c = Coalescer::new(5.0);
        c.offer(apply(1, 1));
        let w = c.take_due(ms(0));
        c.retry(w[0]);
        assert_eq!(c.take_due(ms(200)), vec![apply(1, 1)]);
        c.offer(apply(1, 2));
        let w = c.take_due(ms(400));
        c.offer(apply(1, 3));
        c.retry(w[0]);
        assert_eq!(c.take_due(ms(600)), vec![apply(1, 3)]);
    }

    #[test]
    fn written_jobs_are_forgotten_and_pending_ones_counted() {
        let job = |n| {
            Change::Apply(DesiredObject::job(
                1,
                n,
                100,
                64,
                kuberack_core::live::DesiredJob::default(),
            ))
        };
        let mut c = Coalescer::new(5.0);
        c.offer(job(1));
        c.offer(job(2));
        c.offer(apply(1, 1));
        assert_eq!(c.pending_jobs(), 2);
        let due = c.take_due(ms(0));
        assert_eq!(due.len(), 3);
        assert_eq!(c.pending_jobs(), 0);
        // A retried one is pending again and not forgotten.
        c.retry(due[1]);
        c.forget(&key_of(&due[1]));
        c.forget(&key_of(&due[2]));
        assert_eq!(c.pending_jobs(), 1);
        assert_eq!(c.entries.len(), 2);
    }

    #[test]
    fn drift_is_reasserted_under_the_same_cap() {
        let mut c = Coalescer::new(5.0);
        let key = ObjectKey::of(ObjectKind::Deployment, 1);
        assert!(!c.reassert(&key), "nothing written yet");
        c.offer(apply(1, 3));
        assert_eq!(c.take_due(ms(0)), vec![apply(1, 3)]);
        assert_eq!(c.settled(&key), Some(apply(1, 3)));
        assert!(c.reassert(&key));
        assert!(
            c.take_due(ms(100)).is_empty(),
            "capped: 200 ms between writes"
        );
        assert_eq!(c.take_due(ms(200)), vec![apply(1, 3)]);
        // A newer value waiting is what will be written: nothing to reassert.
        c.offer(apply(1, 4));
        assert_eq!(c.settled(&key), None);
        assert!(!c.reassert(&key));
        assert_eq!(c.applied_keys().count(), 1);
    }

    #[test]
    fn absurd_rates_are_clamped() {
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let mut c = Coalescer::new(rate);
            c.offer(apply(1, 1));
            assert_eq!(c.take_due(ms(0)).len(), 1);
        }
    }
}
