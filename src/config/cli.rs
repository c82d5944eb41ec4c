//! The command line: what the binary can do besides serving. Parsed before the settings,
//! so `--help` and `--version` work whatever the environment holds.

use clap::{Parser, Subcommand};

/// Every setting with its default, shown by `serve --help`: the same file a new deployment
/// copies, so the two cannot drift apart (a settings test checks the file).
const ENVIRONMENT: &str = concat!(
    "Configuration comes from the environment (and a .env file), as in .env.example:\n\n",
    include_str!("../../.env.example")
);

/// Product catalog API: product CRUD and wishlists over HTTP, MongoDB as the system of
/// record, Redis for caching, sessions and rate limits.
#[derive(Debug, Parser)]
#[command(name = "product-catalog", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the HTTP API until SIGINT or SIGTERM (the default).
    #[command(after_long_help = ENVIRONMENT, after_help = ENVIRONMENT)]
    Serve,
    /// Create COUNT sample products through the same write path as the API.
    Seed {
        /// How many products to create.
        count: u32,
    },
    /// Set every product's wishlist count to its number of wishlist entries.
    Reconcile,
    /// Fill the cache with the most-read products, the first list page and the count.
    Warm,
    /// Write every product to standard output, one per line, in id order: NDJSON (as
    /// the API shows products), or CSV with a header row.
    Export {
        /// CSV instead of NDJSON.
        #[arg(long)]
        csv: bool,
    },
}

impl Cli {
    /// The subcommand, `serve` when none is given.
    pub fn to_run(&self) -> Command {
        self.command.unwrap_or(Command::Serve)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed_and_serve_is_the_default() {
        <Cli as CommandFactory>::command().debug_assert();
        let none = Cli::try_parse_from(["product-catalog"]).unwrap();
        assert_eq!(none.to_run(), Command::Serve);
        let seed = Cli::try_parse_from(["product-catalog", "seed", "12"]).unwrap();
        assert_eq!(seed.to_run(), Command::Seed { count: 12 });
        assert!(Cli::try_parse_from(["product-catalog", "seed", "many"]).is_err());
        let export = Cli::try_parse_from(["product-catalog", "export", "--csv"]).unwrap();
        assert_eq!(export.to_run(), Command::Export { csv: true });
    }
}
