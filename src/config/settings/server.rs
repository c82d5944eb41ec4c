//! How the process listens and logs: `APP_*`, `BODY_LIMIT_BYTES`, `LOG_FORMAT`.

use super::reader::Reader;
use super::{LogFormat, ServerSettings};

pub(super) fn server(r: &mut Reader) -> ServerSettings {
    let host = r.string("APP_HOST", "127.0.0.1");
    if host.parse::<std::net::IpAddr>().is_err() && host != "localhost" {
        r.invalid(format!(
            "APP_HOST must be an IP address or localhost, got {host:?}"
        ));
    }
    let port = r.parsed("APP_PORT", 8080_u16, "a port number 0-65535");
    let body_limit_bytes = r.parsed("BODY_LIMIT_BYTES", 64 * 1024_usize, "a byte count");
    if !(1024..=16 * 1024 * 1024).contains(&body_limit_bytes) {
        r.invalid("BODY_LIMIT_BYTES must be between 1024 and 16777216".to_owned());
    }
    let workers = match r.parsed("APP_WORKERS", 0_usize, "a thread count") {
        0 => None,
        n => Some(n),
    };
    ServerSettings {
        host,
        port,
        body_limit_bytes,
        workers,
    }
}

pub(super) fn log_format(r: &mut Reader) -> LogFormat {
    match r.string("LOG_FORMAT", "pretty").as_str() {
        "json" => LogFormat::Json,
        "pretty" => LogFormat::Pretty,
        other => {
            r.invalid(format!("LOG_FORMAT must be json or pretty, got {other:?}"));
            LogFormat::Pretty
        }
    }
}
