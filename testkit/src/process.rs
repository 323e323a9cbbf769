//! Processes: running a command to completion, waiting for a server to answer, finding a
//! process's children, running as the `postgres` user, and clean-up that outlives us.

use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// Runs `command`; its stderr is the error when it fails.
pub fn run(command: &mut Command) -> Result<(), String> {
    let output = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} failed: {}",
            command.get_program(),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs `script` (sh) once this process has ended, however it ends: the clean-up for a
/// server we started, should we be killed before we stop it ourselves (a test binary has no
/// hook that runs at exit). It ignores the Ctrl-C that ends us, and is never waited for: it
/// must outlive us.
#[allow(clippy::zombie_processes)]
pub fn after_exit(script: &str, env: &[(&str, &std::ffi::OsStr)]) -> Result<(), String> {
    let watch =
        format!("trap '' INT HUP; while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; {script}");
    Command::new("sh")
        .arg("-c")
        .arg(watch)
        .arg("sh")
        .arg(std::process::id().to_string())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start a watchdog: {e}"))
}

/// The PIDs whose parent is `pid`, from `/proc`.
pub fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            parent_pid(&stat) == Some(pid)
        })
        .collect()
}

/// The parent's PID in a `/proc/PID/stat` line: `pid (comm) state ppid …`, where comm may
/// hold spaces and parentheses, so the fields are counted after its last `)`.
pub fn parent_pid(stat: &str) -> Option<u32> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// `kill -NAME pid`; false if the process is gone.
pub fn signal(name: &str, pid: u32) -> bool {
    Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// SIGTERM to `child`, then SIGKILL if it has not exited within five seconds; `true` if it
/// exited by itself.
pub fn terminate(child: &mut std::process::Child) -> bool {
    signal("TERM", child.id());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

pub fn running_as_root() -> bool {
    static ROOT: OnceLock<bool> = OnceLock::new();
    *ROOT.get_or_init(|| {
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
    })
}

/// Spawns `command` (which runs `binary`), watched: if we are killed, nothing else would stop
/// it (it would keep its ports), so its PID, as long as it is still `binary`, gets SIGTERM.
pub fn spawn_watched(
    command: &mut std::process::Command,
    binary: &std::path::Path,
) -> Result<std::process::Child, String> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let pid = child.id().to_string();
    after_exit(
        "[ \"$(readlink /proc/$PID/exe)\" = \"$BIN\" ] && kill -TERM \"$PID\"",
        &[("PID", pid.as_ref()), ("BIN", binary.as_os_str())],
    )?;
    Ok(child)
}

/// Waits (up to 10 s) until every URL of `ready` answers 200 while `child` runs; otherwise
/// an error naming `name` and quoting its `log`.
pub async fn wait_ready(
    child: &mut std::process::Child,
    name: &str,
    ready: &[String],
    log: &std::path::Path,
) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for url in ready {
        if !answers(child, url, deadline).await {
            let said = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("{name} did not answer {url}: {said}"));
        }
    }
    Ok(())
}

/// Whether `url` answers 200 before `deadline`, while `child` keeps running: a server we
/// started is ready, or has exited (and will not be).
async fn answers(child: &mut std::process::Child, url: &str, deadline: std::time::Instant) -> bool {
    let Ok(http) = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
    else {
        return false;
    };
    while std::time::Instant::now() < deadline {
        if http.get(url).send().await.is_ok_and(|a| a.status() == 200) {
            return true;
        }
        if !matches!(child.try_wait(), Ok(None)) {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

/// An installed program: at Debian's path `usual` first (it may not be on a user's `PATH`, as
/// /usr/sbin often is not), then `PATH`; canonical, as `/proc/PID/exe` names it for the
/// watchdogs.
pub fn installed(name: &str, usual: &str) -> Option<std::path::PathBuf> {
    let in_path = std::env::var_os("PATH").into_iter().flat_map(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .collect::<Vec<_>>()
    });
    std::iter::once(std::path::PathBuf::from(usual))
        .chain(in_path)
        .find(|candidate| candidate.is_file())
        .map(|found| found.canonicalize().unwrap_or(found))
}

#[cfg(test)]
mod tests {
    use super::parent_pid;

    #[test]
    fn reads_the_parent_from_proc_stat() {
        // The command name may hold spaces and parentheses; the fields after it do not.
        let stat = "4242 (postgres: a (b) c) S 4100 4242 4100 0 -1 4194560 212 0 0 0 3 1";
        assert_eq!(parent_pid(stat), Some(4100));
        assert_eq!(parent_pid(""), None);
        let me = std::fs::read_to_string("/proc/self/stat").unwrap();
        assert_eq!(parent_pid(&me), Some(std::os::unix::process::parent_id()));
    }
}
