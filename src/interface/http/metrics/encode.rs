//! Small helpers for collectors that encode counts kept elsewhere.

use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;

pub(super) type Encoded = Result<(), std::fmt::Error>;

/// One unlabelled counter.
pub(super) fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Encoded {
    ConstCounter::new(value).encode(encoder.encode_descriptor(
        name,
        help,
        None,
        MetricType::Counter,
    )?)
}

/// A 0/1 gauge.
pub(super) fn flag(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: bool,
) -> Encoded {
    gauge(encoder, name, help, u64::from(value))
}

/// One unlabelled gauge.
pub(super) fn gauge(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Encoded {
    ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(encoder.encode_descriptor(
        name,
        help,
        None,
        MetricType::Gauge,
    )?)
}

/// A counter with one series per value of one label; nothing at all when there is no
/// series (a family without samples trips strict parsers).
pub(super) fn labelled(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    label: &'static str,
    series: impl IntoIterator<Item = (&'static str, u64)>,
) -> Encoded {
    let series: Vec<_> = series.into_iter().collect();
    if series.is_empty() {
        return Ok(());
    }
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (value, total) in series {
        ConstCounter::new(total).encode(family.encode_family(&[(label, value)])?)?;
    }
    Ok(())
}
