//! docs/running.md's systemd unit (`examples/systemd/gitlogin.service`): `systemd-analyze verify`
//! finds nothing to say about it (with its `ExecStart` pointed at this build, which must
//! exist for that), and the configuration it gives the binary passes `check-config`.

use std::path::Path;
use std::process::Command;

use crate::helpers::not_installed;

const UNIT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/examples/systemd/gitlogin.service"
);

fn unit() -> String {
    std::fs::read_to_string(UNIT).unwrap()
}

#[test]
fn systemd_analyze_verify_finds_nothing_to_say_about_the_unit() {
    if !Path::new("/usr/bin/systemd-analyze").exists() {
        not_installed("systemd-analyze", "apt-get install systemd");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let here = unit().replace("/usr/local/bin/gitlogin", env!("CARGO_BIN_EXE_gitlogin"));
    assert_ne!(here, unit(), "the unit's paths moved");
    let path = dir.path().join("gitlogin.service");
    std::fs::write(&path, here).unwrap();

    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();

    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{said}");
    // An unknown or misspelt setting is only a warning, and would weaken the unit unseen.
    assert_eq!(said.trim(), "", "systemd-analyze had something to say");
}

#[test]
fn the_units_configuration_passes_check_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("github_client_secret"), "secret\n").unwrap();
    std::fs::write(
        dir.path().join("rocket_secret_key"),
        crate::helpers::random_secret_key(),
    )
    .unwrap();
    let mut cmd = crate::real_server::gitlogin();
    cmd.arg("check-config");
    for line in unit().lines() {
        let Some(setting) = line.strip_prefix("Environment=") else {
            continue;
        };
        let (name, value) = setting.split_once('=').unwrap();
        // `%d` is the credentials directory systemd makes; the state directory is the
        // temporary one here.
        let value = value
            .replace("%d", &dir.path().display().to_string())
            .replace("/var/lib/gitlogin", &dir.path().display().to_string());
        cmd.env(name, value);
    }

    let out = cmd.output().unwrap();

    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{said}");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        shown.contains("GITHUB_CLIENT_SECRET: set") && shown.contains("ROCKET_SECRET_KEY: set"),
        "{shown}"
    );
}
