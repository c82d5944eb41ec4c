//! Conditional requests: `ETag` from the product version, `If-None-Match` for cheap
//! revalidation, `If-Match` for optimistic concurrency.

use actix_web::http::header::{HeaderMap, IF_MATCH, IF_NONE_MATCH};

use crate::domain::product::Version;
use crate::interface::http::encoding::Encoding;
use crate::interface::http::error::{ApiError, FieldError};

/// Strong entity tag of a product version: `"4"`, so clients can send it back in `If-Match`.
pub fn etag(version: Version) -> String {
    format!("\"{}\"", version.get())
}

/// True when `If-None-Match` lists the current tag (weak or strong, of the answer or of
/// one of its compressed variants) or `*`.
pub fn not_modified(headers: &HeaderMap, current: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || Encoding::same_answer(tag.trim_start_matches("W/"), current))
}

/// The version required by `If-Match`: `None` when absent or `*`.
pub fn expected_version(headers: &HeaderMap) -> Result<Option<Version>, ApiError> {
    let Some(value) = headers.get(IF_MATCH) else {
        return Ok(None);
    };
    let invalid = || {
        ApiError::bad_request(
            "invalid If-Match header",
            vec![FieldError::new(
                "If-Match",
                r#"must be a product version such as "4""#,
            )],
        )
    };
    let raw = value.to_str().map_err(|_| invalid())?.trim();
    if raw == "*" {
        return Ok(None);
    }
    let digits = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    // A compressed variant's tag (`"4-br"`) names the same version.
    let digits = Encoding::PRODUCED
        .iter()
        .find_map(|encoding| digits.strip_suffix(encoding.token())?.strip_suffix('-'))
        .unwrap_or(digits);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    digits
        .parse()
        .map(|v| Some(Version::new(v)))
        .map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(name: actix_web::http::header::HeaderName, value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn if_none_match_forms() {
        assert!(not_modified(
            &headers(IF_NONE_MATCH, r#""3", W/"4""#),
            r#""4""#
        ));
        assert!(not_modified(&headers(IF_NONE_MATCH, "*"), r#""4""#));
        assert!(!not_modified(&headers(IF_NONE_MATCH, r#""3""#), r#""4""#));
        assert!(!not_modified(&HeaderMap::new(), r#""4""#));
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(
            expected_version(&headers(IF_MATCH, r#""7""#)).unwrap(),
            Some(Version::new(7))
        );
        assert_eq!(
            expected_version(&headers(IF_MATCH, "7")).unwrap(),
            Some(Version::new(7))
        );
        assert_eq!(expected_version(&headers(IF_MATCH, "*")).unwrap(), None);
        assert!(expected_version(&headers(IF_MATCH, r#"W/"7""#)).is_err());
        assert!(expected_version(&headers(IF_MATCH, "seven")).is_err());
    }
}
