//! Compression of answers made per request, and the ETag bookkeeping of every coding.
//!
//! Each request's coding is chosen once here (`Encoding` in the request's extensions), so
//! the response cache can replay a variant it compressed once instead of this layer
//! compressing the same bytes again. What arrives here already encoded (a replayed
//! variant, an event stream marked `identity`) passes untouched. Everything else that is
//! compressible, of known size and at least `MIN_BYTES` is compressed at the per-request
//! effort; streams pass plain, so no answer is ever held back to be compressed.
//!
//! A variant carries its own ETag (`"abc-br"`). Preconditions arrive with whichever variant
//! the client holds; `conditional.rs` judges any variant's tag as the answer's own, and a
//! 304 leaves here with the tag of the variant the client would have been sent.

use actix_web::body::{to_bytes, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderMap, HeaderValue, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, VARY,
};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::Error;
use actix_web::HttpMessage;

use crate::interface::http::encoding::{compress, Effort, Encoding};

/// Below this a body is sent plain: the coding's framing eats most of the saving.
pub const MIN_BYTES: usize = 1024;
/// Above this a body made per request is sent plain rather than held twice in memory.
const MAX_BYTES: usize = 8 * 1024 * 1024;

pub async fn compression(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let encoding = Encoding::preferred(req.headers());
    req.extensions_mut().insert(encoding);
    let response = next.call(req).await?.map_into_boxed_body();
    encode(response, encoding).await
}

/// Media types worth compressing: JSON, text, scripts, SVG.
fn compressible(headers: &HeaderMap) -> bool {
    let Some(kind) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let starts = |prefix: &str| {
        kind.get(..prefix.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
    };
    starts("text/")
        || starts("application/json")
        || starts("application/problem+json")
        || starts("application/javascript")
        || starts("image/svg+xml")
}

async fn encode(
    mut response: ServiceResponse<BoxBody>,
    encoding: Encoding,
) -> Result<ServiceResponse<BoxBody>, Error> {
    if response.status() == StatusCode::NOT_MODIFIED {
        tag_etag(response.headers_mut(), encoding);
        vary(response.headers_mut());
        return Ok(response);
    }
    if !compressible(response.headers()) {
        return Ok(response);
    }
    vary(response.headers_mut());
    if encoding == Encoding::Identity || response.headers().contains_key(CONTENT_ENCODING) {
        return Ok(response);
    }
    let size = match response.response().body().size() {
        BodySize::Sized(size) => usize::try_from(size).unwrap_or(usize::MAX),
        _ => return Ok(response),
    };
    if !(MIN_BYTES..=MAX_BYTES).contains(&size) {
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let plain = to_bytes(body)
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
    let Some(packed) = compress(encoding, &plain, Effort::PerRequest) else {
        return Ok(ServiceResponse::new(
            request,
            head.set_body(plain).map_into_boxed_body(),
        ));
    };
    let headers = head.headers_mut();
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
    headers.remove(CONTENT_LENGTH);
    tag_etag(headers, encoding);
    Ok(ServiceResponse::new(
        request,
        head.set_body(packed).map_into_boxed_body(),
    ))
}

/// The ETag of the variant in `encoding`.
fn tag_etag(headers: &mut HeaderMap, encoding: Encoding) {
    let Some(etag) = headers.get(ETAG).and_then(|v| v.to_str().ok()) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&encoding.tag(etag)) {
        headers.insert(ETAG, value);
    }
}

/// `Vary: Accept-Encoding`, once.
pub fn vary(headers: &mut HeaderMap) {
    let present = headers
        .get_all(VARY)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| v.trim().eq_ignore_ascii_case("accept-encoding"));
    if !present {
        headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    }
}
