//! What the composition root builds beside the DI module: process-wide state that is not a
//! shaku component because it belongs to one running server (the event feed and its
//! reader, the read counter, the HTTP layer's ready responses, event frames, status and
//! metrics). Built once, here, from the module's components; background tasks run over it
//! and the HTTP server registers it, neither builds anything of its own.

use std::sync::Arc;
use std::time::Instant;

use shaku::HasComponent;

use super::{AppModule, Settings};
use crate::domain::outbox::InstanceId;
use crate::infrastructure::mongo;
use crate::interface::http::cursor::CursorCodec;
use crate::interface::http::handlers::ProductFrames;
use crate::interface::http::metrics::{CounterSource, Metrics, ReadCounters};
use crate::interface::http::response_cache::NearResponses;
use crate::interface::http::StatusSources;
use crate::usecases::cache::CacheContext;
use crate::usecases::events::{EventFeed, RelayCounters};
use crate::usecases::read_counter::ReadCounter;

pub(super) struct SharedState {
    /// The instance's one event feed; its stream reader is a background task.
    pub feed: Arc<EventFeed>,
    /// What the outbox relay has done, for `/metrics` and the status page.
    pub relay: Arc<RelayCounters>,
    /// Product reads noted for warming; flushed by a background task and at shutdown.
    pub reads: Arc<ReadCounter>,
    /// Ready answers in process memory, when the near tier is on.
    pub responses: Option<Arc<NearResponses>>,
    pub frames: Arc<ProductFrames>,
    pub status: Arc<StatusSources>,
    pub metrics: Arc<Metrics>,
    /// Signs and reads page cursors under the deployment's shared secret.
    pub cursors: Arc<CursorCodec>,
}

impl SharedState {
    pub fn build(
        module: &AppModule,
        near_tier: bool,
        context: &CacheContext,
        instance: &InstanceId,
        settings: &Settings,
        cursors: CursorCodec,
    ) -> Self {
        let feed = EventFeed::new(module.resolve(), module.resolve(), settings.events.feed);
        let relay = Arc::new(RelayCounters::default());
        let responses = near_tier.then(|| {
            Arc::new(NearResponses::new(
                module.resolve(),
                context.metrics.clone(),
                settings.near_cache.max_entries,
                settings.near_cache.ttl,
                settings.http.product_response_ttl,
            ))
        });
        Self {
            reads: Arc::new(ReadCounter::new(
                module.resolve(),
                settings.warming.sample_one_in,
            )),
            responses,
            frames: Arc::new(ProductFrames::default()),
            status: Arc::new(StatusSources {
                instance: instance.0.clone(),
                started: Instant::now(),
                feed: feed.clone(),
                relay: relay.clone(),
                outbox: module.resolve(),
            }),
            metrics: Arc::new(metrics(relay.clone(), feed.clone())),
            feed,
            relay,
            cursors: Arc::new(cursors),
        }
    }
}

/// `/metrics` with the counter families other layers keep.
fn metrics(relay: Arc<RelayCounters>, feed: Arc<EventFeed>) -> Metrics {
    Metrics::new(vec![
        CounterSource {
            name: "mongodb_errors",
            help: "Failed MongoDB calls by kind (timeout, unavailable, unexpected).",
            label: "kind",
            read: Arc::new(mongo::failure_counts),
        },
        CounterSource {
            name: "mongodb_transactions",
            help: "MongoDB write transactions of this process: finished (an answer \
                   reached) and retried (a try repeated after a write conflict).",
            label: "outcome",
            read: Arc::new(mongo::transaction_counts),
        },
        CounterSource {
            name: "product_events",
            help: "The event pipeline of this instance: events its relay published, \
                   outbox entries found already published, products whose cache it \
                   settled for another instance's write, relay failures, events its \
                   stream reader received, stream entries skipped as not events, \
                   subscribers disconnected for accepting nothing.",
            label: "outcome",
            read: event_counts(relay, feed),
        },
    ])
}

/// The event pipeline's counters for `/metrics`.
fn event_counts(relay: Arc<RelayCounters>, feed: Arc<EventFeed>) -> ReadCounters {
    use std::sync::atomic::Ordering::Relaxed;
    Arc::new(move || {
        vec![
            ("published", relay.published.load(Relaxed)),
            ("duplicate", relay.duplicates.load(Relaxed)),
            ("reconciled", relay.reconciled.load(Relaxed)),
            ("relay_failure", relay.failures.load(Relaxed)),
            ("received", feed.received.load(Relaxed)),
            ("unreadable", feed.unreadable.load(Relaxed)),
            ("subscriber_stalled", feed.stalled.load(Relaxed)),
        ]
    })
}
