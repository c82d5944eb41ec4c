//! The HTTP edge: rate limits (`RATE_LIMIT_*`), CORS, proxies and client addresses,
//! the product response cache's TTL and what downstream caches are told, and who may read
//! metrics.

use super::reader::Reader;
use crate::domain::cache::CachePolicy;
use crate::interface::http::client_address::ClientAddressPolicy;
use crate::interface::http::metrics::{MetricsAccess, MetricsToken};
use crate::interface::http::HttpSettings;
use crate::usecases::RateLimits;

pub(super) fn rate_limits(r: &mut Reader) -> RateLimits {
    let limits = RateLimits::default();
    RateLimits {
        read: r.rate("RATE_LIMIT_READ", limits.read),
        write: r.rate("RATE_LIMIT_WRITE", limits.write),
        auth: r.rate("RATE_LIMIT_AUTH", limits.auth),
    }
}

pub(super) fn http(r: &mut Reader, cache: &CachePolicy) -> HttpSettings {
    let cors_origins: Vec<String> = r
        .string("CORS_ALLOWED_ORIGINS", "")
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    for origin in cors_origins
        .iter()
        .filter(|o| !crate::interface::http::cors::is_origin(o))
    {
        r.invalid(format!(
            "CORS_ALLOWED_ORIGINS entries must look like https://host[:port], got {origin:?}"
        ));
    }
    let trust_proxy = r.parsed("TRUST_PROXY", false, "true or false");
    let mut trusted_proxies = Vec::new();
    for net in r
        .string("TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        match net.parse::<ipnet::IpNet>() {
            Ok(net) => trusted_proxies.push(net),
            Err(_) => r.invalid(format!(
                "TRUSTED_PROXIES entries must be CIDR blocks like 10.0.0.0/8, got {net:?}"
            )),
        }
    }
    let client_addresses = ClientAddressPolicy {
        trusted_proxies: if trust_proxy {
            trusted_proxies
        } else {
            Vec::new()
        },
    };
    HttpSettings {
        cors_origins,
        client_addresses,
        product_response_ttl: r.seconds("HTTP_CACHE_TTL_PRODUCT_SECS", 60, 1, 86_400),
        stale_if_error: cache.stale_if_error,
        metrics_access: MetricsAccess(
            Some(r.string("METRICS_TOKEN", ""))
                .filter(|token| !token.is_empty())
                .map(|token| MetricsToken::new(token.trim())),
        ),
    }
}
