//! A fixed-capacity slab: storage that never allocates after construction.

/// Slots of `T` addressed by `u32` index, with a free list. A tracking slab also lists the
/// slots written (inserted, removed or borrowed mutably) since its list was last cleared.
pub struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
    len: usize,
    /// Slots written since the last clear, each once (empty capacity: not tracking).
    changed: Vec<u32>,
    marked: Vec<bool>,
}

impl<T> Slab<T> {
    /// An empty slab holding at most `capacity` items.
    pub fn with_capacity(capacity: usize) -> Slab<T> {
        let mut items = Vec::with_capacity(capacity);
        items.resize_with(capacity, || None);
        Slab {
            items,
            free: (0..capacity as u32).rev().collect(),
            len: 0,
            changed: Vec::new(),
            marked: Vec::new(),
        }
    }

    /// An empty slab that lists the slots written ([`Slab::changed`]).
    pub fn tracking(capacity: usize) -> Slab<T> {
        Slab {
            changed: Vec::with_capacity(capacity),
            marked: vec![false; capacity],
            ..Slab::with_capacity(capacity)
        }
    }

    #[inline]
    fn mark(&mut self, i: u32) {
        if let Some(m) = self.marked.get_mut(i as usize) {
            if !*m {
                *m = true;
                self.changed.push(i);
            }
        }
    }

    /// Slots written since the last [`Slab::clear_changed`] (tracking slabs only).
    pub fn changed(&self) -> &[u32] {
        &self.changed
    }

    /// Forgets the slots written.
    pub fn clear_changed(&mut self) {
        for &i in &self.changed {
            self.marked[i as usize] = false;
        }
        self.changed.clear();
    }

    /// Inserts an item; `None` when full.
    pub fn insert(&mut self, item: T) -> Option<u32> {
        let i = self.free.pop()?;
        self.items[i as usize] = Some(item);
        self.len += 1;
        self.mark(i);
        Some(i)
    }

    /// Removes and returns the item at `i`.
    pub fn remove(&mut self, i: u32) -> Option<T> {
        let item = self.items.get_mut(i as usize)?.take()?;
        self.free.push(i);
        self.len -= 1;
        self.mark(i);
        Some(item)
    }

    /// The item at `i`.
    pub fn get(&self, i: u32) -> Option<&T> {
        self.items.get(i as usize)?.as_ref()
    }

    /// The item at `i`, mutably.
    pub fn get_mut(&mut self, i: u32) -> Option<&mut T> {
        if self.items.get(i as usize).is_some_and(Option::is_some) {
            self.mark(i);
        }
        self.items.get_mut(i as usize)?.as_mut()
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no slot is free.
    pub fn is_full(&self) -> bool {
        self.free.is_empty()
    }

    /// Index and item of every occupied slot, in index order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|t| (i as u32, t)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_reuses_lowest_and_refuses_when_full() {
        let mut s = Slab::with_capacity(2);
        assert_eq!(s.insert('a'), Some(0));
        assert_eq!(s.insert('b'), Some(1));
        assert_eq!(s.insert('c'), None);
        assert!(s.is_full());
        assert_eq!(s.remove(0), Some('a'));
        assert_eq!(s.remove(0), None);
        assert_eq!(s.insert('d'), Some(0));
        assert_eq!(s.iter().map(|(_, c)| *c).collect::<String>(), "db");
        assert_eq!(s.len(), 2);
        assert!(s.changed().is_empty(), "an untracked slab lists nothing");
    }

    #[test]
    fn a_tracking_slab_lists_each_written_slot_once() {
        let mut s = Slab::tracking(4);
        let a = s.insert(1).unwrap();
        let b = s.insert(2).unwrap();
        s.clear_changed();
        let _ = s.get(a);
        assert!(s.changed().is_empty(), "reads are not writes");
        *s.get_mut(b).unwrap() += 1;
        *s.get_mut(b).unwrap() += 1;
        assert!(s.get_mut(3).is_none());
        assert_eq!(s.changed(), [b]);
        s.remove(a);
        assert_eq!(s.changed(), [b, a]);
        s.clear_changed();
        assert!(s.changed().is_empty());
    }
}
