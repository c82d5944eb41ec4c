//! Counters another layer keeps, read at each scrape. Start-up wires them in (MongoDB
//! failures from the MongoDB adapter, say), so this layer never names an adapter.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use super::encode::{labelled, Encoded};

/// Reads a family's current values as `(label value, total)`.
pub type ReadCounters = std::sync::Arc<dyn Fn() -> Vec<(&'static str, u64)> + Send + Sync>;

/// A labelled counter family whose values `read` returns.
#[derive(Clone)]
pub struct CounterSource {
    pub name: &'static str,
    pub help: &'static str,
    pub label: &'static str,
    pub read: ReadCounters,
}

impl std::fmt::Debug for CounterSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterSource")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug)]
pub(super) struct SourcesCollector(pub Vec<CounterSource>);

impl Collector for SourcesCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Encoded {
        for source in &self.0 {
            labelled(
                &mut encoder,
                source.name,
                source.help,
                source.label,
                (source.read)(),
            )?;
        }
        Ok(())
    }
}
