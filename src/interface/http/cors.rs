//! Cross-origin access for browser front ends: only the origins an operator lists in
//! `CORS_ALLOWED_ORIGINS` get `Access-Control-*` headers; with none listed (the default)
//! the middleware is not installed at all. A request from any other origin is served as if
//! CORS did not exist (no headers, so the browser withholds the answer from that page),
//! never refused, so same-origin pages and non-browser clients that send `Origin` work.

use actix_cors::Cors;
use actix_web::http::header::{self, HeaderName};

/// Response headers a front end may read besides the CORS-safelisted ones.
const EXPOSED: [&str; 10] = [
    "etag",
    "idempotent-replayed",
    "location",
    "retry-after",
    "x-cache",
    "x-data-source",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-request-id",
];

/// The CORS middleware for `origins` (already validated as `scheme://host[:port]`).
pub fn cors(origins: &[String]) -> Cors {
    let cors = origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::CACHE_CONTROL,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers(EXPOSED.map(HeaderName::from_static))
        .max_age(600);
    cors.block_on_origin_mismatch(false)
}

/// Whether `origin` is a browser origin: `http` or `https`, a host, an optional port, and
/// nothing else (no path, no trailing slash).
pub fn is_origin(origin: &str) -> bool {
    match url::Url::parse(origin) {
        Ok(url) => {
            matches!(url.scheme(), "http" | "https")
                && url.host_str().is_some()
                && url.origin().ascii_serialization() == origin
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bare_http_origins_are_accepted() {
        assert!(is_origin("https://shop.example.com"));
        assert!(is_origin("http://localhost:5173"));
        for bad in [
            "shop.example.com",
            "https://shop.example.com/",
            "https://shop.example.com/app",
            "ftp://shop.example.com",
            "*",
        ] {
            assert!(!is_origin(bad), "{bad}");
        }
    }
}
