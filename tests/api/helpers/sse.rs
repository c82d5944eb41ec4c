//! A Server-Sent Events client for tests: reads frames off a streaming response.

use std::time::Duration;

use serde_json::Value;

use super::TestApp;

#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: Value,
}

pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// Subscribes to `path`, resuming after `last_id` when given; panics unless it is a 200
    /// event stream.
    pub async fn open(
        app: &TestApp,
        path: &str,
        last_id: Option<&str>,
        token: Option<&str>,
    ) -> Self {
        Self::from_response(Self::request(app, path, last_id, token).await)
    }

    /// Reads the events of a subscription's `response`; panics unless it is a 200 event
    /// stream.
    pub fn from_response(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), 200, "subscribe to {}", response.url());
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The raw response of a subscription attempt (for refusals).
    pub async fn request(
        app: &TestApp,
        path: &str,
        last_id: Option<&str>,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut request = app.client.get(app.url(path));
        if let Some(id) = last_id {
            request = request.header("Last-Event-ID", id);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request sent")
    }

    /// The next event (comments and `retry:` skipped), or `None` if none comes within
    /// `within` or the stream ends.
    pub async fn next(&mut self, within: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = parse(&block) {
                    return Some(event);
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }

    /// Events until `count` have come or `within` passes without one.
    pub async fn take(&mut self, count: usize, within: Duration) -> Vec<SseEvent> {
        let mut events = Vec::new();
        while events.len() < count {
            match self.next(within).await {
                Some(event) => events.push(event),
                None => break,
            }
        }
        events
    }
}

fn parse(block: &str) -> Option<SseEvent> {
    let (mut id, mut event, mut data) = (None, None, None);
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("id: ") {
            id = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("event: ") {
            event = Some(value.to_owned());
        } else if let Some(value) = line.strip_prefix("data: ") {
            data = Some(serde_json::from_str(value).expect("data is JSON"));
        }
    }
    Some(SseEvent {
        id,
        event: event?,
        data: data?,
    })
}
