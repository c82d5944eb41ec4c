//! Black-box API tests: the real application on a free port, over real sockets, against
//! real Redis and a real MongoDB-wire server started on free loopback ports.

mod auth;
mod browser_http;
mod cache_admin;
mod cache_failure_logs;
mod caching;
mod cli;
mod cluster_failover;
mod docs;
mod health;
mod helpers;
mod http_cache;
mod login_throttle;
mod metrics;
mod near_cache;
mod openapi;
mod outages;
mod products_crud;
mod products_list;
mod products_validation;
mod rate_limits;
mod redis_acl;
mod redis_adapter;
mod redis_bounded_memory;
mod redis_cache_server;
mod redis_hang;
mod redis_memory;
mod redis_replicas;
mod redis_tls;
mod seed;
mod session_lifetime;
mod session_store;
mod startup;
mod uncertain_writes;
mod wishlist;
mod wishlist_atomicity;
