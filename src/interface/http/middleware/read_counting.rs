//! Counts product reads for cache warming (`ReadCounter` samples them), whoever answers:
//! the near tier, the response store or the handler.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
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
        if req.method() == Method::GET && reads.sampled() {
            if let Some(Ok(id)) = req.match_info().get("id").map(ProductId::parse) {
                reads.note(&id);
            }
        }
        Box::pin(next.call(req))
    }
}
