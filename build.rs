//! One fact about this machine, for the test crates: whether Debian's `postgresql` is
//! installed. Without it, `tests/postgres` compiles its suites out and keeps one test that
//! says how to install it (a failure under `CI`), so that no test there has to check.
//! The app itself does not look at it.

use std::path::Path;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(postgres_installed)");
    println!("cargo::rerun-if-changed=build.rs");
    // Installing or removing a version adds or removes a folder here.
    println!("cargo::rerun-if-changed=/usr/lib/postgresql");
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|version| Path::new(&version.path()).join("bin/initdb").exists());
    if installed {
        println!("cargo::rustc-cfg=postgres_installed");
    }
}
