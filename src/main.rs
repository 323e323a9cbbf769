//! The `gitlogin` server. Run it from the project root: it reads `Rocket.toml`, `templates/`
//! and `static/` from there.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    let figment = gitlogin::config::figment();
    if let Ok(level) = figment.extract_inner(rocket::Config::LOG_LEVEL) {
        gitlogin::logging::init(level);
    }
    let rocket = match gitlogin::app(figment) {
        Ok(rocket) => rocket,
        Err(e) => {
            eprintln!("gitlogin: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rocket.launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gitlogin: {e}");
            ExitCode::FAILURE
        }
    }
}
