//! Fail fast while MongoDB does not answer.
//!
//! A frozen or unreachable MongoDB (connections open, no replies) would cost every product
//! read and write the whole operation deadline, holding its connection and its caller
//! that long. After `TRIP_AFTER` calls in a row got no answer the circuit opens: calls fail
//! at once as `Unavailable` (reads are then served stale from the cache where the policy
//! allows, writes answer 503 without waiting), and one ping at a time probes MongoDB; the
//! first answered ping, or any answered call, closes it again.
//!
//! Only calls that got no answer count: a conflict, a duplicate or a bad document is an
//! answer. A circuit opened by mistake (a slow server) costs the calls of one ping's round
//! trip, since the probe starts with the first call it turns away.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use mongodb::bson::doc;
use mongodb::Database;

use super::errors::unanswered;
use crate::domain::error::RepositoryError;

/// Calls in a row without an answer that open the circuit.
const TRIP_AFTER: u32 = 2;

#[derive(Debug, Default)]
pub(super) struct Circuit {
    open: AtomicBool,
    unanswered: AtomicU32,
    probing: AtomicBool,
}

impl Circuit {
    /// `Ok` while closed. While open: the error to answer at once, and a ping of `database`
    /// (bounded by `bound`) starts unless one is running.
    pub(super) fn admit(
        self: &Arc<Self>,
        database: &Database,
        bound: Duration,
    ) -> Result<(), RepositoryError> {
        if !self.open.load(Ordering::Acquire) {
            return Ok(());
        }
        if !self.probing.swap(true, Ordering::AcqRel) {
            let circuit = self.clone();
            let database = database.clone();
            tokio::spawn(async move {
                let ping = database.run_command(doc! { "ping": 1 });
                if let Ok(Ok(_)) = tokio::time::timeout(bound, ping).await {
                    circuit.answered();
                }
                circuit.probing.store(false, Ordering::Release);
            });
        }
        Err(RepositoryError::Unavailable(
            "MongoDB is not answering; failing fast until a ping is answered".into(),
        ))
    }

    /// Takes note of a call's outcome: no answer counts towards opening, any answer closes.
    pub(super) fn observe<T>(&self, outcome: &Result<T, RepositoryError>) {
        match outcome {
            Err(error) if unanswered(error) => self.no_answer(),
            _ => self.answered(),
        }
    }

    #[cfg(test)]
    fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    fn no_answer(&self) {
        let count = self.unanswered.fetch_add(1, Ordering::AcqRel) + 1;
        if count >= TRIP_AFTER && !self.open.swap(true, Ordering::AcqRel) {
            tracing::warn!(
                calls = count,
                "MongoDB stopped answering; failing fast until a ping is answered"
            );
        }
    }

    /// Cheap on the common path: loads only, no write while already closed.
    fn answered(&self) {
        if self.unanswered.load(Ordering::Acquire) != 0 {
            self.unanswered.store(0, Ordering::Release);
        }
        if self.open.load(Ordering::Acquire) && self.open.swap(false, Ordering::AcqRel) {
            tracing::info!("MongoDB answers again; circuit closed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_answer() -> Result<(), RepositoryError> {
        Err(super::super::errors::timed_out(Duration::from_millis(1)))
    }

    #[test]
    fn opens_after_calls_in_a_row_without_an_answer_and_closes_on_any_answer() {
        let circuit = Circuit::default();
        circuit.observe(&no_answer());
        assert!(!circuit.is_open(), "one unanswered call is not an outage");
        circuit.observe(&Ok(()));
        circuit.observe(&no_answer());
        assert!(
            !circuit.is_open(),
            "an answer in between starts the count again"
        );
        circuit.observe(&no_answer());
        assert!(circuit.is_open());
        circuit.observe(&Err::<(), _>(RepositoryError::VersionConflict));
        assert!(!circuit.is_open(), "a conflict is an answer");
    }

    #[test]
    fn contention_is_not_an_outage() {
        let circuit = Circuit::default();
        for _ in 0..5 {
            circuit.observe(&Err::<(), _>(RepositoryError::Unavailable(
                "the product kept changing under this write; try again".into(),
            )));
        }
        assert!(!circuit.is_open());
    }
}
