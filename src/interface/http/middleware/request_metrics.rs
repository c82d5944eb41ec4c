//! Counts every answered request in `Metrics`: by method, route template and status, with
//! its latency, plus the rate-limit decision the limiter left on the response. Placed
//! outside every other layer but the request span, so CORS preflights, compressed
//! responses and rate-limit refusals are all counted.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use futures_util::future::LocalBoxFuture;

use super::rate_limit::RateOutcome;
use crate::interface::http::metrics::Metrics;

/// The middleware function over `metrics`, for `.wrap(from_fn(record_request(..)))`.
pub fn record_request<B>(
    metrics: Arc<Metrics>,
) -> impl Fn(ServiceRequest, Next<B>) -> LocalBoxFuture<'static, Result<ServiceResponse<B>, Error>>
where
    B: MessageBody + 'static,
{
    move |req, next| {
        let metrics = metrics.clone();
        Box::pin(async move {
            let started = Instant::now();
            let method = req.method().clone();
            let result = next.call(req).await;
            // The template read after routing: actix then finds it from the ids of the
            // resources the request passed through, without matching the path against
            // every route a second time (regular expressions included), as it must when
            // asked before routing. Unmatched paths are `None`; so is a request that
            // failed inside a middleware before any response was made.
            let (status, route) = match &result {
                Ok(response) => (response.status(), response.request().match_pattern()),
                Err(error) => (error.as_response_error().status_code(), None),
            };
            metrics.request(&method, route, status.as_u16(), started.elapsed());
            if let Ok(response) = &result {
                if let Some(outcome) = response.response().extensions().get::<RateOutcome>() {
                    metrics.rate_limit(outcome.class, outcome.admitted);
                }
            }
            result
        })
    }
}
