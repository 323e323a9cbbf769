//! APIs in the registry (issue 24) from the outside: registered with `gitlogin apps add
//! --api`, the real binary on the test's store; access tokens for them, service accounts,
//! introspection. One concern per file; what they share is here.

mod audiences;
mod consent;
mod data_service;
mod introspection;
mod people;
mod refresh;
mod registry;
mod services;

use std::process::Output;

use serde_json::Value;

use crate::real_server::{gitlogin, run_to_end};

/// `gitlogin ARGS…` on the store at `db_url`, with `env` set too.
pub fn gitlogin_on(db_url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = gitlogin();
    command.args(args).env("DATABASE_URL", db_url);
    for (key, value) in env {
        command.env(key, value);
    }
    run_to_end(&mut command)
}

/// `gitlogin apps add ARGS… --json`, which must succeed: the app's credentials.
pub fn add(db_url: &str, args: &[&str]) -> (String, Option<String>) {
    let mut all = vec!["apps", "add"];
    all.extend_from_slice(args);
    all.push("--json");
    let output = gitlogin_on(db_url, &all, &[]);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = json["client_id"].as_str().unwrap().to_owned();
    (id, json["client_secret"].as_str().map(str::to_owned))
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
