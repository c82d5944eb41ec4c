use url::Url;

/// An absolute http(s) image URL of at most 2048 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageUrlError {
    #[error("must be at most {max} characters", max = ImageUrl::MAX_LEN)]
    TooLong,
    #[error("must be an absolute http or https URL")]
    NotHttpUrl,
}

impl ImageUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, ImageUrlError> {
        if raw.chars().count() > Self::MAX_LEN {
            return Err(ImageUrlError::TooLong);
        }
        let url = Url::parse(raw).map_err(|_| ImageUrlError::NotHttpUrl)?;
        let http = matches!(url.scheme(), "http" | "https");
        if !http || url.host_str().is_none_or(str::is_empty) {
            return Err(ImageUrlError::NotHttpUrl);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Up to ten image URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Images(Vec<ImageUrl>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImagesError {
    #[error("must hold at most {max} URLs", max = Images::MAX)]
    TooMany,
    #[error("item {index}: {source}")]
    Item { index: usize, source: ImageUrlError },
}

impl Images {
    pub const MAX: usize = 10;

    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, ImagesError> {
        if raw.len() > Self::MAX {
            return Err(ImagesError::TooMany);
        }
        raw.iter()
            .enumerate()
            .map(|(index, s)| {
                ImageUrl::parse(s.as_ref()).map_err(|source| ImagesError::Item { index, source })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn as_slice(&self) -> &[ImageUrl] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_and_https_only() {
        assert!(ImageUrl::parse("https://cdn.example/p/1.jpg").is_ok());
        assert!(ImageUrl::parse("http://cdn.example/p/1.jpg").is_ok());
        assert!(ImageUrl::parse("ftp://cdn.example/p/1.jpg").is_err());
        assert!(ImageUrl::parse("/p/1.jpg").is_err());
        assert!(ImageUrl::parse("javascript:alert(1)").is_err());
        let long = format!("https://cdn.example/{}", "a".repeat(2048));
        assert_eq!(ImageUrl::parse(&long), Err(ImageUrlError::TooLong));
    }

    #[test]
    fn at_most_ten() {
        let ten = vec!["https://a.example/x.png"; 10];
        assert!(Images::parse(&ten).is_ok());
        let eleven = vec!["https://a.example/x.png"; 11];
        assert_eq!(Images::parse(&eleven), Err(ImagesError::TooMany));
        let bad = ["https://a.example/x.png", "nope"];
        assert!(matches!(
            Images::parse(&bad),
            Err(ImagesError::Item { index: 1, .. })
        ));
    }
}
