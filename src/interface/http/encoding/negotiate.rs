//! The coding a client gets: the produced coding with the highest `q` in its
//! `Accept-Encoding`, ties broken by the order of `Encoding::PRODUCED`.

use actix_web::http::header::{HeaderMap, ACCEPT_ENCODING};

/// A content coding this service answers in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Brotli,
    Zstd,
    Gzip,
}

impl Encoding {
    /// The codings produced, best first: brotli packs JSON tightest, zstd nearly as well
    /// and decodes fastest, gzip is what every client has.
    pub const PRODUCED: [Encoding; 3] = [Encoding::Brotli, Encoding::Zstd, Encoding::Gzip];

    /// Its token in `Content-Encoding` and `Accept-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Identity => "identity",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
            Encoding::Gzip => "gzip",
        }
    }

    /// Its place in `PRODUCED` (`None` for identity), for per-coding slots.
    pub fn slot(self) -> Option<usize> {
        Encoding::PRODUCED.iter().position(|e| *e == self)
    }

    /// The coding for a request. No header, or nothing produced is acceptable
    /// (`identity;q=0` included: an unencoded answer beats a 406 for an API), means identity.
    pub fn preferred(headers: &HeaderMap) -> Encoding {
        let mut accepted = Accepted::default();
        for value in headers.get_all(ACCEPT_ENCODING) {
            if let Ok(value) = value.to_str() {
                accepted.read(value);
            }
        }
        let mut best = (0, Encoding::Identity);
        for encoding in Encoding::PRODUCED {
            let q = accepted.q(encoding);
            if q > best.0 {
                best = (q, encoding);
            }
        }
        best.1
    }

    /// The ETag of this coding's variant of the answer tagged `etag`: `"abc"` → `"abc-br"`
    /// (weak tags keep their `W/`). Identity keeps the tag.
    pub fn tag(self, etag: &str) -> String {
        if self == Encoding::Identity {
            return etag.to_owned();
        }
        match etag.strip_suffix('"') {
            Some(open) => format!("{open}-{}\"", self.token()),
            None => etag.to_owned(),
        }
    }

    /// Whether `tag` is `answer`'s own tag or one of its variants' (`"4-br"` for `"4"`),
    /// compared in place: preconditions are judged on every revalidation.
    pub fn same_answer(tag: &str, answer: &str) -> bool {
        if tag == answer {
            return true;
        }
        let (Some(tag), Some(answer)) = (tag.strip_suffix('"'), answer.strip_suffix('"')) else {
            return false;
        };
        tag.strip_prefix(answer)
            .and_then(|suffix| suffix.strip_prefix('-'))
            .is_some_and(|token| Encoding::PRODUCED.iter().any(|e| e.token() == token))
    }
}

/// The `q` values one request gave, in thousandths (no floats, no rounding surprises).
#[derive(Default)]
struct Accepted {
    explicit: [Option<u16>; 3],
    any: Option<u16>,
}

impl Accepted {
    fn read(&mut self, value: &str) {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let token = parts.next().unwrap_or("").trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map(qvalue)
                .next()
                .unwrap_or(1000);
            let is = |name: &str| token.eq_ignore_ascii_case(name);
            let encoding = if is("br") {
                Encoding::Brotli
            } else if is("zstd") {
                Encoding::Zstd
            } else if is("gzip") || is("x-gzip") {
                Encoding::Gzip
            } else if token == "*" {
                self.any = Some(q);
                continue;
            } else {
                continue;
            };
            if let Some(slot) = encoding.slot() {
                self.explicit[slot] = Some(q);
            }
        }
    }

    fn q(&self, encoding: Encoding) -> u16 {
        encoding
            .slot()
            .and_then(|slot| self.explicit[slot])
            .or(self.any)
            .unwrap_or(0)
    }
}

/// A `qvalue` (`0`, `0.5`, `1.000`) in thousandths; anything malformed counts as 0.
fn qvalue(text: &str) -> u16 {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = format!("{fraction:0<3}");
    match (whole, fraction.get(..3).map(str::parse::<u16>)) {
        ("1", Some(Ok(0))) => 1000,
        ("0", Some(Ok(thousandths))) if fraction.len() == 3 => thousandths,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn preferred(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap());
        Encoding::preferred(&headers)
    }

    #[test]
    fn a_browser_gets_brotli_and_q_values_decide() {
        assert_eq!(preferred("gzip, deflate, br, zstd"), Encoding::Brotli);
        assert_eq!(preferred("gzip, deflate"), Encoding::Gzip);
        assert_eq!(preferred("zstd, gzip;q=0.9"), Encoding::Zstd);
        assert_eq!(preferred("br;q=0.5, gzip;q=0.8"), Encoding::Gzip);
        assert_eq!(preferred("X-GZIP"), Encoding::Gzip);
    }

    #[test]
    fn q_zero_identity_and_no_header_are_honoured() {
        assert_eq!(preferred("br;q=0, gzip"), Encoding::Gzip);
        assert_eq!(preferred("identity"), Encoding::Identity);
        assert_eq!(preferred("*;q=0"), Encoding::Identity);
        assert_eq!(preferred("*, br;q=0"), Encoding::Zstd);
        assert_eq!(preferred("gzip;q=0.000"), Encoding::Identity);
        assert_eq!(preferred("gzip;q=nonsense"), Encoding::Identity);
        assert_eq!(Encoding::preferred(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn qvalues_are_read_to_the_thousandth() {
        assert_eq!(qvalue("1"), 1000);
        assert_eq!(qvalue("1.000"), 1000);
        assert_eq!(qvalue("0.5"), 500);
        assert_eq!(qvalue("0.001"), 1);
        assert_eq!(qvalue("1.5"), 0);
        assert_eq!(qvalue("0.0001"), 0);
    }

    #[test]
    fn each_variant_has_its_own_tag_and_names_the_same_answer() {
        assert_eq!(Encoding::Brotli.tag("\"abc\""), "\"abc-br\"");
        assert_eq!(Encoding::Gzip.tag("W/\"abc\""), "W/\"abc-gzip\"");
        assert_eq!(Encoding::Identity.tag("\"abc\""), "\"abc\"");
        for encoding in Encoding::PRODUCED {
            assert!(Encoding::same_answer(&encoding.tag("\"4\""), "\"4\""));
        }
        assert!(Encoding::same_answer("\"4\"", "\"4\""));
        assert!(!Encoding::same_answer("\"4-xz\"", "\"4\""));
        assert!(!Encoding::same_answer("\"44\"", "\"4\""));
        assert!(!Encoding::same_answer("\"4-br\"", "\"5\""));
    }
}
