//! Server-Sent Events: the frames, and the body stream that turns a feed subscription
//! into them, with heartbeats while nothing happens.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use actix_web::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_ENCODING};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::Stream;
use serde::Serialize;

use super::connection_socket::StreamSocket;
use crate::domain::event::{EventId, StoredEvent};
use crate::usecases::events::Subscription;

/// The media type of an event stream.
pub const EVENT_STREAM: &str = "text/event-stream";

/// One event: `id:`, `event:` and a one-line JSON `data:`.
pub fn frame(id: EventId, name: &str, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!("id: {id}\nevent: {name}\ndata: {json}\n\n"))
}

/// How the client reconnects (3 s), and an opening comment so proxies pass the head on.
fn preface(replay_incomplete: bool) -> VecDeque<Bytes> {
    let mut frames = VecDeque::from([Bytes::from_static(b"retry: 3000\n: connected\n\n")]);
    if replay_incomplete {
        frames.push_back(Bytes::from_static(
            b"event: replay-incomplete\ndata: {\"reason\":\"the resume point is older than the stream keeps\"}\n\n",
        ));
    }
    frames
}

const HEARTBEAT: &[u8] = b": heartbeat\n\n";

/// The last frame of a feed whose session ended; the stream closes after it (a client
/// that reconnects gets 401).
pub static SESSION_ENDED: Bytes = Bytes::from_static(
    b"event: session-ended\ndata: {\"reason\":\"the session that opened this feed ended (logged out, expired, or credentials changed)\"}\n\n",
);

/// Turns events into frames, or skips them (`None`).
pub trait Audience: 'static {
    fn render(&mut self, event: &StoredEvent) -> impl std::future::Future<Output = Option<Bytes>>;

    /// Resolves with a last frame when this audience's feed must end; never, unless an
    /// audience says otherwise. Dropped and called again between frames: it must keep its
    /// place.
    fn ended(&mut self) -> impl std::future::Future<Output = Bytes> {
        std::future::pending()
    }
}

/// The kernel send buffer of an event stream's socket (Linux doubles it). Small, so a
/// client that stops reading is noticed soon after (the server's own 32 KiB write buffer
/// fills next) and holds little kernel memory; 16 KiB in flight still carries hundreds of
/// events a second over a 100 ms round trip.
const SEND_BUFFER: usize = 8 * 1024;

/// When the body last handed a frame to the server without being asked for the next one
/// since: the server asks again at once unless the socket takes no more.
#[derive(Debug, Default)]
struct Progress(Mutex<Option<Instant>>);

impl Progress {
    fn handed_over(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
    }

    fn asked_again(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    fn stalled_for(&self) -> Duration {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map_or(Duration::ZERO, |at| at.elapsed())
    }
}

struct State<A> {
    subscription: Subscription,
    audience: A,
    heartbeat: tokio::time::Interval,
    preface: VecDeque<Bytes>,
    progress: Arc<Progress>,
    /// The audience's last frame was sent: the stream ends.
    finished: bool,
}

/// The response for a subscription: the stream ends when the feed ends it (instance
/// shutting down, or the subscriber fell too far behind), and the client resumes with its
/// last id. `Content-Encoding: identity` keeps compression from buffering the frames.
/// With the connection's `socket`, the client must accept what it is sent: one that takes
/// nothing for the feed's write timeout is disconnected, freeing its slot and buffers.
pub fn response<A: Audience>(
    subscription: Subscription,
    audience: A,
    socket: Option<StreamSocket>,
) -> HttpResponse {
    let settings = subscription.feed().settings();
    let heartbeat = settings.heartbeat;
    let progress = Arc::new(Progress::default());
    if let Some(socket) = socket {
        socket.limit_send_buffer(SEND_BUFFER);
        let feed = subscription.feed().clone();
        let watched = Arc::downgrade(&progress);
        tokio::spawn(async move {
            if cut_when_stalled(watched, &socket, settings.write_timeout).await {
                feed.stalled.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    timeout_ms = settings.write_timeout.as_millis() as u64,
                    "event subscriber accepted nothing for the write timeout; disconnected"
                );
            }
        });
    }
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = State {
        preface: preface(subscription.replay_incomplete()),
        subscription,
        audience,
        heartbeat: interval,
        progress,
        finished: false,
    };
    HttpResponse::Ok()
        .content_type(EVENT_STREAM)
        .insert_header((
            CACHE_CONTROL,
            HeaderValue::from_static("no-cache, no-store"),
        ))
        .insert_header((CONTENT_ENCODING, HeaderValue::from_static("identity")))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(frames(state))
}

/// Watches a body's `progress` until the body is dropped (`false`) or has waited
/// `timeout` for the server to take its next frame, when it cuts the `socket` (`true`).
async fn cut_when_stalled(
    progress: Weak<Progress>,
    socket: &StreamSocket,
    timeout: Duration,
) -> bool {
    let mut check = tokio::time::interval(
        (timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(1)),
    );
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        check.tick().await;
        let Some(progress) = progress.upgrade() else {
            return false;
        };
        if progress.stalled_for() >= timeout {
            socket.cut();
            return true;
        }
    }
}

fn frames<A: Audience>(state: State<A>) -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold(state, |mut state| async move {
        // Asked for the next frame: the last one was taken.
        state.progress.asked_again();
        let frame = next_frame(&mut state).await?;
        state.progress.handed_over();
        Some((Ok(frame), state))
    })
}

async fn next_frame<A: Audience>(state: &mut State<A>) -> Option<Bytes> {
    if let Some(frame) = state.preface.pop_front() {
        return Some(frame);
    }
    if state.finished {
        return None;
    }
    loop {
        tokio::select! {
            last = state.audience.ended() => {
                state.finished = true;
                return Some(last);
            }
            event = state.subscription.next() => {
                let event = event.ok()?;
                if let Some(frame) = state.audience.render(&event).await {
                    state.heartbeat.reset();
                    return Some(frame);
                }
            }
            _ = state.heartbeat.tick() => return Some(Bytes::from_static(HEARTBEAT)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_id_event_and_one_line_of_data() {
        let id = EventId {
            millis: 7,
            sequence: 1,
        };
        let frame = frame(id, "product.updated", &serde_json::json!({"a": "x\ny"}));
        assert_eq!(
            frame,
            Bytes::from_static(b"id: 7-1\nevent: product.updated\ndata: {\"a\":\"x\\ny\"}\n\n")
        );
    }
}
