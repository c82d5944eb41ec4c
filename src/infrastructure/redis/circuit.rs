//! A circuit breaker per Redis client. A Redis that hangs (connection open, no replies)
//! would otherwise cost every request the full command timeout on each of its Redis calls.
//! A heartbeat pings Redis every `PROBE_EVERY` (bounded by the same time); request calls
//! count too. After `TRIP_AFTER` consecutive timeouts the circuit opens: calls fail at once
//! (reads go to MongoDB, rate limits to the local limiter, health says degraded), and the
//! first ping that is answered closes it again. Writes made while it
//! was open queued their cache effects for repair, and reads bypass the cache until those
//! land, so nothing stale is served when Redis comes back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use fred::error::ErrorKind;
use fred::prelude::{Client, ClientLike};

/// Consecutive timeouts that open the circuit.
const TRIP_AFTER: u32 = 2;
/// How often an open circuit pings Redis (each ping bounded by the same time).
const PROBE_EVERY: Duration = Duration::from_millis(250);

#[derive(Debug, Default)]
pub(super) struct Circuit {
    open: AtomicBool,
    timeouts: AtomicU32,
}

/// One circuit per client, shared by every adapter that uses that client.
static CIRCUITS: LazyLock<Mutex<HashMap<String, Arc<Circuit>>>> = LazyLock::new(Mutex::default);

/// The circuit of `client` (a short map lookup without allocation on every call).
pub(super) fn circuit_for(client: &Client) -> Arc<Circuit> {
    let mut circuits = CIRCUITS.lock().unwrap_or_else(|e| e.into_inner());
    let id: &str = client.id();
    if let Some(circuit) = circuits.get(id) {
        return circuit.clone();
    }
    circuits.entry(id.to_owned()).or_default().clone()
}

impl Circuit {
    pub(super) fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    pub(super) fn succeeded(&self) {
        self.timeouts.store(0, Ordering::Release);
    }

    /// Counts a timeout; enough in a row open the circuit.
    pub(super) fn timed_out(&self) {
        let timeouts = self.timeouts.fetch_add(1, Ordering::AcqRel) + 1;
        if timeouts >= TRIP_AFTER && !self.open.swap(true, Ordering::AcqRel) {
            tracing::warn!("Redis stopped answering; circuit open until a ping is answered");
        }
    }

    fn answered(&self) {
        self.timeouts.store(0, Ordering::Release);
        if self.open.swap(false, Ordering::AcqRel) {
            tracing::info!("Redis answers again; circuit closed");
        }
    }
}

/// Starts the heartbeat of `client`'s circuit; it runs as long as the client exists.
pub(super) fn watch(client: &Client) {
    let circuit = circuit_for(client);
    let client = client.clone();
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(PROBE_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if !client.is_connected() {
                continue;
            }
            match tokio::time::timeout(PROBE_EVERY, client.ping::<String>(None)).await {
                Ok(Ok(_)) => circuit.answered(),
                // fred's own command timeout may fire first: the same verdict.
                Ok(Err(error)) if *error.kind() == ErrorKind::Timeout => circuit.timed_out(),
                Ok(Err(_)) => {}
                Err(_) => circuit.timed_out(),
            }
        }
    });
}
