//! The first few failed requests of a load test, kept with everything needed to name their
//! cause from a CI log alone: method and route, status, body, how long the request took,
//! its request id, and every line the service logged under that id.
//!
//! A load test records each unexpected answer here and puts `report()` into its assertion
//! message, so a count such as "1 5xx" never arrives without the request behind it.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::Response;

use super::logs::captured;

/// Failures kept in full; later ones are only counted by the test.
const KEPT: usize = 5;
/// Log lines shown per failure (the last ones: the outcome is logged at the end).
const LOG_LINES: usize = 30;
/// Characters of a body or a log line shown.
const SHOWN: usize = 600;

struct Failure {
    what: String,
    status: u16,
    took: Duration,
    request_id: String,
    body: String,
}

/// Failed requests of one run, the first `KEPT` in full.
#[derive(Default)]
pub struct Failures(Mutex<Vec<Failure>>);

impl Failures {
    /// Keeps `response` (reading its body) when fewer than `KEPT` are kept; `what` names
    /// the request as "METHOD route".
    pub async fn record(&self, what: &str, started: Instant, response: Response) {
        let took = started.elapsed();
        if self.0.lock().unwrap().len() >= KEPT {
            return;
        }
        let status = response.status().as_u16();
        let request_id = request_id(&response).unwrap_or("").to_owned();
        let body = response
            .text()
            .await
            .unwrap_or_else(|e| format!("<body unreadable: {e}>"));
        let mut kept = self.0.lock().unwrap();
        if kept.len() < KEPT {
            kept.push(Failure {
                what: what.to_owned(),
                status,
                took,
                request_id,
                body,
            });
        }
    }

    /// Each kept failure with the service's log lines for its request id; empty when
    /// nothing failed.
    pub fn report(&self) -> String {
        let kept = self.0.lock().unwrap();
        if kept.is_empty() {
            return String::new();
        }
        let logs = captured();
        let mut out = String::from("\nfailed requests (the first ones):");
        for failure in kept.iter() {
            let _ = write!(
                out,
                "\n- {} -> {} after {} ms, request id {}\n  body: {}",
                failure.what,
                failure.status,
                failure.took.as_millis(),
                if failure.request_id.is_empty() {
                    "<none>"
                } else {
                    &failure.request_id
                },
                clip(&failure.body),
            );
            let lines = service_log(&logs, &failure.request_id);
            let _ = write!(out, "\n  service log ({} lines for this id):", lines.len());
            let skipped = lines.len().saturating_sub(LOG_LINES);
            if skipped > 0 {
                let _ = write!(out, "\n    … {skipped} earlier lines");
            }
            for line in &lines[skipped..] {
                let _ = write!(out, "\n    {}", clip(line));
            }
        }
        out
    }
}

/// The id the service gave `response` (`X-Request-Id`).
pub fn request_id(response: &Response) -> Option<&str> {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
}

/// The captured lines that carry `request_id` (every line logged inside the request's
/// span does).
fn service_log<'a>(logs: &'a str, request_id: &str) -> Vec<&'a str> {
    if request_id.is_empty() {
        return Vec::new();
    }
    logs.lines().filter(|l| l.contains(request_id)).collect()
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clips_long_text_on_a_character_boundary() {
        let long = "é".repeat(SHOWN + 5);
        assert_eq!(clip(&long).chars().count(), SHOWN + 1);
        assert_eq!(clip("short"), "short");
    }

    #[test]
    fn finds_only_the_lines_of_one_request() {
        let logs = "{\"request_id\":\"a\",\"m\":1}\n{\"request_id\":\"b\"}\n{\"request_id\":\"a\",\"m\":2}";
        assert_eq!(service_log(logs, "a").len(), 2);
        assert!(service_log(logs, "").is_empty());
    }
}
