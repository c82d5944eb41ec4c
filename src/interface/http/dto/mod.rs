//! Request and response shapes of the HTTP contract, and their conversion to domain types.

mod auth;
mod cache_stats;
mod envelope;
mod events;
mod export_format;
mod facets;
mod health;
mod list_query;
mod number_text;
mod product;
mod status;
mod wishlist;

pub use auth::{
    LoginRequest, LoginResponse, LogoutAllResponse, RegisterRequest, SessionResponse, SessionUser,
    UserResponse,
};
pub use cache_stats::{
    CacheStatsResponse, CacheStatusResponse, ConsistencyStats, InvalidationResponse, LayerStats,
    Layers, NearCacheStats, RateLimitStats, RedisStats,
};
pub use envelope::Envelope;
pub use events::{FieldChangeData, ProductEventData, ShopperEventData};
pub use export_format::{ExportFormat, ExportLineError, CSV_COLUMNS};
pub use facets::{CategoryCount, FacetsResponse, PriceBucketCount, StockCounts};
pub use health::{DependencyStatus, HealthData, Liveness};
pub use list_query::{ListQuery, ListQueryParams, PageQuery};
pub use product::{ProductList, ProductPayload, ProductResponse};
pub use status::{EventStats, LatencyBucket, RequestTotals, StatusData};
pub use wishlist::{WishlistRequest, WishlistResponse};
