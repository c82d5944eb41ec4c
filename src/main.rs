use std::process::ExitCode;

use product_catalog::config::{reconcile, seed, telemetry, Application, Settings};
use product_catalog::domain::error::error_chain;

const USAGE: &str = "usage: product-catalog [serve | seed COUNT | reconcile]";

#[tokio::main]
async fn main() -> ExitCode {
    let _ = dotenvy::dotenv();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(errors) => {
            eprint!("{errors}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] | ["serve"] => {}
        ["seed", count] => {
            let Ok(count) = count.parse::<u32>() else {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            };
            return match seed(settings, count).await {
                Ok(created) => {
                    eprintln!("created {created} products");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {}", error_chain(&error));
                    ExitCode::FAILURE
                }
            };
        }
        ["reconcile"] => {
            return match reconcile(settings).await {
                Ok(corrected) => {
                    eprintln!("wishlist counts corrected: {corrected}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {}", error_chain(&error));
                    ExitCode::FAILURE
                }
            };
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    }
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => {
            let message = error_chain(&error);
            tracing::error!(error = %message, "start-up failed");
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
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
