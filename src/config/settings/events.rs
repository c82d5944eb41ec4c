//! Product events: the stream's bound and retention, the outbox relay's pacing, the
//! feed's limits (`EVENTS_*`, `OUTBOX_*`).

use super::reader::Reader;
use super::EventSettings;
use crate::usecases::events::{FeedSettings, RelaySettings};

pub(super) fn events(r: &mut Reader) -> EventSettings {
    let relay = RelaySettings::default();
    let feed = FeedSettings::default();

    EventSettings {
        stream_max_len: r.count("EVENTS_STREAM_MAX_LEN", 10_000, 100, 10_000_000),
        retention: r.seconds("EVENTS_RETENTION_SECS", 86_400, 60, 90 * 86_400),
        relay: RelaySettings {
            poll: r.millis("OUTBOX_POLL_MS", relay.poll.as_millis() as u64, 10, 60_000),
            grace: r.millis(
                "OUTBOX_GRACE_MS",
                relay.grace.as_millis() as u64,
                0,
                600_000,
            ),
            ..relay
        },
        feed: FeedSettings {
            max_connections: r.count(
                "EVENTS_MAX_CONNECTIONS",
                feed.max_connections as u64,
                1,
                1_000_000,
            ) as usize,
            max_per_client: r.count(
                "EVENTS_MAX_PER_CLIENT",
                feed.max_per_client as u64,
                1,
                10_000,
            ) as usize,
            heartbeat: r.millis(
                "EVENTS_HEARTBEAT_MS",
                feed.heartbeat.as_millis() as u64,
                100,
                600_000,
            ),
            write_timeout: r.millis(
                "EVENTS_WRITE_TIMEOUT_MS",
                feed.write_timeout.as_millis() as u64,
                100,
                600_000,
            ),
            replay_max: r.count("EVENTS_REPLAY_MAX", feed.replay_max as u64, 1, 10_000_000)
                as usize,
            ..feed
        },
    }
}
