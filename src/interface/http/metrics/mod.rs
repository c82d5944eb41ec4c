//! Operator metrics in the Prometheus/OpenMetrics text format, through `prometheus-client`.
//!
//! What the HTTP layer observes itself (requests, latencies, rate-limit decisions, requests
//! failed by MongoDB) is counted in one registry built at start-up (`Metrics`); numbers kept
//! elsewhere (cache layers, the process) are read at scrape time by collectors, so each
//! number has exactly one source. Every name is listed in `docs/OPERATIONS.md`.

mod access;
mod cache_collector;
mod counter_source;
mod encode;
mod process_collector;
mod registry;

pub use access::{MetricsAccess, MetricsToken};
pub use counter_source::{CounterSource, ReadCounters};
pub use registry::{Metrics, CONTENT_TYPE};
