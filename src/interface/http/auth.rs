//! Authentication: a middleware that resolves `Authorization: Bearer <token>` to a session
//! once per request, and extractors that require a user or an admin.

use std::future::{ready, Ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::AUTHORIZATION;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::error::ApiError;
use super::middleware::RateClient;
use crate::domain::user::{Session, SessionToken};
use crate::usecases::auth::{AuthError, AuthenticateUseCase};

/// The authenticated caller of this request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub session: Session,
    pub token: SessionToken,
}

/// Why a request that carried a token has no caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthFailure {
    Invalid,
    StoreUnavailable,
}

fn bearer(req: &ServiceRequest) -> Option<SessionToken> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256)
        .then(|| SessionToken::new(token.to_owned()))
}

/// Middleware factory: resolves the bearer token (if any) and records the outcome in the
/// request extensions for the extractors and the rate limiter.
#[derive(Clone)]
pub struct Authentication {
    authenticate: Arc<dyn AuthenticateUseCase>,
}

impl Authentication {
    pub fn new(authenticate: Arc<dyn AuthenticateUseCase>) -> Self {
        Self { authenticate }
    }
}

impl<S, B> Transform<S, ServiceRequest> for Authentication
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = AuthenticationMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(AuthenticationMiddleware {
            service: Rc::new(service),
            authenticate: self.authenticate.clone(),
        }))
    }
}

pub struct AuthenticationMiddleware<S> {
    service: Rc<S>,
    authenticate: Arc<dyn AuthenticateUseCase>,
}

impl<S, B> Service<ServiceRequest> for AuthenticationMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let authenticate = self.authenticate.clone();
        Box::pin(async move {
            if let Some(token) = bearer(&req) {
                match authenticate.execute(&token).await {
                    Ok(session) => {
                        req.extensions_mut()
                            .insert(RateClient(session.user_id.to_string()));
                        req.extensions_mut().insert(Caller { session, token });
                    }
                    Err(AuthError::Unavailable(_) | AuthError::Unexpected(_)) => {
                        req.extensions_mut().insert(AuthFailure::StoreUnavailable);
                    }
                    Err(_) => {
                        req.extensions_mut().insert(AuthFailure::Invalid);
                    }
                }
            }
            Ok(service.call(req).await?.map_into_boxed_body())
        })
    }
}

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
