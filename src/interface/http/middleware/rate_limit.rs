//! Distributed rate limiting: one atomic check per request against the shared limiter (the
//! in-process one while Redis is down), `X-RateLimit-*` on every limited response, and 429
//! with `Retry-After` in the error envelope when a client is over its limit.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError};
use futures_util::future::LocalBoxFuture;

use crate::domain::ports::RateDecision;
use crate::interface::http::client_address::ClientAddressPolicy;
use crate::interface::http::error::ApiError;
use crate::usecases::{RateClass, RateLimitUseCase};

const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// Who is asking, as set by authentication; rate limits key on it when present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateClient(pub String);

/// The decision taken for a request, left on its response for `record_request` to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateOutcome {
    pub class: RateClass,
    pub admitted: bool,
}

/// Picks the class of a request, or `None` to leave it unlimited.
pub type Classifier = fn(&ServiceRequest) -> Option<RateClass>;

/// GETs and HEADs are reads, everything else writes.
pub fn by_method(req: &ServiceRequest) -> Option<RateClass> {
    if matches!(*req.method(), Method::GET | Method::HEAD) {
        Some(RateClass::Read)
    } else {
        Some(RateClass::Write)
    }
}

/// Every request is an `auth` request (login, register).
pub fn auth_class(_: &ServiceRequest) -> Option<RateClass> {
    Some(RateClass::Auth)
}

fn headers(map: &mut HeaderMap, decision: &RateDecision) {
    let reset_secs = (decision.reset_at_ms + 999).div_euclid(1000);
    map.insert(LIMIT, HeaderValue::from(decision.limit));
    map.insert(REMAINING, HeaderValue::from(decision.remaining));
    map.insert(RESET, HeaderValue::from(reset_secs));
}

/// The client key: the authenticated user when known, else the client's address (see
/// `ClientAddressPolicy`: `X-Forwarded-For` only through trusted proxies). `auth` requests
/// (login, register) are always keyed by address: keyed by a session user, any self-made
/// account would buy a fresh login quota by sending its own token along.
fn client(req: &ServiceRequest, class: RateClass, addresses: &ClientAddressPolicy) -> String {
    if class != RateClass::Auth {
        if let Some(RateClient(user)) = req.extensions().get::<RateClient>() {
            return format!("user:{user}");
        }
    }
    format!("ip:{}", addresses.of(req.request()))
}

/// How one scope is limited: the limiter, which class each request belongs to, and how
/// client addresses are found.
#[derive(Clone)]
pub struct RateLimit {
    limiter: Arc<dyn RateLimitUseCase>,
    classify: Classifier,
    addresses: Arc<ClientAddressPolicy>,
}

impl RateLimit {
    pub fn new(
        limiter: Arc<dyn RateLimitUseCase>,
        classify: Classifier,
        addresses: Arc<ClientAddressPolicy>,
    ) -> Self {
        Self {
            limiter,
            classify,
            addresses,
        }
    }
}

/// The middleware function over `config`, for `.wrap(from_fn(rate_limit(..)))`.
pub fn rate_limit<B>(
    config: RateLimit,
) -> impl Fn(ServiceRequest, Next<B>) -> LocalBoxFuture<'static, Result<ServiceResponse<BoxBody>, Error>>
where
    B: MessageBody + 'static,
{
    move |req, next| Box::pin(limit(config.clone(), req, next))
}

async fn limit<B: MessageBody + 'static>(
    config: RateLimit,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(class) = (config.classify)(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let who = client(&req, class, &config.addresses);
    let decision = config.limiter.check(class, &who).await;
    if !decision.allowed {
        let retry_after = (decision.retry_after_ms + 999) / 1000;
        let mut response = ApiError::TooManyRequests {
            retry_after_secs: retry_after,
        }
        .error_response();
        headers(response.headers_mut(), &decision);
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(retry_after));
        response.extensions_mut().insert(RateOutcome {
            class,
            admitted: false,
        });
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    headers(response.headers_mut(), &decision);
    response
        .response_mut()
        .extensions_mut()
        .insert(RateOutcome {
            class,
            admitted: true,
        });
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::test::{call_service, init_service, read_body_json, TestRequest};
    use actix_web::{web, App, HttpResponse};
    use std::sync::atomic::{AtomicU32, Ordering};

    struct CountingLimiter {
        limit: u32,
        used: AtomicU32,
    }

    #[async_trait::async_trait]
    impl RateLimitUseCase for CountingLimiter {
        async fn check(&self, _: RateClass, _: &str) -> RateDecision {
            let used = self.used.load(Ordering::SeqCst);
            let allowed = used < self.limit;
            if allowed {
                self.used.fetch_add(1, Ordering::SeqCst);
            }
            RateDecision {
                allowed,
                limit: self.limit,
                remaining: self.limit - used - u32::from(allowed),
                reset_at_ms: 1_700_000_000_500,
                retry_after_ms: if allowed { 0 } else { 1_500 },
            }
        }
    }

    #[actix_web::test]
    async fn limits_with_headers_and_envelope() {
        let limiter = Arc::new(CountingLimiter {
            limit: 2,
            used: AtomicU32::new(0),
        });
        let app = init_service(
            App::new()
                .wrap(from_fn(rate_limit(RateLimit::new(
                    limiter,
                    by_method,
                    Arc::default(),
                ))))
                .route("/x", web::get().to(HttpResponse::Ok)),
        )
        .await;
        for remaining in ["1", "0"] {
            let ok = call_service(&app, TestRequest::get().uri("/x").to_request()).await;
            assert_eq!(ok.status(), 200);
            assert_eq!(
                ok.headers().get("x-ratelimit-remaining").unwrap(),
                remaining
            );
            assert_eq!(ok.headers().get("x-ratelimit-limit").unwrap(), "2");
            assert_eq!(ok.headers().get("x-ratelimit-reset").unwrap(), "1700000001");
        }
        let limited = call_service(&app, TestRequest::get().uri("/x").to_request()).await;
        assert_eq!(limited.status(), 429);
        assert_eq!(limited.headers().get("retry-after").unwrap(), "2");
        let body: serde_json::Value = read_body_json(limited).await;
        assert_eq!(body["status"], "error");
    }
}
