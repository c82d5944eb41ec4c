//! Counts product reads for cache warming (`ReadCounter` samples them), whoever answers:
//! the near tier, the response store or the handler. Only reads that found the product
//! count (200, or 304 for a client's own copy): reads of ids that do not exist would
//! otherwise grow the popularity set and take warming slots from real products.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::Error;
use futures_util::future::LocalBoxFuture;

use crate::domain::product::ProductId;
use crate::usecases::read_counter::ReadCounter;

/// The middleware function for the single-product resource.
pub fn count_reads<B>(
    reads: Arc<ReadCounter>,
) -> impl Fn(ServiceRequest, Next<B>) -> LocalBoxFuture<'static, Result<ServiceResponse<B>, Error>>
where
    B: MessageBody + 'static,
{
    move |req, next| {
        let sampled = (req.method() == Method::GET && reads.sampled())
            .then(|| req.match_info().get("id").map(ProductId::parse))
            .flatten()
            .and_then(Result::ok);
        let reads = reads.clone();
        Box::pin(async move {
            let response = next.call(req).await?;
            let found = matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED);
            if let (Some(id), true) = (sampled, found) {
                reads.note(&id);
            }
            Ok(response)
        })
    }
}
