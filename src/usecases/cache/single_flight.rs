//! Collapses concurrent loads of one key inside this process into one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Concurrent callers of `run` with the same key share one execution of the loader: the
/// first runs it, the others wait for its result. If the running caller is cancelled, a
/// waiting one takes over, so a dropped request never strands the others; when the last
/// caller of a key goes (finished or cancelled) its entry goes too, so nothing leaks.
pub struct SingleFlight<T> {
    calls: Mutex<HashMap<String, Arc<OnceCell<T>>>>,
}

impl<T> Default for SingleFlight<T> {
    fn default() -> Self {
        Self {
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: Clone> SingleFlight<T> {
    /// Returns the value and whether this caller joined a flight already under way.
    pub async fn run<F, Fut>(&self, key: &str, load: F) -> (T, bool)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let (cell, joined) = {
            let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
            match calls.get(key) {
                Some(cell) => (cell.clone(), true),
                None => {
                    let cell = Arc::new(OnceCell::new());
                    calls.insert(key.to_owned(), cell.clone());
                    (cell, false)
                }
            }
        };
        let leave = Leave {
            calls: &self.calls,
            key,
            cell,
        };
        let value = leave.cell.get_or_init(load).await.clone();
        (value, joined)
    }

    /// Keys with a flight under way.
    pub fn len(&self) -> usize {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs when a caller leaves `run`, by returning or by being dropped mid-await. A finished
/// flight is removed at once (later callers must load afresh); an unfinished one only when
/// no other caller still waits on it, since one of them will take the load over.
struct Leave<'a, T> {
    calls: &'a Mutex<HashMap<String, Arc<OnceCell<T>>>>,
    key: &'a str,
    cell: Arc<OnceCell<T>>,
}

impl<T> Drop for Leave<'_, T> {
    fn drop(&mut self) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        let ours = calls
            .get(self.key)
            .is_some_and(|current| Arc::ptr_eq(current, &self.cell));
        // Two references: the map's and ours; more means other callers are waiting.
        let last_caller = Arc::strong_count(&self.cell) <= 2;
        if ours && (self.cell.initialized() || last_caller) {
            calls.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_callers_share_one_load() {
        let flights = Arc::new(SingleFlight::<u32>::default());
        let loads = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (flights, loads) = (flights.clone(), loads.clone());
                tokio::spawn(async move {
                    flights
                        .run("k", || async {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            loads.fetch_add(1, Ordering::SeqCst) + 7
                        })
                        .await
                })
            })
            .collect();
        let mut joined = 0;
        for task in tasks {
            let (value, did_join) = task.await.unwrap();
            assert_eq!(value, 7);
            joined += u32::from(did_join);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        assert_eq!(joined, 49);
        let (again, _) = flights.run("k", || async { 99 }).await;
        assert_eq!(again, 99, "a finished flight is not reused");
        assert!(flights.is_empty());
    }

    #[tokio::test]
    async fn a_flight_whose_every_caller_is_cancelled_leaves_nothing_behind() {
        let flights = Arc::new(SingleFlight::<u32>::default());
        let callers: Vec<_> = (0..3)
            .map(|_| {
                let flights = flights.clone();
                tokio::spawn(async move {
                    flights
                        .run("never-finishes", std::future::pending::<u32>)
                        .await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(flights.len(), 1);
        for caller in &callers {
            caller.abort();
        }
        for caller in callers {
            assert!(caller.await.unwrap_err().is_cancelled());
        }
        assert!(flights.is_empty(), "the abandoned flight was removed");
        let (value, joined) = flights.run("never-finishes", || async { 3 }).await;
        assert_eq!((value, joined), (3, false), "a later caller starts afresh");
    }

    #[tokio::test]
    async fn a_waiter_takes_over_when_the_loading_caller_is_cancelled() {
        let flights = Arc::new(SingleFlight::<u32>::default());
        let first = {
            let flights = flights.clone();
            tokio::spawn(async move { flights.run("k", std::future::pending::<u32>).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let second = {
            let flights = flights.clone();
            tokio::spawn(async move { flights.run("k", || async { 5 }).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        first.abort();
        assert_eq!(second.await.unwrap(), (5, true));
        assert!(flights.is_empty());
    }
}
