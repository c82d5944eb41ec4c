//! The variable reader every section uses.

use std::str::FromStr;
use std::time::Duration;

use crate::domain::ports::RateRule;
use crate::infrastructure::connection_string::ConnectionString;

/// Reads variables through a lookup, collecting every invalid one instead of stopping at
/// the first, so a misconfiguration is reported (and fixed) in one go.
pub(super) struct Reader<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    pub(super) errors: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            lookup,
            errors: Vec::new(),
        }
    }

    /// The raw value, unset or not.
    pub(super) fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
    }

    /// Records an invalid value.
    pub(super) fn invalid(&mut self, message: String) {
        self.errors.push(message);
    }

    /// An optional path to a file that must exist.
    pub(super) fn file(&mut self, name: &str) -> Option<std::path::PathBuf> {
        let value = (self.lookup)(name).filter(|v| !v.trim().is_empty())?;
        let path = std::path::PathBuf::from(value.trim());
        if !path.is_file() {
            self.errors
                .push(format!("{name} must name a readable file"));
        }
        Some(path)
    }

    pub(super) fn string(&self, name: &str, default: &str) -> String {
        (self.lookup)(name)
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| default.to_owned())
    }

    pub(super) fn parsed<T: FromStr>(&mut self, name: &str, default: T, expected: &str) -> T {
        match (self.lookup)(name).filter(|v| !v.trim().is_empty()) {
            None => default,
            Some(raw) => raw.trim().parse().unwrap_or_else(|_| {
                self.errors
                    .push(format!("{name} must be {expected}, got {raw:?}"));
                default
            }),
        }
    }

    pub(super) fn millis(&mut self, name: &str, default: u64, min: u64, max: u64) -> Duration {
        let value = self.parsed(
            name,
            default,
            &format!("milliseconds between {min} and {max}"),
        );
        if !(min..=max).contains(&value) {
            self.errors.push(format!(
                "{name} must be between {min} and {max} milliseconds, got {value}"
            ));
        }
        Duration::from_millis(value)
    }

    pub(super) fn count(&mut self, name: &str, default: u64, min: u64, max: u64) -> u64 {
        let value = self.parsed(
            name,
            default,
            &format!("a whole number between {min} and {max}"),
        );
        if !(min..=max).contains(&value) {
            self.errors.push(format!(
                "{name} must be between {min} and {max}, got {value}"
            ));
        }
        value
    }

    pub(super) fn seconds(&mut self, name: &str, default: u64, min: u64, max: u64) -> Duration {
        let value = self.parsed(name, default, &format!("seconds between {min} and {max}"));
        if !(min..=max).contains(&value) {
            self.errors.push(format!(
                "{name} must be between {min} and {max} seconds, got {value}"
            ));
        }
        Duration::from_secs(value)
    }

    pub(super) fn rate(&mut self, name: &str, default: RateRule) -> RateRule {
        match (self.lookup)(name).filter(|v| !v.trim().is_empty()) {
            None => default,
            Some(raw) => RateRule::parse(&raw).unwrap_or_else(|e| {
                self.errors.push(format!("{name} {e}, got {raw:?}"));
                default
            }),
        }
    }

    /// A URL that may be absent (unset or blank).
    pub(super) fn optional_url(
        &mut self,
        name: &str,
        schemes: &[&str],
    ) -> Option<ConnectionString> {
        (self.lookup)(name)
            .filter(|v| !v.trim().is_empty())
            .map(|_| self.url(name, "", schemes))
    }

    pub(super) fn url(&mut self, name: &str, default: &str, schemes: &[&str]) -> ConnectionString {
        let value = self.string(name, default);
        let scheme = value.split("://").next().unwrap_or("");
        if !value.contains("://") || !schemes.contains(&scheme) {
            self.errors.push(format!(
                "{name} must start with one of {}",
                schemes.join("://, ") + "://"
            ));
        }
        ConnectionString::new(value)
    }
}
