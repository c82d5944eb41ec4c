//! Product catalog API: product CRUD over HTTP, MongoDB as the system of record, Redis for
//! caching. Layers point inward: `interface` and `infrastructure` depend on `usecases`,
//! which depends on `domain`; `config` wires them together.

pub mod config;
pub mod domain;
pub mod infrastructure;
pub mod interface;
pub mod usecases;
