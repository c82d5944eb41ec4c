//! Security headers on every answer, errors included.
//!
//! JSON answers get `X-Content-Type-Options: nosniff` (a browser never runs an answer as
//! script or page because of what it looks like) and a policy that allows nothing at all:
//! an API answer opened in a tab loads no script, style or frame. The two pages the
//! service serves get the narrowest policy under which they work: the status page runs
//! only its own inline script (allowed by its SHA-256, computed from the page compiled
//! in, so the policy cannot drift from the page) and talks only to this origin; Swagger
//! UI loads its scripts and styles from this origin. No page may be framed by another
//! site (`frame-ancestors 'none'`, and `X-Frame-Options: DENY` for older browsers).

use std::sync::LazyLock;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::Error;
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::interface::http::handlers::STATUS_PAGE;

/// Anything that is not one of the pages: nothing may load or frame it.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// Swagger UI (`/api-docs/`): its bundle, preset, initializer and styles from this origin;
/// it sets element styles and shows inline SVG icons.
const DOCS_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' \
     'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The status page: its one inline script by hash, its inline styles (the bars' widths),
/// and `fetch`/`EventSource` to this origin.
static STATUS_POLICY: LazyLock<HeaderValue> = LazyLock::new(|| {
    let hashes: Vec<String> = inline_scripts(STATUS_PAGE)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = format!(
        "default-src 'none'; script-src {}; style-src 'unsafe-inline'; img-src 'self' data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        hashes.join(" ")
    );
    HeaderValue::from_str(&policy).unwrap_or_else(|_| HeaderValue::from_static(API_POLICY))
});

/// The text of each `<script>…</script>` without attributes, as the browser hashes it.
fn inline_scripts(page: &str) -> impl Iterator<Item = &str> {
    page.split("<script>")
        .skip(1)
        .filter_map(|rest| rest.split_once("</script>").map(|(script, _)| script))
}

/// The content security policy for `path`.
fn policy_for(path: &str) -> HeaderValue {
    if path == "/status" {
        STATUS_POLICY.clone()
    } else if path.starts_with("/api-docs") {
        HeaderValue::from_static(DOCS_POLICY)
    } else {
        HeaderValue::from_static(API_POLICY)
    }
}

/// The middleware function (app-wide).
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let policy = policy_for(req.path());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    let set: [(HeaderName, HeaderValue); 4] = [
        (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        (CONTENT_SECURITY_POLICY, policy),
    ];
    for (name, value) in set {
        headers.insert(name, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_policy_names_the_hash_of_every_inline_script() {
        let scripts: Vec<&str> = inline_scripts(STATUS_PAGE).collect();
        assert_eq!(scripts.len(), 1, "the page has one inline script");
        let policy = STATUS_POLICY.to_str().unwrap();
        assert_eq!(policy.matches("'sha256-").count(), 1, "{policy}");
        assert!(!policy.contains("script-src 'unsafe-inline'"), "{policy}");
    }

    #[test]
    fn pages_and_answers_get_their_own_policy() {
        assert_eq!(policy_for("/api/products"), API_POLICY);
        assert_eq!(policy_for("/api-docs/"), DOCS_POLICY);
        assert_ne!(policy_for("/status"), API_POLICY);
    }
}
