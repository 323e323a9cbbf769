//! The `gitlogin` server. Run it from the project root: it reads `Rocket.toml`, `templates/`
//! and `static/` from there.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    let figment = gitlogin::config::figment();
    // `gitlogin rotate-key`: add a new signing key to the store, print its kid, exit.
    if std::env::args().nth(1).as_deref() == Some("rotate-key") {
        return gitlogin::identity::key_store::rotate_key_command(figment).await;
    }
    if let Ok(level) = figment.extract_inner(rocket::Config::LOG_LEVEL) {
        gitlogin::ops::logging::init(level);
    }
    let rocket = match gitlogin::app(figment) {
        Ok(rocket) => rocket,
        Err(e) => {
            eprintln!("gitlogin: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rocket.launch().await {
        Ok(rocket) => {
            gitlogin::store::pool::close(&rocket).await;
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gitlogin: {e}");
            ExitCode::FAILURE
        }
    }
}
