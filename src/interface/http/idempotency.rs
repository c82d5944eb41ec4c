//! The HTTP side of idempotency keys: the `Idempotency-Key` header read into the
//! `KeyedRequest` the write use cases take, and replays marked as such.
//!
//! A request's fingerprint is its method, path, `If-Match` and body (the SHA-256 of its
//! bytes, which `ApiJson` notes when a key is present), so a repeat must send the same
//! request byte for byte; the key's receipt is per account.

use actix_web::http::header::IF_MATCH;
use actix_web::{HttpMessage, HttpRequest, HttpResponseBuilder};

use super::error::{ApiError, FieldError};
use crate::domain::idempotency::{IdempotencyKey, KeyedRequest};
use crate::domain::user::UserId;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Marks an answer replayed from an earlier request's receipt.
pub const IDEMPOTENT_REPLAYED: &str = "Idempotent-Replayed";

/// The digest of a request body, noted by the body extractor when the request carries a key.
#[derive(Debug, Clone)]
pub struct BodyDigest(pub String);

/// Whether the request carries a key (so its body's digest is worth taking).
pub fn has_key(request: &HttpRequest) -> bool {
    request.headers().contains_key(IDEMPOTENCY_KEY)
}

/// The keyed request `request` makes for `account`, or `None` without the header; an
/// invalid key is a 400 naming the header.
pub fn keyed_request(
    request: &HttpRequest,
    account: &UserId,
) -> Result<Option<KeyedRequest>, ApiError> {
    let Some(raw) = request.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .and_then(|raw| IdempotencyKey::parse(raw).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid Idempotency-Key",
                vec![FieldError::new(
                    IDEMPOTENCY_KEY,
                    crate::domain::idempotency::InvalidIdempotencyKey,
                )],
            )
        })?;
    let if_match = request
        .headers()
        .get(IF_MATCH)
        .map_or(&b""[..], |value| value.as_bytes());
    let body = request
        .extensions()
        .get::<BodyDigest>()
        .map(|digest| digest.0.clone())
        .unwrap_or_default();
    let parts: [&[u8]; 4] = [
        request.method().as_str().as_bytes(),
        request.path().as_bytes(),
        if_match,
        body.as_bytes(),
    ];
    Ok(Some(KeyedRequest::new(account.as_str(), &key, &parts)))
}

/// Adds `Idempotent-Replayed: true` to an answer replayed from a receipt.
pub fn mark_replayed(response: &mut HttpResponseBuilder, replayed: bool) {
    if replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
}
