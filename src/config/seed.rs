//! `product-catalog seed N`: fills the catalog with N generated products through the
//! create use case (so caches stay consistent), with a progress line on stderr.

use std::io::Write;
use std::sync::Arc;

use futures_util::StreamExt;
use shaku::HasComponent;

use super::{build_module, Settings, StartupError};
use crate::domain::product::{
    Category, Description, Images, Money, NewProduct, ProductName, Stock,
};
use crate::infrastructure::mongo::{self, MongoProductRepository};
use crate::infrastructure::redis::RedisClients;
use crate::usecases::cache::CacheContext;
use crate::usecases::CreateProductUseCase;

const CATEGORIES: [&str; 5] = ["footwear", "apparel", "outdoor", "bags", "accessories"];

fn product(i: u32) -> Option<NewProduct> {
    Some(NewProduct {
        name: ProductName::parse(&format!("Seed product {i:06}")).ok()?,
        description: Description::parse(&format!("Generated product number {i} for load tests"))
            .ok()?,
        price: Money::from_cents(i64::from(i % 100_000) * 7 + 99).ok()?,
        stock: Stock::parse(i64::from(i % 500)).ok()?,
        category: Category::parse(CATEGORIES[i as usize % CATEGORIES.len()]).ok()?,
        images: Images::default(),
        is_active: !i.is_multiple_of(10),
    })
}

/// Creates `count` products, 16 at a time; returns how many were created.
pub async fn seed(settings: Settings, count: u32) -> Result<u32, StartupError> {
    let database = mongo::connect(&settings.mongo).await?;
    MongoProductRepository::ensure_indexes(&database)
        .await
        .map_err(StartupError::Indexes)?;
    let redis = RedisClients::build(&settings.redis).await?;
    let module = build_module(
        &settings,
        database,
        redis,
        Arc::new(CacheContext::new(settings.cache)),
    );
    let create: Arc<dyn CreateProductUseCase> = module.resolve();
    let mut created: u32 = 0;
    let mut failed: u32 = 0;
    let mut results = futures_util::stream::iter(0..count)
        .map(|i| {
            let create = create.clone();
            async move {
                match product(i) {
                    Some(p) => create.execute(p).await.is_ok(),
                    None => false,
                }
            }
        })
        .buffer_unordered(16);
    let step = (count / 100).max(1);
    while let Some(ok) = results.next().await {
        if ok {
            created += 1;
        } else {
            failed += 1;
        }
        let done = created + failed;
        if done.is_multiple_of(step) || done == count {
            eprint!(
                "\rseeding {done}/{count} ({}%), {failed} failed",
                done * 100 / count.max(1)
            );
            let _ = std::io::stderr().flush();
        }
    }
    eprintln!();
    Ok(created)
}
