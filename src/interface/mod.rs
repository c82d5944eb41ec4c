//! Driving adapters: the HTTP API.

pub mod http;
