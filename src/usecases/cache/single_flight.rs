//! Collapses concurrent loads of one key inside this process into one.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// Concurrent callers of `run` with the same key share one execution of the loader: the
/// first runs it, the others wait for its result. If the running caller is cancelled, a
/// waiting one takes over, so a dropped request never strands the others.
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
        let value = cell.get_or_init(load).await.clone();
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        if calls
            .get(key)
            .is_some_and(|current| Arc::ptr_eq(current, &cell))
        {
            calls.remove(key);
        }
        (value, joined)
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
    }
}
