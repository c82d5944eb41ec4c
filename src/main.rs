use std::process::ExitCode;

use clap::Parser;
use product_catalog::config::{
    export, reconcile, seed, telemetry, warm, Application, Cli, Command, Settings,
};
use product_catalog::domain::error::error_chain;
use product_catalog::interface::http::dto::ExportFormat;

#[tokio::main]
async fn main() -> ExitCode {
    let command = Cli::parse().to_run();
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    match command {
        Command::Serve => serve(settings).await,
        Command::Seed { count } => match seed(settings, count).await {
            Ok(created) => {
                eprintln!("created {created} products");
                ExitCode::SUCCESS
            }
            Err(error) => failed(&error),
        },
        Command::Warm => match warm(settings).await {
            Ok(done) => {
                eprintln!(
                    "warmed {} of {} products, {} list pages and counts, with {} MongoDB queries",
                    done.products, done.planned, done.pages, done.queries
                );
                ExitCode::SUCCESS
            }
            Err(error) => failed(&error),
        },
        Command::Export { csv } => {
            let format = if csv {
                ExportFormat::Csv
            } else {
                ExportFormat::Ndjson
            };
            let mut out = std::io::BufWriter::new(std::io::stdout());
            match export(settings, format, &mut out).await {
                Ok(written) => {
                    eprintln!("exported {written} products");
                    ExitCode::SUCCESS
                }
                Err(error) => failed(&error),
            }
        }
        Command::Reconcile => match reconcile(settings).await {
            Ok(corrected) => {
                eprintln!("wishlist counts corrected: {corrected}");
                ExitCode::SUCCESS
            }
            Err(error) => failed(&error),
        },
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => {
            tracing::error!(error = %error_chain(&error), "start-up failed");
            return failed(&error);
        }
    };
    match application.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: server failed: {error}");
            ExitCode::FAILURE
        }
    }
}

fn failed(error: &(dyn std::error::Error + 'static)) -> ExitCode {
    eprintln!("error: {}", error_chain(error));
    ExitCode::FAILURE
}
