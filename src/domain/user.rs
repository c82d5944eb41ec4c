//! Users and sessions.

use std::fmt;

use chrono::{DateTime, Utc};

/// A user id: 24 hexadecimal digits, lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a 24-character hexadecimal id")]
pub struct UserIdError;

impl UserId {
    pub fn parse(raw: &str) -> Result<Self, UserIdError> {
        if raw.len() == 24 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(raw.to_ascii_lowercase()))
        } else {
            Err(UserIdError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, trimmed and lower-cased so uniqueness is case-insensitive. Its
/// `Debug` is redacted: e-mail addresses are personal data and must not reach logs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a valid e-mail address of at most 254 characters")]
pub struct EmailError;

impl Email {
    /// Structural check (one `@`, non-empty local part, dotted domain, no spaces); the
    /// DTO layer additionally applies the `validator` crate's HTML5 e-mail rule.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let value = raw.trim().to_lowercase();
        let (local, domain) = value.split_once('@').ok_or(EmailError)?;
        let valid = !local.is_empty()
            && value.len() <= 254
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !value.contains(char::is_whitespace)
            && !domain.contains('@');
        if valid {
            Ok(Self(value))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Email(<redacted>)")
    }
}

/// A password as typed: 8–128 characters. Never stored, logged or printed.
#[derive(Clone)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be between 8 and 128 characters")]
pub struct PasswordError;

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        if (8..=128).contains(&raw.chars().count()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PasswordError)
        }
    }

    /// A password offered at login: any 1–128 characters. Rules for new passwords may have
    /// changed since an account was created, so only new passwords get `parse`'s rule.
    pub fn offered(raw: &str) -> Result<Self, PasswordError> {
        if (1..=128).contains(&raw.chars().count()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PasswordError)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Customer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "customer" => Some(Self::Customer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A stored password hash (PHC string). Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn new(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    pub password_hash: PasswordHash,
    pub created_at: DateTime<Utc>,
    /// Sessions created before this instant are ended (set when the password or roles
    /// change), so a credential change outlives any missed session revocation.
    pub sessions_valid_from: Option<DateTime<Utc>>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub email: Email,
    pub name: Option<String>,
    pub roles: Vec<Role>,
    pub password_hash: PasswordHash,
}

/// A session token as handed to the client: 256 random bits, base64url. Only its hash is
/// ever stored. Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn new(token: String) -> Self {
        Self(token)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(<redacted>)")
    }
}

/// A live session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user_id: UserId,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When `roles` were last compared with the user record.
    pub checked_at: DateTime<Utc>,
}

impl Session {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    /// Whether `user`'s record still backs this session: a credential change after the
    /// session began ends it.
    pub fn still_valid_for(&self, user: &User) -> bool {
        user.id == self.user_id
            && user
                .sessions_valid_from
                .is_none_or(|from| from <= self.created_at)
    }
}

/// A user's display name: trimmed, NFC, 1–100 characters, one line of visible text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisplayNameError {
    #[error("must be between 1 and 100 characters after trimming")]
    Length,
    #[error(
        "must not contain control characters, bidirectional overrides or zero-width characters"
    )]
    Invisible,
}

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, DisplayNameError> {
        use crate::domain::text::{trimmed, Allow, TextError};
        trimmed(raw, 1, 100, Allow::Line)
            .map(Self)
            .map_err(|e| match e {
                TextError::Length { .. } => DisplayNameError::Length,
                TextError::ControlCharacter | TextError::InvisibleCharacter => {
                    DisplayNameError::Invisible
                }
            })
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@example",
            "ann@.com",
            "a nn@example.com",
            "a@b@c.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            format!("{:?}", Email::parse("ann@example.com").unwrap()),
            "Email(<redacted>)"
        );
    }

    #[test]
    fn passwords_have_bounds_and_never_print() {
        assert!(Password::parse("short").is_err());
        assert!(Password::parse(&"p".repeat(129)).is_err());
        let password = Password::parse("correct horse").unwrap();
        assert!(!format!("{password:?}").contains("horse"));
    }

    #[test]
    fn display_names_are_checked_after_trimming() {
        let padded = format!("  {}  ", "n".repeat(100));
        assert_eq!(
            DisplayName::parse(&padded).unwrap().into_string(),
            "n".repeat(100)
        );
        assert_eq!(DisplayName::parse("   "), Err(DisplayNameError::Length));
        assert_eq!(
            DisplayName::parse("Ann\u{202E}"),
            Err(DisplayNameError::Invisible)
        );
    }
}
