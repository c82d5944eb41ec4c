//! Resolves `Authorization: Bearer <token>` to a session once per request and records the
//! outcome in the request extensions, for the extractors (`CurrentUser`, `AdminUser`) and
//! for the rate limiter's client key. It never answers a request itself: whether a route
//! needs a session is the route's extractors' business.
//!
//! Every answer to a request that carried `Authorization` is personal (a session, a
//! wishlist, an admin view), so it is marked `Cache-Control: no-store`: no shared or
//! browser cache may keep it or replay it to someone else.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, AUTHORIZATION, CACHE_CONTROL};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use futures_util::future::LocalBoxFuture;

use super::rate_limit::RateClient;
use crate::domain::user::{Session, SessionToken};
use crate::interface::http::bearer::bearer_token;
use crate::usecases::auth::{AuthError, AuthenticateUseCase};

/// The authenticated caller of this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: Session,
    pub token: SessionToken,
}

/// Why a request that carried a token has no caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Invalid,
    StoreUnavailable,
}

/// A session token is at most 256 bytes; anything longer is not looked up.
fn bearer(req: &ServiceRequest) -> Option<SessionToken> {
    bearer_token(req.headers())
        .filter(|token| token.len() <= 256)
        .map(|token| SessionToken::new(token.to_owned()))
}

/// The middleware function over `authenticate`, for `.wrap(from_fn(authentication(..)))`.
pub fn authentication<B>(
    authenticate: Arc<dyn AuthenticateUseCase>,
) -> impl Fn(ServiceRequest, Next<B>) -> LocalBoxFuture<'static, Result<ServiceResponse<B>, Error>>
where
    B: MessageBody + 'static,
{
    move |req, next| {
        let authenticate = authenticate.clone();
        Box::pin(async move {
            let personal = req.headers().contains_key(AUTHORIZATION);
            if let Some(token) = bearer(&req) {
                let outcome = authenticate.execute(&token).await;
                let mut extensions = req.extensions_mut();
                match outcome {
                    Ok(session) => {
                        extensions.insert(RateClient(session.user_id.to_string()));
                        extensions.insert(Caller { session, token });
                    }
                    Err(AuthError::Unavailable(_) | AuthError::Unexpected(_)) => {
                        extensions.insert(AuthFailure::StoreUnavailable);
                    }
                    Err(_) => {
                        extensions.insert(AuthFailure::Invalid);
                    }
                }
            }
            let mut response = next.call(req).await?;
            if personal {
                response
                    .headers_mut()
                    .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            }
            Ok(response)
        })
    }
}
