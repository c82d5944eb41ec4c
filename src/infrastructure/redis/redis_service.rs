use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fred::prelude::{Client, ClientLike, Expiration, KeysInterface, SetOptions};
use rand::RngCore;
use shaku::Component;

use super::scripts::RELEASE_LOCK;
use crate::domain::error::CacheError;
use crate::domain::ports::{LockToken, RedisService};

/// `RedisService` on a fred client. Keys get the namespace prefix here and nowhere else.
/// When the client is not connected, calls fail at once instead of queueing behind a
/// reconnect, so an outage costs requests nothing.
#[derive(Component)]
#[shaku(interface = RedisService)]
pub struct FredRedisService {
    client: Client,
    key_prefix: String,
    timeout: Duration,
}

impl FredRedisService {
    pub fn new(client: Client, key_prefix: String, timeout: Duration) -> Self {
        Self {
            client,
            key_prefix,
            timeout,
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.key_prefix, key)
    }

    async fn call<T, F>(&self, command: F) -> Result<T, CacheError>
    where
        F: Future<Output = Result<T, fred::error::Error>>,
    {
        if !self.client.is_connected() {
            return Err(CacheError::Unavailable("Redis is not connected".into()));
        }
        match tokio::time::timeout(self.timeout, command).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) if error.is_canceled() || error.kind().to_str() == "IO" => {
                Err(CacheError::Unavailable(Box::new(error)))
            }
            Ok(Err(error)) if error.kind().to_str() == "Timeout" => {
                Err(CacheError::Unavailable(Box::new(error)))
            }
            Ok(Err(error)) => Err(CacheError::Command(Box::new(error))),
            Err(_) => Err(CacheError::Unavailable(
                format!("Redis did not answer within {:?}", self.timeout).into(),
            )),
        }
    }
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[async_trait]
impl RedisService for FredRedisService {
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.call(self.client.get(self.key(key))).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), CacheError> {
        let expire = Some(Expiration::PX(millis(ttl)));
        self.call(
            self.client
                .set::<(), _, _>(self.key(key), value, expire, None, false),
        )
        .await
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let removed: i64 = self.call(self.client.del(self.key(key))).await?;
        Ok(removed > 0)
    }

    async fn incr(&self, key: &str) -> Result<i64, CacheError> {
        self.call(self.client.incr(self.key(key))).await
    }

    async fn ttl(&self, key: &str) -> Result<Option<Duration>, CacheError> {
        let remaining: i64 = self.call(self.client.pttl(self.key(key))).await?;
        Ok(u64::try_from(remaining).ok().map(Duration::from_millis))
    }

    async fn try_lock(&self, key: &str, ttl: Duration) -> Result<Option<LockToken>, CacheError> {
        let mut bytes = [0_u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let expire = Some(Expiration::PX(millis(ttl)));
        let set: Option<String> = self
            .call(self.client.set(
                self.key(key),
                token.as_str(),
                expire,
                Some(SetOptions::NX),
                false,
            ))
            .await?;
        Ok(set.map(|_| LockToken::new(token)))
    }

    async fn unlock(&self, key: &str, token: &LockToken) -> Result<bool, CacheError> {
        let released: i64 = self
            .call(RELEASE_LOCK.evalsha_with_reload(&self.client, self.key(key), token.as_str()))
            .await?;
        Ok(released == 1)
    }

    async fn ping(&self) -> Result<Duration, CacheError> {
        let started = Instant::now();
        self.call(self.client.ping::<String>(None)).await?;
        Ok(started.elapsed())
    }
}
