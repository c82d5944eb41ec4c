//! One body in one coding. Two efforts: an answer the response cache keeps is compressed
//! once per cached version and replayed thousands of times, so it gets a good ratio; an
//! answer made for one request is compressed on that request's time, so it gets a fast
//! level and a window no larger than the body (brotli's default 4 MiB window was what
//! made every compressed list page cost milliseconds).

use std::io::Write;

use actix_web::web::Bytes;

use super::Encoding;

/// How much work one compression may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effort {
    /// Done once per cached version, replayed many times.
    Stored,
    /// Done on every request that asks.
    PerRequest,
}

impl Effort {
    fn gzip_level(self) -> u32 {
        match self {
            Effort::Stored => 6,
            Effort::PerRequest => 1,
        }
    }

    fn brotli_quality(self) -> u32 {
        match self {
            Effort::Stored => 6,
            Effort::PerRequest => 2,
        }
    }

    fn zstd_level(self) -> i32 {
        match self {
            Effort::Stored => 6,
            Effort::PerRequest => 1,
        }
    }
}

/// `body` in `encoding`; `None` for identity, and when the coding would not make it
/// smaller (then the plain body is the better answer).
pub fn compress(encoding: Encoding, body: &[u8], effort: Effort) -> Option<Bytes> {
    let packed = match encoding {
        Encoding::Identity => return None,
        Encoding::Gzip => gzip(body, effort),
        Encoding::Brotli => brotli(body, effort),
        Encoding::Zstd => zstd::bulk::compress(body, effort.zstd_level()).ok(),
    }?;
    (packed.len() < body.len()).then(|| Bytes::from(packed))
}

fn gzip(body: &[u8], effort: Effort) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 2),
        flate2::Compression::new(effort.gzip_level()),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

fn brotli(body: &[u8], effort: Effort) -> Option<Vec<u8>> {
    // The smallest window that holds the whole body (brotli allows 2^10 to 2^24).
    let window = (usize::BITS - body.len().leading_zeros()).clamp(10, 22);
    let mut writer = brotli::CompressorWriter::new(
        Vec::with_capacity(body.len() / 2),
        4096,
        effort.brotli_quality(),
        window,
    );
    writer.write_all(body).ok()?;
    // `into_inner` finishes the stream (its last meta-block), unlike `flush`.
    Some(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn decompress(encoding: Encoding, packed: &[u8]) -> Vec<u8> {
        let mut plain = Vec::new();
        match encoding {
            Encoding::Gzip => {
                flate2::read::GzDecoder::new(packed)
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            Encoding::Brotli => {
                brotli::Decompressor::new(packed, 4096)
                    .read_to_end(&mut plain)
                    .unwrap();
            }
            Encoding::Zstd => plain = zstd::stream::decode_all(packed).unwrap(),
            Encoding::Identity => unreachable!("identity is never compressed"),
        }
        plain
    }

    #[test]
    fn every_coding_and_effort_decompresses_to_the_body() {
        let body = serde_json::to_vec(&serde_json::json!({
            "items": (0..200).map(|i| serde_json::json!({"id": i, "name": format!("Product {i}")}))
                .collect::<Vec<_>>()
        }))
        .unwrap();
        for encoding in Encoding::PRODUCED {
            for effort in [Effort::Stored, Effort::PerRequest] {
                let packed = compress(encoding, &body, effort).unwrap();
                assert!(packed.len() < body.len() / 3, "{encoding:?} {effort:?}");
                assert_eq!(
                    decompress(encoding, &packed),
                    body,
                    "{encoding:?} {effort:?}"
                );
            }
        }
    }

    #[test]
    fn a_body_that_would_grow_stays_plain() {
        for encoding in Encoding::PRODUCED {
            assert_eq!(compress(encoding, b"{}", Effort::Stored), None);
        }
        assert_eq!(
            compress(Encoding::Identity, &[b'a'; 5000], Effort::Stored),
            None
        );
    }
}
