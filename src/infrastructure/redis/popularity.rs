//! Read counts per product in one sorted set per UTC day; the top list sums the last
//! `DAYS` days with halving weights (`ZUNION … WEIGHTS`), so popularity decays by day.

use std::time::Duration;

use async_trait::async_trait;
use fred::prelude::{Client, SortedSetsInterface};
use shaku::Component;

use super::call::bounded_call;
use super::scripts::COUNT_READS;
use crate::domain::error::CacheError;
use crate::domain::ports::Popularity;
use crate::domain::product::ProductId;

/// Days summed for the top list; each day weighs half the day after it.
const DAYS: i64 = 3;

#[derive(Component)]
#[shaku(interface = Popularity)]
pub struct RedisPopularity {
    client: Client,
    key_prefix: String,
    timeout: Duration,
}

impl RedisPopularity {
    fn key(&self, day: i64) -> String {
        // One sorted set per UTC day, under one hash tag so the days can be summed in one
        // command on a cluster.
        format!("{}popular:{{products}}:{day}", self.key_prefix)
    }
}

fn today() -> i64 {
    chrono::Utc::now().timestamp().div_euclid(86_400)
}

#[async_trait]
impl Popularity for RedisPopularity {
    #[tracing::instrument(name = "redis.popularity.record", level = "debug", skip_all, fields(products = reads.len()))]
    async fn record(&self, reads: &[(ProductId, u32)]) -> Result<(), CacheError> {
        let keep = Duration::from_secs(86_400 * (DAYS as u64 + 1));
        let mut args = vec![keep.as_millis().to_string()];
        for (product, count) in reads {
            args.push(count.to_string());
            args.push(product.to_string());
        }
        let _: i64 = bounded_call(
            &self.client,
            self.timeout,
            COUNT_READS.evalsha_with_reload(&self.client, vec![self.key(today())], args),
        )
        .await?;
        Ok(())
    }

    #[tracing::instrument(name = "redis.popularity.top", level = "debug", skip_all)]
    async fn top(&self, n: usize) -> Result<Vec<ProductId>, CacheError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let day = today();
        let keys: Vec<String> = (0..DAYS).map(|back| self.key(day - back)).collect();
        let weights: Vec<f64> = (0..DAYS).map(|back| 0.5_f64.powi(back as i32)).collect();
        // Ascending by score; the most read are at the end.
        let members: Vec<String> = bounded_call(
            &self.client,
            self.timeout,
            self.client.zunion(keys, weights, None, false),
        )
        .await?;
        Ok(members
            .iter()
            .rev()
            .filter_map(|raw| ProductId::parse(raw).ok())
            .take(n)
            .collect())
    }
}
