//! Product events: the outbox relay that publishes them and settles each write's cache
//! effects, the journal through which this instance's writes reach it, and the feed that
//! fans the stream out to this instance's subscribers.

mod feed;
mod journal;
mod relay;
mod shopper;

pub use feed::{EventFeed, FeedEnd, FeedSettings, SubscribeError, Subscription};
pub use journal::{OutboxJournal, OutboxJournalParameters, RelaySignals, WriteJournal};
pub use relay::{OutboxRelay, RelayCounters, RelaySettings, RoundReport};
pub use shopper::{
    ShopperView, WatchWishlist, WatchWishlistParameters, WatchWishlistUseCase, WishlistWatch,
};

#[cfg(any(test, feature = "mock"))]
pub use journal::MockWriteJournal;
