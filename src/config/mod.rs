//! Composition root: settings, telemetry, the DI module and start-up. The only module that
//! names every concrete type.

mod background;
mod cli;
mod client_keys;
mod components;
mod export;
mod http_server;
mod module;
mod reconcile;
mod seed;
mod settings;
mod shared_state;
mod startup;
mod startup_error;
pub mod telemetry;
mod warm;
mod wiring;

pub use cli::{Cli, Command};
pub use client_keys::client_keys;
pub use export::export;
pub use module::{build_module, AppModule, EventWiring};
pub use reconcile::reconcile;
pub use seed::seed;
pub use settings::{ConfigErrors, ConsistencySettings, LogFormat, ServerSettings, Settings};
pub use startup::{Application, StopHandle};
pub use startup_error::StartupError;
pub use warm::warm;
