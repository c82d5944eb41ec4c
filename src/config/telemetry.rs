//! The one tracing subscriber set-up.

use tracing_subscriber::EnvFilter;

use super::LogFormat;

/// Installs the global subscriber: JSON lines for machines, human-readable otherwise.
/// `RUST_LOG` filters (default `info`). Safe to call twice: the second call does nothing.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}
