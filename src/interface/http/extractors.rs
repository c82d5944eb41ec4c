//! Extractors that require a caller: `CurrentUser` (any valid session) and `AdminUser`.
//! They read what the authentication middleware recorded; they never call a store.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use super::error::ApiError;
use super::middleware::{AuthFailure, Caller};

fn caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    if let Some(caller) = req.extensions().get::<Caller>() {
        return Ok(caller.clone());
    }
    match req.extensions().get::<AuthFailure>() {
        Some(AuthFailure::StoreUnavailable) => {
            Err(ApiError::Unavailable("session store unavailable".into()))
        }
        Some(AuthFailure::Invalid) => Err(ApiError::Unauthorized(
            "session is invalid or has expired".to_owned(),
        )),
        None => Err(ApiError::Unauthorized(
            "a bearer token is required".to_owned(),
        )),
    }
}

/// Any valid session.
pub struct CurrentUser(pub Caller);

impl FromRequest for CurrentUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller(req).map(CurrentUser))
    }
}

/// A valid session whose user has the admin role: 401 without a session, 403 without the role.
pub struct AdminUser(pub Caller);

impl FromRequest for AdminUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(caller(req).and_then(|caller| {
            if caller.session.is_admin() {
                Ok(AdminUser(caller))
            } else {
                Err(ApiError::Forbidden)
            }
        }))
    }
}
