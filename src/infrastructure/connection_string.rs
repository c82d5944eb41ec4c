//! A connection URL that may carry credentials (`MONGODB_URI`, `REDIS_URL`). Its `Debug`
//! and `Display` hide the user-info part, so printing settings, an error or a span can never
//! leak a password; only the driver set-up calls `expose`.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionString(String);

impl ConnectionString {
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL with its credentials, for the driver only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `scheme://user:pass@host` → `scheme://***@host`.
    pub fn redacted(&self) -> String {
        let url = &self.0;
        match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://***{}", &url[..scheme_end], &url[at..])
            }
            _ => url.to_owned(),
        }
    }
}

impl From<&str> for ConnectionString {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for ConnectionString {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}

impl fmt::Debug for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ConnectionString({:?})", self.redacted())
    }
}

impl fmt::Display for ConnectionString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug_or_display() {
        let url = ConnectionString::from("mongodb://u:secret@h:27017/db");
        assert_eq!(url.to_string(), "mongodb://***@h:27017/db");
        assert!(!format!("{url:?}").contains("secret"));
        assert_eq!(url.expose(), "mongodb://u:secret@h:27017/db");
        let plain = ConnectionString::from("redis://127.0.0.1:6379");
        assert_eq!(plain.to_string(), "redis://127.0.0.1:6379");
    }
}
