//! Process metrics (CPU, memory, file descriptors, threads, start time), read from the
//! operating system at each scrape by `metrics-process`, under the names Prometheus'
//! own client libraries use, so stock dashboards work.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

#[derive(Debug)]
pub(super) struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let process = metrics_process::collector::collect();
        if let Some(seconds) = process.cpu_seconds_total {
            ConstCounter::new(seconds).encode(encoder.encode_descriptor(
                "process_cpu",
                "User and system CPU time spent.",
                Some(&Unit::Seconds),
                MetricType::Counter,
            )?)?;
        }
        let gauges = [
            (
                "process_resident_memory",
                "Resident memory size.",
                Some(Unit::Bytes),
                process.resident_memory_bytes,
            ),
            (
                "process_virtual_memory",
                "Virtual memory size.",
                Some(Unit::Bytes),
                process.virtual_memory_bytes,
            ),
            (
                "process_open_fds",
                "Open file descriptors.",
                None,
                process.open_fds,
            ),
            (
                "process_max_fds",
                "Limit on open file descriptors.",
                None,
                process.max_fds,
            ),
            (
                "process_threads",
                "Operating-system threads.",
                None,
                process.threads,
            ),
            (
                "process_start_time",
                "Start time since the Unix epoch.",
                Some(Unit::Seconds),
                process.start_time_seconds,
            ),
        ];
        for (name, help, unit, value) in gauges {
            if let Some(value) = value {
                ConstGauge::new(value).encode(encoder.encode_descriptor(
                    name,
                    help,
                    unit.as_ref(),
                    MetricType::Gauge,
                )?)?;
            }
        }
        Ok(())
    }
}
