//! `ApiJson<T>`: the body extractor. Unlike actix's `Json`, it tells apart the failures a
//! client needs to fix differently: wrong content type (415), too large (413), not JSON
//! at all (400), and JSON of the wrong shape (422 naming the field).

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::error::{ApiError, FieldError};
use super::idempotency::{has_key, BodyDigest};
use crate::domain::digest::sha256_hex;

/// Largest accepted request body, in bytes; registered as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

pub struct ApiJson<T>(pub T);

impl<T> Deref for ApiJson<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// serde_json appends " at line L column C"; the field path already says where.
fn without_position(message: String) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            Category::Data => {
                let field = if path == "." { "body".to_owned() } else { path };
                ApiError::validation(vec![FieldError::new(
                    field,
                    without_position(inner.to_string()),
                )])
            }
            Category::Syntax | Category::Eof | Category::Io => {
                ApiError::bad_request(format!("malformed JSON: {inner}"), Vec::new())
            }
        }
    })?;
    deserializer
        .end()
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}"), Vec::new()))?;
    Ok(value)
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map_or(64 * 1024, |l| l.0);
        let json = is_json(req);
        let too_large = declared_length(req).is_some_and(|len| len > limit);
        let mut payload = payload.take();
        let keyed = has_key(req).then(|| req.clone());
        Box::pin(async move {
            if too_large {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::bad_request(format!("unreadable body: {e}"), Vec::new())
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            if let Some(req) = keyed {
                req.extensions_mut()
                    .insert(BodyDigest(sha256_hex(&body, 32)));
            }
            parse(&body).map(ApiJson)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        price: Option<f64>,
    }

    #[test]
    fn classifies_failures() {
        assert!(matches!(
            parse::<Body>(b"{"),
            Err(ApiError::BadRequest { .. })
        ));
        assert!(matches!(
            parse::<Body>(b"{} x"),
            Err(ApiError::BadRequest { .. })
        ));
        let Err(ApiError::Unprocessable { errors, .. }) = parse::<Body>(br#"{"price":"x"}"#) else {
            panic!("expected 422");
        };
        assert_eq!(errors[0].field, "price");
        assert!(!errors[0].message.contains("line"));
        let Err(ApiError::Unprocessable { errors, .. }) = parse::<Body>(br#"{"prcie":1}"#) else {
            panic!("expected 422");
        };
        assert!(errors[0].message.contains("unknown field"), "{errors:?}");
    }
}
