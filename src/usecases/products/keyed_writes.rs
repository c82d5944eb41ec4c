//! Writes made with an idempotency key run once per key (`domain::idempotency`).
//!
//! In this process, requests with one key take turns: the first writes, storing its
//! receipt in its transaction; each repeat then finds the receipt and is answered from it,
//! so fifty concurrent repeats make one product and fifty identical answers. Across
//! instances the receipt's unique id decides: two transactions storing it conflict, and the
//! one retried finds the other's receipt and changes nothing. A repeat that waits longer
//! than `wait` for the first is told the key is in flight.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use shaku::{Component, Interface};
use tokio::sync::OwnedMutexGuard;

use crate::domain::error::RepositoryError;
use crate::domain::idempotency::{KeyReused, KeyedRequest, Receipt};
use crate::domain::outbox::Recorded;
use crate::domain::ports::ReceiptStore;
use crate::domain::product::{Product, ProductId};
use crate::usecases::cache::CacheEvents;
use crate::usecases::turns::Turns;
use crate::usecases::ProductError;

/// What a keyed request may do once it is its key's turn.
pub enum KeyTurn {
    /// An earlier request with the key committed: answer with the product it left.
    Replay(Product),
    /// No write with the key committed yet: write, storing `receipt`, while holding
    /// `turn`.
    Write {
        receipt: Receipt,
        turn: OwnedMutexGuard<()>,
    },
}

/// The receipts' side of keyed writes: turns per key, and the answers stored receipts
/// give.
#[async_trait]
pub trait KeyedWrites: Interface {
    /// Waits (at most the configured bound, else `KeyInFlight`) for `request`'s key's turn,
    /// then says whether to replay or to write. `KeyReused` when the key's receipt is of
    /// another request.
    async fn begin(&self, request: &KeyedRequest) -> Result<KeyTurn, ProductError>;
    /// The answer of the write whose receipt beat this request's (after `AlreadyApplied`).
    async fn replay(&self, request: &KeyedRequest) -> Result<Product, ProductError>;
}

/// A write as the use cases see it once keys are accounted for.
pub enum Written {
    /// Written now: the caches and the journal still have to hear of it.
    Fresh(Recorded),
    /// Answered from an earlier write's receipt: nothing changed now.
    Replayed(Product),
}

/// Runs `write` unless `request`'s key already wrote; the receipt to store (if any) is
/// handed to `write`, which must store it in its transaction.
pub async fn once_per_key<F, Fut>(
    keyed: &dyn KeyedWrites,
    request: Option<&KeyedRequest>,
    write: F,
) -> Result<Written, ProductError>
where
    F: FnOnce(Option<Receipt>) -> Fut,
    Fut: Future<Output = Result<Recorded, RepositoryError>>,
{
    let Some(request) = request else {
        return Ok(Written::Fresh(write(None).await?));
    };
    let (receipt, _turn) = match keyed.begin(request).await? {
        KeyTurn::Replay(product) => return Ok(Written::Replayed(product)),
        KeyTurn::Write { receipt, turn } => (receipt, turn),
    };
    match write(Some(receipt)).await {
        Ok(recorded) => Ok(Written::Fresh(recorded)),
        Err(RepositoryError::AlreadyApplied) => Ok(Written::Replayed(keyed.replay(request).await?)),
        Err(error) => Err(error.into()),
    }
}

/// A write of an existing product, as its use case goes on with it: an outage may have
/// hidden a commit, so the cache settles `id` in the background once MongoDB answers
/// before the error is passed on.
pub async fn settled_on_outage(
    cache_events: &dyn CacheEvents,
    id: &ProductId,
    written: Result<Written, ProductError>,
) -> Result<Written, ProductError> {
    if let Err(ProductError::Unavailable(_)) = &written {
        cache_events.product_uncertain(id).await;
    }
    written
}

#[derive(Component)]
#[shaku(interface = KeyedWrites)]
pub struct ReceiptKeyedWrites {
    #[shaku(inject)]
    receipts: Arc<dyn ReceiptStore>,
    /// How long a receipt is kept (`IDEMPOTENCY_TTL_SECS`).
    ttl: Duration,
    /// How long a repeat waits for the first request with its key.
    wait: Duration,
    /// Not a parameter: each instance starts with its own, empty.
    #[shaku(force_default)]
    turns: Arc<Turns<String>>,
}

impl ReceiptKeyedWrites {
    pub fn new(receipts: Arc<dyn ReceiptStore>, ttl: Duration, wait: Duration) -> Self {
        Self {
            receipts,
            ttl,
            wait,
            turns: Arc::default(),
        }
    }

    async fn stored(&self, request: &KeyedRequest) -> Result<Option<Product>, ProductError> {
        match self.receipts.find(request.receipt_id()).await? {
            None => Ok(None),
            Some(stored) => request
                .replay(stored)
                .map(Some)
                .map_err(|KeyReused| ProductError::KeyReused),
        }
    }
}

