//! The `gitlogin` binary: the server, and the operator's commands next to it (`src/cli.rs`).
//! Run the server from the project root: it reads `Rocket.toml`, `templates/` and `static/`
//! from there.

use std::process::ExitCode;

#[rocket::main]
async fn main() -> ExitCode {
    gitlogin::cli::run().await
}
