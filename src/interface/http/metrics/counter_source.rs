//! Counters another layer keeps, read at each scrape. Start-up wires them in (MongoDB
//! failures from the MongoDB adapter, say), so this layer never names an adapter.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;

use super::encode::{labelled, Encoded};

/// A labelled counter family whose values `read` returns as `(label value, total)`.
#[derive(Debug, Clone, Copy)]
pub struct CounterSource {
    pub name: &'static str,
    pub help: &'static str,
    pub label: &'static str,
    pub read: fn() -> Vec<(&'static str, u64)>,
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
