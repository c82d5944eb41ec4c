//! Server-Sent Events: the frames, and the body stream that turns a feed subscription
//! into them, with heartbeats while nothing happens.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use actix_web::http::header::{HeaderValue, CACHE_CONTROL, CONTENT_ENCODING};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::Stream;
use serde::Serialize;

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

/// Turns events into frames, or skips them (`None`).
pub trait Audience: 'static {
    fn render(&mut self, event: &StoredEvent) -> impl std::future::Future<Output = Option<Bytes>>;
}

struct State<A> {
    subscription: Subscription,
    audience: A,
    heartbeat: tokio::time::Interval,
    preface: VecDeque<Bytes>,
}

/// The response for a subscription: the stream ends when the feed ends it (instance
/// shutting down, or the subscriber fell too far behind), and the client resumes with its
/// last id. `Content-Encoding: identity` keeps compression from buffering the frames.
pub fn response<A: Audience>(
    subscription: Subscription,
    audience: A,
    heartbeat: Duration,
) -> HttpResponse {
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat, heartbeat);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = State {
        preface: preface(subscription.replay_incomplete()),
        subscription,
        audience,
        heartbeat: interval,
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

fn frames<A: Audience>(state: State<A>) -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold(state, |mut state| async move {
        if let Some(frame) = state.preface.pop_front() {
            return Some((Ok(frame), state));
        }
        loop {
            tokio::select! {
                event = state.subscription.next() => {
                    let event = event.ok()?;
                    if let Some(frame) = state.audience.render(&event).await {
                        state.heartbeat.reset();
                        return Some((Ok(frame), state));
                    }
                }
                _ = state.heartbeat.tick() => {
                    return Some((Ok(Bytes::from_static(HEARTBEAT)), state));
                }
            }
        }
    })
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
