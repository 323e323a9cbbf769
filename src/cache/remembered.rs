//! A map of what the store said, as of one access epoch: emptied whenever a request finds
//! the epoch moved, and bounded, so that memory stays flat however many people sign in.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Values by key (a session's stored id hash), all read at one epoch.
pub struct Remembered<V> {
    inner: Mutex<Inner<V>>,
    capacity: usize,
}

struct Inner<V> {
    /// The epoch every value was read at or after; `None` before the first.
    epoch: Option<i64>,
    values: HashMap<String, V>,
}

impl<V: Clone> Remembered<V> {
    /// At most `capacity` values: beyond it, one is forgotten for each one remembered.
    pub fn with_capacity(capacity: usize) -> Remembered<V> {
        Remembered {
            inner: Mutex::new(Inner {
                epoch: None,
                values: HashMap::new(),
            }),
            capacity,
        }
    }

    /// What `read` makes of the value for `key`, if it was remembered at `epoch`: the value
    /// stays where it is, and `read` copies out only what the caller needs. A different
    /// epoch (a write since, or a request whose read is older than the one that filled the
    /// map) empties the map: nothing in it can be told apart from what that write changed.
    pub fn read<R>(&self, epoch: i64, key: &str, read: impl FnOnce(&V) -> Option<R>) -> Option<R> {
        let mut inner = self.lock();
        if inner.epoch != Some(epoch) {
            inner.values.clear();
            inner.epoch = Some(epoch);
            return None;
        }
        inner.values.get(key).and_then(read)
    }

    /// Remembers `value`, read from the store after the read that found `epoch` began;
    /// dropped if the map has moved to another epoch meanwhile.
    pub fn remember(&self, epoch: i64, key: String, value: V) {
        let mut inner = self.lock();
        if inner.epoch != Some(epoch) {
            return;
        }
        if inner.values.len() >= self.capacity && !inner.values.contains_key(&key) {
            // Any one: each is as likely to be asked for again as any other.
            let victim = inner.values.keys().next().cloned();
            if let Some(victim) = victim {
                inner.values.remove(&victim);
            }
        }
        inner.values.insert(key, value);
    }

    /// Changes the value for `key` in place, if it is there and was remembered at `epoch`.
    pub fn update(&self, epoch: i64, key: &str, change: impl FnOnce(&mut V)) {
        let mut inner = self.lock();
        if inner.epoch == Some(epoch) {
            if let Some(value) = inner.values.get_mut(key) {
                change(value);
            }
        }
    }

    #[cfg(test)]
    fn recall(&self, epoch: i64, key: &str) -> Option<V> {
        self.read(epoch, key, |value| Some(value.clone()))
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().values.len()
    }

    // Every change is one insert, remove or clear: a panic elsewhere cannot leave it torn.
    fn lock(&self) -> MutexGuard<'_, Inner<V>> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_recalled_only_at_the_epoch_it_was_remembered_at() {
        let map = Remembered::with_capacity(4);
        assert_eq!(map.recall(1, "a"), None);
        map.remember(1, "a".into(), 10);
        assert_eq!(map.recall(1, "a"), Some(10));
        assert_eq!(map.recall(2, "a"), None, "a new epoch empties the map");
        assert_eq!(map.recall(2, "a"), None);
        map.remember(1, "a".into(), 10);
        assert_eq!(
            map.recall(2, "a"),
            None,
            "a value read at an old epoch is dropped"
        );
        assert_eq!(map.recall(1, "a"), None, "an older epoch empties it too");
    }

    #[test]
    fn a_value_is_changed_only_at_its_epoch() {
        let map = Remembered::with_capacity(4);
        map.recall(1, "a");
        map.remember(1, "a".into(), 10);
        map.update(2, "a", |v| *v = 20);
        map.update(1, "b", |v| *v = 30);
        assert_eq!(map.recall(1, "a"), Some(10));
        assert_eq!(map.recall(1, "b"), None, "nothing is added");
        map.update(1, "a", |v| *v = 40);
        assert_eq!(map.recall(1, "a"), Some(40));
    }

    #[test]
    fn the_map_never_holds_more_than_its_capacity() {
        let map = Remembered::with_capacity(3);
        map.recall(7, "");
        for i in 0..10 {
            map.remember(7, format!("k{i}"), i);
            assert!(map.len() <= 3);
        }
        assert_eq!(map.len(), 3);
        assert_eq!(map.recall(7, "k9"), Some(9), "the newest is kept");
        map.remember(7, "k9".into(), 99);
        assert_eq!(map.len(), 3, "replacing a value forgets nothing else");
        assert_eq!(map.recall(7, "k9"), Some(99));
    }
}
