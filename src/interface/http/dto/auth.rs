use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::domain::user::{DisplayName, Email, Password, Role, Session, User};
use crate::interface::http::error::{ApiError, FieldError};

/// `POST /api/auth/register`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[validate(email(message = "must be a valid e-mail address"), length(max = 254))]
    #[schema(example = "ann@example.com")]
    pub email: String,
    /// 8–128 characters.
    #[validate(length(min = 8, max = 128, message = "must be between 8 and 128 characters"))]
    pub password: String,
    /// 1–100 characters after trimming; one line of visible text.
    pub name: Option<String>,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[validate(email(message = "must be a valid e-mail address"), length(max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 128, message = "must be between 1 and 128 characters"))]
    pub password: String,
}

/// Parses validated input into domain values.
fn credentials(email: &str, password: &str) -> Result<(Email, Password), ApiError> {
    let email =
        Email::parse(email).map_err(|e| ApiError::validation(vec![FieldError::new("email", e)]))?;
    let password = Password::parse(password)
        .map_err(|e| ApiError::validation(vec![FieldError::new("password", e)]))?;
    Ok((email, password))
}

impl RegisterRequest {
    pub fn parse(self) -> Result<(Email, Password, Option<String>), ApiError> {
        self.validate()?;
        let (email, password) = credentials(&self.email, &self.password)?;
        let name = self
            .name
            .map(|n| DisplayName::parse(&n))
            .transpose()
            .map_err(|e| ApiError::validation(vec![FieldError::new("name", e)]))?;
        Ok((email, password, name.map(DisplayName::into_string)))
    }
}

impl LoginRequest {
    /// Malformed input is a 422; a well-formed but wrong pair is the use case's 401.
    pub fn parse(self) -> Result<(Email, Password), ApiError> {
        self.validate()?;
        let email = Email::parse(&self.email)
            .map_err(|e| ApiError::validation(vec![FieldError::new("email", e)]))?;
        let password = Password::offered(&self.password)
            .map_err(|e| ApiError::validation(vec![FieldError::new("password", e)]))?;
        Ok((email, password))
    }
}

/// A user as the API shows it: never the password hash.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResponse {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
}

fn role_names(roles: &[Role]) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_owned()).collect()
}

impl From<User> for UserResponse {
    fn from(user: User) -> Self {
        Self {
            id: user.id.to_string(),
            email: user.email.as_str().to_owned(),
            name: user.name,
            roles: role_names(&user.roles),
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserResponse,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionUser {
    pub id: String,
    pub roles: Vec<String>,
}

/// `GET /api/auth/session`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionResponse {
    pub user: SessionUser,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl From<Session> for SessionResponse {
    fn from(session: Session) -> Self {
        Self {
            user: SessionUser {
                id: session.user_id.to_string(),
                roles: role_names(&session.roles),
            },
            created_at: session.created_at,
            last_seen_at: session.last_seen_at,
            expires_at: session.expires_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogoutAllResponse {
    /// Sessions ended.
    pub ended: u64,
}
