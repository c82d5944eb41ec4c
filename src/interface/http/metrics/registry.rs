//! The metrics registry: the families the HTTP layer counts, and the rendering of a scrape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::http::Method;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::cache_collector::CacheCollector;
use super::counter_source::{CounterSource, SourcesCollector};
use super::process_collector::ProcessCollector;
use crate::usecases::{CacheStatsReport, RateClass};

/// The media type of what `Metrics::render` writes.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Upper bounds of the latency buckets, in seconds: fine below 10 ms, where cached reads
/// land, coarse up to the 10 s a drained request may take.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Route templates (`/api/products/{id}`), never raw paths, so series stay bounded
/// whatever clients send; `unmatched` for paths no route knows.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RateLabels {
    class: &'static str,
    decision: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Methods outside the usual set are counted together, so a client inventing methods
/// cannot grow the series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Every request's latency in one histogram with the same buckets, kept beside the
/// per-route families for the status page (which shows the whole instance).
#[derive(Debug, Default)]
struct LatencyTotals {
    /// Requests per bucket (not cumulative); the last is above every bound.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
}

impl LatencyTotals {
    fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
    }
}

/// The counters this process keeps, built once at start-up and shared by the request
/// middleware and the `/metrics` handler.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    rate_limit: Family<RateLabels, Counter>,
    totals: LatencyTotals,
}

impl Metrics {
    /// `sources`: counters other layers keep, read at each scrape.
    pub fn new(sources: Vec<CounterSource>) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let rate_limit = Family::<RateLabels, Counter>::default();
        let mut registry = Registry::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        // The unit is in the name rather than a `# UNIT` line, which some parsers refuse
        // on histograms.
        registry.register(
            "http_request_duration_seconds",
            "Seconds from a request's arrival to its response head, by method and route template",
            latency.clone(),
        );
        registry.register(
            "rate_limit_decisions",
            "Rate-limit decisions by class and outcome (admitted or rejected)",
            rate_limit.clone(),
        );
        registry.register_collector(Box::new(ProcessCollector));
        registry.register_collector(Box::new(SourcesCollector(sources)));
        Self {
            registry,
            requests,
            latency,
            rate_limit,
            totals: LatencyTotals::default(),
        }
    }

    /// One answered request. `route` is the matched template, `None` when nothing matched.
    pub fn request(&self, method: &Method, route: Option<String>, status: u16, took: Duration) {
        self.totals.observe(took);
        let method = method_label(method);
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        self.latency
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// One rate-limit decision.
    /// Requests so far by latency bucket, cumulative, as `(upper bound in seconds, count)`;
    /// the last bound is infinite.
    pub fn latency_totals(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        LATENCY_BUCKETS
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .zip(&self.totals.buckets)
            .map(|(bound, count)| {
                total += count.load(Ordering::Relaxed);
                (bound, total)
            })
            .collect()
    }

    pub fn rate_limit(&self, class: RateClass, admitted: bool) {
        let decision = if admitted { "admitted" } else { "rejected" };
        self.rate_limit
            .get_or_create(&RateLabels {
                class: class.as_str(),
                decision,
            })
            .inc();
    }

    /// The scrape: this registry, the process, and the cache counters of `report`.
    pub fn render(&self, report: CacheStatsReport) -> String {
        let mut scrape = Registry::default();
        scrape.register_collector(Box::new(CacheCollector(report)));
        let mut out = String::new();
        encode_registry(&mut out, &self.registry)
            .and_then(|()| encode_registry(&mut out, &scrape))
            .and_then(|()| encode_eof(&mut out))
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openmetrics_parser::openmetrics::parse_openmetrics;

    #[test]
    fn a_scrape_parses_and_carries_every_family() {
        let metrics = Metrics::new(vec![CounterSource {
            name: "mongodb_errors",
            help: "Failed MongoDB calls by kind.",
            label: "kind",
            read: std::sync::Arc::new(|| vec![("timeout", 2)]),
        }]);
        metrics.request(
            &Method::GET,
            Some("/api/products/{id}".to_owned()),
            200,
            Duration::from_micros(700),
        );
        metrics.request(
            &Method::from_bytes(b"BREW").unwrap(),
            None,
            404,
            Duration::ZERO,
        );
        metrics.rate_limit(RateClass::Auth, false);
        let text = metrics.render(CacheStatsReport::default());
        let parsed = parse_openmetrics(&text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        for family in [
            "http_requests",
            "http_request_duration_seconds",
            "rate_limit_decisions",
            "mongodb_errors",
            "process_resident_memory_bytes",
            "cache_hits",
            "redis_up",
        ] {
            assert!(
                parsed.families.contains_key(family),
                "{family} missing:\n{text}"
            );
        }
        assert!(text.contains(
            "http_requests_total{method=\"GET\",route=\"/api/products/{id}\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "http_requests_total{method=\"other\",route=\"unmatched\",status=\"404\"} 1"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{le=\"0.001\",method=\"GET\",route=\"/api/products/{id}\"} 1"
        ));
        assert!(text.contains("rate_limit_decisions_total{class=\"auth\",decision=\"rejected\"} 1"));
        assert!(text.contains("mongodb_errors_total{kind=\"timeout\"} 2"));
    }
}
