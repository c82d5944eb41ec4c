use actix_web::http::header::CACHE_CONTROL;
use actix_web::{web, HttpRequest, HttpResponse};
use shaku_actix::Inject;

use super::products::MessageOnly;
use super::ApiModule;
use crate::interface::http::client_address::ClientAddressPolicy;
use crate::interface::http::dto::{
    Envelope, LoginRequest, LoginResponse, LogoutAllResponse, RegisterRequest, SessionResponse,
    UserResponse,
};
use crate::interface::http::error::{ApiError, ErrorBody};
use crate::interface::http::extractors::CurrentUser;
use crate::interface::http::json::ApiJson;
use crate::usecases::auth::{LoginUseCase, LogoutUseCase, RegisterUserUseCase};

module_part!(
    /// What these handlers resolve from the DI module.
    AuthModule: dyn LoginUseCase, dyn LogoutUseCase, dyn RegisterUserUseCase
);

/// These handlers' part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(register, login, session, logout, logout_all))]
pub struct AuthPaths;

/// Creates a customer account.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = Envelope<UserResponse>),
        (status = 409, description = "E-mail already registered", body = ErrorBody),
        (status = 422, description = "A field failed validation", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
    ))]
pub async fn register<M: ApiModule>(
    register: Inject<M, dyn RegisterUserUseCase>,
    body: ApiJson<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, password, name) = body.0.parse()?;
    let user = register.execute(email, password, name).await?;
    Ok(HttpResponse::Created().json(Envelope::new(UserResponse::from(user), "registered")))
}

/// Opens a session; send the token as `Authorization: Bearer <token>`.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Envelope<LoginResponse>),
        (status = 401, description = "Invalid e-mail or password", body = ErrorBody),
        (status = 422, description = "A field failed validation", body = ErrorBody),
        (status = 429, description = "Too many attempts", body = ErrorBody),
        (status = 503, description = "Session store unavailable", body = ErrorBody),
    ))]
pub async fn login<M: ApiModule>(
    req: HttpRequest,
    login: Inject<M, dyn LoginUseCase>,
    addresses: web::Data<ClientAddressPolicy>,
    body: ApiJson<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, password) = body.0.parse()?;
    let result = login.execute(email, password, &addresses.of(&req)).await?;
    let data = LoginResponse {
        token: result.token.expose().to_owned(),
        expires_at: result.session.expires_at,
        user: result.user.into(),
    };
    // The body holds a bearer token: no cache between here and the client may keep it.
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(Envelope::new(data, "logged in")))
}

/// The caller's session.
#[utoipa::path(get, path = "/api/auth/session", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "The current session", body = Envelope<SessionResponse>),
        (status = 401, description = "No valid session", body = ErrorBody),
    ))]
pub async fn session(user: CurrentUser) -> HttpResponse {
    HttpResponse::Ok().json(Envelope::new(
        SessionResponse::from(user.0.session),
        "session retrieved",
    ))
}

/// Ends the caller's session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Logged out", body = MessageOnly),
        (status = 401, description = "No valid session", body = ErrorBody),
    ))]
pub async fn logout<M: ApiModule>(
    logout: Inject<M, dyn LogoutUseCase>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    logout
        .this_session(&user.0.token, &user.0.session.user_id)
        .await?;
    Ok(HttpResponse::Ok().json(MessageOnly {
        status: "success",
        message: "logged out".to_owned(),
    }))
}

/// Ends every session of the caller's user.
#[utoipa::path(post, path = "/api/auth/logout-all", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "All sessions ended", body = Envelope<LogoutAllResponse>),
        (status = 401, description = "No valid session", body = ErrorBody),
    ))]
pub async fn logout_all<M: ApiModule>(
    logout: Inject<M, dyn LogoutUseCase>,
    user: CurrentUser,
) -> Result<HttpResponse, ApiError> {
    let ended = logout.all_sessions(&user.0.session.user_id).await?;
    Ok(HttpResponse::Ok().json(Envelope::new(
        LogoutAllResponse { ended },
        "all sessions ended",
    )))
}
