//! The `gitlogin` binary: the server, and the operator's commands next to it (`src/cli.rs`).
//! It runs from any directory: its templates, static files and `Rocket.toml` defaults are
//! compiled in, and those files in the working directory override them.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    gitlogin::cli::run().await
}
