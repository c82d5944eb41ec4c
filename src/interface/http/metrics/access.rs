//! Who may read `/metrics`: anyone, or only callers presenting `METRICS_TOKEN` as a bearer
//! token. Counters say how busy the service is and which routes fail, which is worth
//! keeping from the public internet when the port is reachable from it.

use std::fmt;

use sha2::{Digest, Sha256};

/// The configured metrics token. Its `Debug` never shows it, and comparisons are made on
/// SHA-256 digests, so the time a comparison takes says nothing about the token.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken([u8; 32]);

impl MetricsToken {
    pub fn new(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest == self.0
    }
}

impl fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MetricsToken(..)")
    }
}

/// The access rule of `/metrics`, kept as route data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricsAccess(pub Option<MetricsToken>);

impl MetricsAccess {
    /// Whether a request presenting this bearer token (see `bearer::bearer_token`) may
    /// read the metrics.
    pub fn allows(&self, presented: Option<&str>) -> bool {
        let Some(token) = &self.0 else {
            return true;
        };
        presented.is_some_and(|presented| token.matches(presented))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_without_a_token_and_only_to_its_bearer_with_one() {
        assert!(MetricsAccess(None).allows(None));
        let access = MetricsAccess(Some(MetricsToken::new("s3cret-scrape")));
        assert!(access.allows(Some("s3cret-scrape")));
        assert!(!access.allows(None));
        assert!(!access.allows(Some("wrong")));
        assert!(!access.allows(Some("s3cret-scrape ")));
        assert_eq!(
            format!("{access:?}"),
            "MetricsAccess(Some(MetricsToken(..)))"
        );
    }
}
