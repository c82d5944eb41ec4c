//! Rate limits shared across instances: the decision per request class, and the quota
//! leases that let an instance decide locally for a while.

mod check_rate_limit;
mod decisions;
mod rate_leases;

pub use check_rate_limit::{
    CheckRateLimit, CheckRateLimitParameters, RateClass, RateLimitUseCase, RateLimits,
};
pub use decisions::{FailureReport, RateDecisions, RateSnapshot, RateSource};
