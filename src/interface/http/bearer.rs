//! The one reading of `Authorization: Bearer <token>`, shared by session authentication
//! and the metrics token.

use actix_web::http::header::{HeaderMap, AUTHORIZATION};

/// The token of a `Bearer` authorization (scheme case-insensitive, surrounding blanks
/// trimmed), or `None` when there is none or it is empty.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn token_of(value: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        bearer_token(&headers).map(str::to_owned)
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(token_of("Bearer abc"), Some("abc".into()));
        assert_eq!(token_of("bearer  abc "), Some("abc".into()));
        assert_eq!(token_of("Basic abc"), None);
        assert_eq!(token_of("abc"), None);
        assert_eq!(token_of("Bearer  "), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
