//! Cache work that follows a committed write runs as its own task, not inside the request.
//!
//! A request future can be dropped at any await: the client resets the connection, the
//! server's shutdown drain gives up, an outer timeout fires. If the write-through, tombstone
//! or generation bump ran inside it, a dropped request would leave a deleted product served
//! from the cache for minutes with nothing queued to fix it. Spawned on the runtime that
//! built the service and tracked here, the work always completes (or queues its own repair),
//! and shutdown waits for it.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;

#[derive(Default)]
struct Tracker {
    in_flight: AtomicUsize,
    idle: Notify,
}

/// Runs post-commit cache work to completion whatever happens to its caller.
pub struct PostCommitTasks {
    /// The runtime that outlives the HTTP workers (the one the service was built on), so
    /// work spawned from a worker thread survives that worker's shutdown.
    runtime: Option<Handle>,
    tracker: Arc<Tracker>,
}

impl Default for PostCommitTasks {
    fn default() -> Self {
        Self {
            runtime: Handle::try_current().ok(),
            tracker: Arc::default(),
        }
    }
}

impl PostCommitTasks {
    /// Spawns `work` and waits for it. If the caller is dropped meanwhile, the work goes on.
    pub async fn run<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let _ = self.spawn(work).await;
    }

    /// Spawns `work` without waiting for it (shutdown still does).
    pub fn detach<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.spawn(work));
    }

    /// Spawns `work` on the start-up runtime, counted in `in_flight` until it ends.
    fn spawn<F>(&self, work: F) -> tokio::task::JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let tracker = self.tracker.clone();
        tracker.in_flight.fetch_add(1, Ordering::SeqCst);
        let task = async move {
            work.await;
            if tracker.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
                tracker.idle.notify_waiters();
            }
        };
        match &self.runtime {
            Some(runtime) => runtime.spawn(task),
            None => tokio::spawn(task),
        }
    }

    /// Post-commit tasks still running.
    pub fn in_flight(&self) -> usize {
        self.tracker.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no post-commit work is running, or `limit` has passed; returns whether
    /// everything finished. Called at shutdown, after the server stopped taking requests.
    pub async fn wait_idle(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let idle = self.tracker.idle.notified();
            if self.in_flight() == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.in_flight() == 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    #[tokio::test]
    async fn work_finishes_when_its_caller_is_dropped() {
        let tasks = Arc::new(PostCommitTasks::default());
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let caller = {
            let tasks = tasks.clone();
            tokio::spawn(async move {
                tasks
                    .run(async move {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        flag.store(true, Ordering::SeqCst);
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());
        assert!(!done.load(Ordering::SeqCst));
        assert!(tasks.wait_idle(Duration::from_secs(5)).await);
        assert!(done.load(Ordering::SeqCst), "the work outlived its caller");
    }
}
