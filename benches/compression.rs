//! What compressing one answer costs, per coding and effort: the levels an answer made for
//! one request gets (`Effort::PerRequest`), those a cached answer gets once per version
//! (`Effort::Stored`), and, for comparison, brotli at its defaults (quality 11, 4 MiB
//! window), which is what a general-purpose middleware applies to every answer.
//!
//! `cargo bench --bench compression` times 2,000 compressions of each body (list pages of
//! 10 and 100 products as the API renders them) and prints microseconds per call and the
//! compressed size.

use std::io::Write;
use std::time::Instant;

use product_catalog::interface::http::encoding::{compress, Effort, Encoding};

const CALLS: usize = 2_000;

/// A list page of `n` products shaped like the API's answer.
fn page(n: usize) -> Vec<u8> {
    let products: Vec<_> = (0..n)
        .map(|i| {
            let category = ["footwear", "outdoor", "kitchen", "garden"][i % 4];
            serde_json::json!({
                "id": format!("665f1c0e9b1e8a3d4c2b{:04x}", i),
                "name": format!("Seed product {i}"),
                "description": format!("A product seeded for measuring, number {i}, with a description of ordinary length"),
                "price": 10.0 + i as f64,
                "stock": i % 50,
                "category": category,
                "images": [format!("https://cdn.example/p/{i}.jpg")],
                "isActive": true,
                "wishlistCount": i % 7,
                "version": 1,
                "createdAt": "2026-12-07T10:00:00Z",
                "updatedAt": "2026-12-07T10:00:00Z",
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "status": "success",
        "message": "products retrieved",
        "data": {"products": products, "pagination": {"page": 1, "limit": n, "total": 10_000, "pages": 10_000 / n}},
    }))
    .expect("json")
}

fn brotli_defaults(body: &[u8]) -> Vec<u8> {
    let mut writer = brotli::CompressorWriter::new(Vec::new(), 4096, 11, 22);
    writer.write_all(body).expect("write");
    writer.into_inner()
}

fn time(label: &str, body: &[u8], mut run: impl FnMut() -> usize) {
    let size = run();
    let started = Instant::now();
    for _ in 0..CALLS {
        std::hint::black_box(run());
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / CALLS as f64;
    println!(
        "{label:<28} {micros:>9.1} µs/call  {size:>6} of {} bytes ({:.0} %)",
        body.len(),
        size as f64 * 100.0 / body.len() as f64
    );
}

fn main() {
    for products in [10, 100] {
        let body = page(products);
        println!("list page of {products} products, {} bytes:", body.len());
        for encoding in [Encoding::Gzip, Encoding::Brotli, Encoding::Zstd] {
            for (effort, name) in [
                (Effort::PerRequest, "per request"),
                (Effort::Stored, "stored"),
            ] {
                let label = format!("  {} {name}", encoding.token());
                time(&label, &body, || {
                    compress(encoding, &body, effort).map_or(0, |b| b.len())
                });
            }
        }
        time("  br defaults (q11, 4 MiB)", &body, || {
            brotli_defaults(&body).len()
        });
    }
}
