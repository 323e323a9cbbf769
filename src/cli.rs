//! The `gitlogin` command line: the server, and the commands an operator runs next to it
//! with the same environment (they read the whole configuration as the server does, and open
//! the same store). Usage errors exit 2 and start nothing; a command that fails says why in
//! one line on stderr and exits 1.

mod apps;
mod check_config;
mod rotate_key;
mod users;

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
    /// Read the whole configuration as `serve` would and show what it found, or every problem.
    CheckConfig,
    /// Ask the running server's readiness probe (/readyz); exit 0 if it is ready, 1 if not.
    Healthcheck,
    /// Print a fresh ROCKET_SECRET_KEY.
    GenSecret,
    /// Add a new signing key to the store and print its kid; it is published at once and
    /// signs from SIGNING_KEY_PUBLISH_AHEAD later, on every instance, without a restart.
    RotateKey {
        /// The algorithm of the key: EdDSA signs identity tokens and the ID tokens of apps
        /// that ask for it, RS256 the other ID tokens.
        #[arg(long, default_value = "EdDSA", value_parser = parse_alg)]
        alg: crate::registry::IdTokenAlg,
        /// Sign with the new key at once, not SIGNING_KEY_PUBLISH_AHEAD later: the old key
        /// leaked. Relying parties that cached the JWKS fetch it again at the new kid.
        #[arg(long)]
        now: bool,
    },
    /// The people who have signed in, and signing one of them out everywhere.
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Register, list, show, re-key and remove the apps that sign in through gitlogin.
    #[command(subcommand)]
    Apps(apps::AppsCommand),
}

pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    let figment = crate::config::figment();
    match cli.command {
        None | Some(Command::Serve) => serve(figment).await,
        Some(Command::RotateKey { alg, now }) => rotate_key::run(quiet(figment), alg, now).await,
        Some(Command::CheckConfig) => check_config::run(&figment),
        Some(Command::Healthcheck) => healthcheck(&figment).await,
        Some(Command::GenSecret) => {
            println!("{}", crate::ops::random::secret_key());
            ExitCode::SUCCESS
        }
        Some(Command::Apps(command)) => apps::run(command, quiet(figment)).await,
        Some(Command::Users(command)) => match users::run(command, quiet(figment)).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("gitlogin users: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn parse_alg(value: &str) -> Result<crate::registry::IdTokenAlg, String> {
    crate::registry::IdTokenAlg::parse(value).ok_or_else(|| "write EdDSA or RS256".to_owned())
}

/// For a container's HEALTHCHECK, where there may be no curl: the configured address's
/// `/readyz`, within five seconds. A server listening on every address is asked on loopback.
async fn healthcheck(figment: &Figment) -> ExitCode {
    let config = match rocket::Config::try_from(figment) {
        Ok(config) => config,
        Err(e) => {
            eprintln!(
                "gitlogin healthcheck: {}",
                e.to_string().lines().next().unwrap_or_default()
            );
            return ExitCode::FAILURE;
        }
    };
    let host = match config.address {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => "127.0.0.1".to_owned(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => "[::1]".to_owned(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    let url = format!("http://{host}:{}/readyz", config.port);
    let asked = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string());
    let answer = match asked {
        Ok(http) => http.get(&url).send().await.map_err(|e| e.to_string()),
        Err(e) => Err(e),
    };
    match answer {
        Ok(answer) if answer.status() == 200 => ExitCode::SUCCESS,
        Ok(answer) => {
            eprintln!("gitlogin healthcheck: {url} answered {}", answer.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("gitlogin healthcheck: {url}: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(figment: Figment) -> ExitCode {
    // Before the configuration is checked, so that its problems are logged as asked; a bad
    // LOG_FORMAT is one of them, reported in text.
    let format: String = figment.extract_inner("log_format").unwrap_or_default();
    let format = crate::ops::logging::LogFormat::parse(&format).unwrap_or_default();
    if let Ok(level) = figment.extract_inner(rocket::Config::LOG_LEVEL) {
        crate::ops::logging::init(level, format);
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
    crate::ops::logging::init(rocket::config::LogLevel::Critical, Default::default());
    let figment = figment.merge(("log_level", "critical"));
    let key = figment.extract_inner::<rocket::config::SecretKey>("secret_key");
    if key.is_ok_and(|key| !key.is_zero()) {
        figment
    } else {
        figment.merge(("secret_key", crate::ops::random::secret_key()))
    }
}

/// The configuration, checked as the server checks it, and the store, opened and migrated.
async fn open_store(
    figment: Figment,
) -> Result<(rocket::Rocket<rocket::Ignite>, AppConfig), String> {
    let config = AppConfig::from_figment(&figment).map_err(|e| e.to_string())?;
    let rocket = crate::store::pool::open_for_command(figment).await?;
    Ok((rocket, config))
}
