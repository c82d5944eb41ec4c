//! What the response cache keeps and what it tells caches downstream of it.

use std::time::Duration;

use actix_web::http::header::HeaderValue;

/// How long a stored product response lives, and the `Cache-Control` of every cacheable
/// answer.
#[derive(Debug, Clone)]
pub struct ResponseCaching {
    pub(super) ttl: Duration,
    pub(super) cache_control: HeaderValue,
}

impl ResponseCaching {
    /// `ttl` for stored product responses; `stale_if_error`, the service's own bound on
    /// serving an answer past its TTL while MongoDB fails, is offered to downstream caches
    /// on the same terms.
    ///
    /// Browsers and shared caches may keep an answer but must revalidate it before each use
    /// (`no-cache`, answered by a 304 while the ETag holds): a `max-age` would let them show
    /// data older than a write that has returned. For the same reason there is no
    /// `stale-while-revalidate`: it would let them answer from their copy right after a
    /// write. `stale-if-error` only applies when this service cannot answer, which is when
    /// it would serve the same stale answer itself.
    pub fn new(ttl: Duration, stale_if_error: Duration) -> Self {
        let directives = match stale_if_error.as_secs() {
            0 => "public, no-cache".to_owned(),
            seconds => format!("public, no-cache, stale-if-error={seconds}"),
        };
        let cache_control = HeaderValue::from_str(&directives)
            .unwrap_or_else(|_| HeaderValue::from_static("public, no-cache"));
        Self { ttl, cache_control }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_stale_if_error_only_when_the_service_serves_stale_itself() {
        let with = ResponseCaching::new(Duration::from_secs(60), Duration::from_secs(300));
        assert_eq!(with.cache_control, "public, no-cache, stale-if-error=300");
        let without = ResponseCaching::new(Duration::from_secs(60), Duration::ZERO);
        assert_eq!(without.cache_control, "public, no-cache");
    }
}
