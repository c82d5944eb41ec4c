//! Product catalog API: product CRUD over HTTP, MongoDB as the system of record, Redis for
//! caching. Layers point inward: `interface` and `infrastructure` depend on `usecases`,
//! which depends on `domain`; `config` wires them together.

// Long functions hide steps that deserve names; tests may run longer (clippy.toml: 80).
#![cfg_attr(not(test), deny(clippy::too_many_lines))]

pub mod config;
pub mod domain;
pub mod infrastructure;
pub mod interface;
pub mod usecases;
