//! `HEAD` on every `GET` route: the request is served as the `GET` it asks about, so it
//! passes the same rate limit, cache and handler and gets the same headers. The HTTP/1
//! codec decided at decode time that the request was a `HEAD`, so it sends the headers and
//! never the body.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;

pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
