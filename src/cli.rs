//! The `gitlogin` command line: the server, and the commands an operator runs next to it
//! with the same environment (they read the whole configuration as the server does, and open
//! the same store). Usage errors exit 2 and start nothing; a command that fails says why in
//! one line on stderr and exits 1.

mod apps;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use rocket::figment::Figment;

use crate::config::AppConfig;

#[derive(Parser)]
#[command(
    name = "gitlogin",
    version,
    about = "Sign in with GitHub, for a team's apps"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (also what `gitlogin` alone does).
    Serve,
    /// Add a new signing key to the store and print its kid.
    RotateKey,
    /// Register, list, show, re-key and remove the apps that sign in through gitlogin.
    #[command(subcommand)]
    Apps(apps::AppsCommand),
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let figment = crate::config::figment();
    match cli.command {
        None | Some(Command::Serve) => serve(figment).await,
        Some(Command::RotateKey) => {
            crate::identity::key_store::rotate_key_command(quiet(figment)).await
        }
        Some(Command::Apps(command)) => apps::run(command, quiet(figment)).await,
    }
}

async fn serve(figment: Figment) -> ExitCode {
    if let Ok(level) = figment.extract_inner(rocket::Config::LOG_LEVEL) {
        crate::ops::logging::init(level);
    }
    let rocket = match crate::app(figment) {
        Ok(rocket) => rocket,
        Err(e) => {
            eprintln!("gitlogin: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    crate::ops::signals::ignore_hangup();
    match rocket.launch().await {
        Ok(rocket) => {
            crate::store::pool::close(&rocket).await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gitlogin: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A command's standard output carries its answer and nothing else: the log says only
/// what is critical. It serves no cookie, so without a `secret_key` it takes a throwaway one
/// rather than have Rocket warn about it.
fn quiet(figment: Figment) -> Figment {
    crate::ops::logging::init(rocket::config::LogLevel::Critical);
    let figment = figment.merge(("log_level", "critical"));
    let key = figment.extract_inner::<rocket::config::SecretKey>("secret_key");
    if key.is_ok_and(|key| !key.is_zero()) {
        figment
    } else {
        figment.merge(("secret_key", crate::ops::random::secret_key()))
    }
}

/// The configuration, checked as the server checks it, and the store, opened and migrated.
async fn open_store(figment: Figment) -> Result<rocket::Rocket<rocket::Ignite>, String> {
    AppConfig::from_figment(&figment).map_err(|e| e.to_string())?;
    crate::store::pool::open_for_command(figment).await
}