#[async_trait]
impl KeyedWrites for ReceiptKeyedWrites {
    #[tracing::instrument(name = "usecase.keyed_write.begin", level = "debug", skip_all)]
    async fn begin(&self, request: &KeyedRequest) -> Result<KeyTurn, ProductError> {
        let waiting = self.turns.wait(request.receipt_id().to_owned());
        let turn = tokio::time::timeout(self.wait, waiting)
            .await
            .map_err(|_| ProductError::KeyInFlight)?;
        if let Some(product) = self.stored(request).await? {
            return Ok(KeyTurn::Replay(product));
        }
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::days(1));
        Ok(KeyTurn::Write {
            receipt: request.receipt(chrono::Utc::now(), ttl),
            turn,
        })
    }

    #[tracing::instrument(name = "usecase.keyed_write.replay", level = "debug", skip_all)]
    async fn replay(&self, request: &KeyedRequest) -> Result<Product, ProductError> {
        self.stored(request).await?.ok_or_else(|| {
            ProductError::Unexpected("a write found its key's receipt, which is now gone".into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::idempotency::{IdempotencyKey, StoredReceipt};
    use crate::domain::ports::MockReceiptStore;
    use crate::usecases::test_support::{product, recorded, ID};

    fn request(body: &[u8]) -> KeyedRequest {
        let key = IdempotencyKey::parse("key-1").unwrap();
        KeyedRequest::new("account", &key, &[b"POST", b"/api/products", body])
    }

    fn keyed(receipts: MockReceiptStore) -> ReceiptKeyedWrites {
        ReceiptKeyedWrites::new(
            Arc::new(receipts),
            Duration::from_secs(60),
            Duration::from_millis(200),
        )
    }

    fn stored_for(request: &KeyedRequest) -> StoredReceipt {
        let receipt = request.receipt(chrono::Utc::now(), chrono::Duration::hours(1));
        StoredReceipt {
            fingerprint: receipt.fingerprint,
            product: product(ID, 1),
        }
    }

    #[tokio::test]
    async fn without_a_key_the_write_runs_with_no_receipt() {
        let keyed = keyed(MockReceiptStore::new());
        let written = once_per_key(&keyed, None, |receipt| async move {
            assert!(receipt.is_none());
            Ok(recorded(product(ID, 1)))
        })
        .await
        .unwrap();
        assert!(matches!(written, Written::Fresh(_)));
    }

    #[tokio::test]
    async fn a_first_request_writes_with_its_receipt() {
        let mut receipts = MockReceiptStore::new();
        receipts.expect_find().times(1).returning(|_| Ok(None));
        let keyed = keyed(receipts);
        let first = request(b"{}");
        let id = first.receipt_id().to_owned();
        let written = once_per_key(&keyed, Some(&first), |receipt| async move {
            assert_eq!(receipt.map(|r| r.id), Some(id));
            Ok(recorded(product(ID, 1)))
        })
        .await
        .unwrap();
        assert!(matches!(written, Written::Fresh(_)));
    }

    #[tokio::test]
    async fn a_repeat_is_answered_from_the_receipt_without_writing() {
        let first = request(b"{}");
        let stored = stored_for(&first);
        let mut receipts = MockReceiptStore::new();
        receipts
            .expect_find()
            .times(1)
            .returning(move |_| Ok(Some(stored.clone())));
        let keyed = keyed(receipts);
        let written = once_per_key(&keyed, Some(&first), |_| async {
            panic!("a repeat must not write")
        })
        .await
        .unwrap();
        assert!(matches!(written, Written::Replayed(p) if p == product(ID, 1)));
    }

    #[tokio::test]
    async fn the_same_key_for_another_body_is_refused() {
        let stored = stored_for(&request(b"{}"));
        let mut receipts = MockReceiptStore::new();
        receipts
            .expect_find()
            .returning(move |_| Ok(Some(stored.clone())));
        let keyed = keyed(receipts);
        let other = request(b"{\"name\":\"other\"}");
        let result = once_per_key(&keyed, Some(&other), |_| async {
            panic!("a reused key must not write")
        })
        .await;
        assert!(matches!(result, Err(ProductError::KeyReused)));
    }

    #[tokio::test]
    async fn losing_the_race_to_another_instance_replays_its_answer() {
        let first = request(b"{}");
        let stored = stored_for(&first);
        let mut receipts = MockReceiptStore::new();
        let mut finds = 0;
        receipts.expect_find().times(2).returning(move |_| {
            finds += 1;
            Ok((finds > 1).then(|| stored.clone()))
        });
        let keyed = keyed(receipts);
        let written = once_per_key(&keyed, Some(&first), |_| async {
            Err(RepositoryError::AlreadyApplied)
        })
        .await
        .unwrap();
        assert!(matches!(written, Written::Replayed(_)));
    }

    #[tokio::test]
    async fn a_repeat_waits_for_the_first_and_gives_up_after_its_bound() {
        let mut receipts = MockReceiptStore::new();
        receipts.expect_find().returning(|_| Ok(None));
        let keyed = keyed(receipts);
        let first = request(b"{}");
        let held = keyed.begin(&first).await.unwrap();
        let repeat = keyed.begin(&first).await;
        assert!(matches!(repeat, Err(ProductError::KeyInFlight)));
        drop(held);
        assert!(matches!(
            keyed.begin(&first).await,
            Ok(KeyTurn::Write { .. })
        ));
    }
}
