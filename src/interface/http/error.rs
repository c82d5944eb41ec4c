//! The one API error type and its mapping to HTTP. Every failure a client can see passes
//! through here, so the envelope and status codes are decided in one place, and causes of
//! 500/503 are logged exactly once, with their chain, and never sent to the client.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::error::BoxError;
use crate::usecases::auth::AuthError;
use crate::usecases::ProductError;

/// One failing field of a request.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    /// Field name, JSON path (`images[2]`) or query parameter.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// The error envelope: `{"status":"error","message":...,"errors":[...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Always `error`.
    #[schema(example = "error")]
    pub status: &'static str,
    pub message: String,
    /// Present only when individual fields failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        message: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("this needs the admin role")]
    Forbidden,
    #[error("{0}")]
    Conflict(String),
    /// A request like this one is being handled; the client may retry shortly.
    #[error("{0}")]
    InProgress(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("none of the media types in Accept can be produced here")]
    NotAcceptable,
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("request body must be application/json")]
    UnsupportedMediaType,
    #[error("too many requests, retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: i64 },
    #[error("{message}")]
    Unprocessable {
        message: String,
        errors: Vec<FieldError>,
    },
    #[error("a required service is unavailable, try again shortly")]
    Unavailable(#[source] BoxError),
    #[error("internal server error")]
    Internal(#[source] BoxError),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>, errors: Vec<FieldError>) -> Self {
        Self::BadRequest {
            message: message.into(),
            errors,
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self::Unprocessable {
            message: "validation failed".to_owned(),
            errors,
        }
    }

    fn field_errors(&self) -> Option<Vec<FieldError>> {
        match self {
            Self::BadRequest { errors, .. } | Self::Unprocessable { errors, .. }
                if !errors.is_empty() =>
            {
                Some(errors.clone())
            }
            _ => None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Conflict(_) | Self::InProgress(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Unavailable(_) => {
                tracing::warn!(error = %crate::domain::error::error_chain(self), "dependency unavailable")
            }
            Self::Internal(_) => {
                tracing::error!(error = %crate::domain::error::error_chain(self), "internal error")
            }
            _ => {}
        }
        let body = ErrorBody {
            status: "error",
            message: self.to_string(),
            errors: self.field_errors(),
        };
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::Unavailable(_) | Self::InProgress(_)) {
            response.insert_header(("Retry-After", "1"));
        }
        if let Self::TooManyRequests { retry_after_secs } = self {
            response.insert_header(("Retry-After", retry_after_secs.to_string()));
        }
        if matches!(self, Self::Unauthorized(_)) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        response.json(body)
    }
}

impl From<ProductError> for ApiError {
    fn from(error: ProductError) -> Self {
        match error {
            ProductError::NotFound => Self::NotFound("product not found".to_owned()),
            ProductError::VersionMismatch => Self::PreconditionFailed(
                "product was changed since the version in If-Match".to_owned(),
            ),
            ProductError::NothingToUpdate => Self::Unprocessable {
                message: "update must change at least one field".to_owned(),
                errors: Vec::new(),
            },
            ProductError::KeyReused => Self::Unprocessable {
                message: error.to_string(),
                errors: vec![FieldError::new(
                    crate::interface::http::idempotency::IDEMPOTENCY_KEY,
                    "was first used with another method, path or body",
                )],
            },
            ProductError::KeyInFlight => Self::InProgress(error.to_string()),
            ProductError::SkuTaken { .. } => Self::Conflict(error.to_string()),
            ProductError::Busy => Self::TooManyRequests {
                retry_after_secs: 5,
            },
            ProductError::Unavailable(source) => Self::Unavailable(source),
            ProductError::Unexpected(source) => Self::Internal(source),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::InvalidCredentials => {
                Self::Unauthorized(AuthError::InvalidCredentials.to_string())
            }
            AuthError::Unauthenticated => {
                Self::Unauthorized("a valid session is required".to_owned())
            }
            AuthError::EmailTaken => Self::Conflict(AuthError::EmailTaken.to_string()),
            AuthError::Busy => Self::TooManyRequests {
                retry_after_secs: 1,
            },
            AuthError::Throttled { retry_after } => Self::TooManyRequests {
                retry_after_secs: i64::try_from(retry_after.as_millis().div_ceil(1000))
                    .unwrap_or(i64::MAX)
                    .max(1),
            },
            AuthError::Unavailable(source) => Self::Unavailable(source),
            AuthError::Unexpected(source) => Self::Internal(source),
        }
    }
}

/// The `validator` crate's report as one 422 with an entry per failing field.
impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        let mut fields: Vec<FieldError> = errors
            .field_errors()
            .into_iter()
            .flat_map(|(field, errors)| {
                errors.iter().map(move |e| {
                    let message = e
                        .message
                        .as_ref()
                        .map_or_else(|| e.code.to_string(), ToString::to_string);
                    FieldError::new(field.to_string(), message)
                })
            })
            .collect();
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        Self::validation(fields)
    }
}
