//! Apache (Debian's `apache2`) with a config of the caller's and the modules it names, every
//! file it writes kept in one directory, stopped when dropped and by a watchdog if we are
//! killed first.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::process::{spawn_watched, wait_ready};

/// What to tell someone who has no Apache or no mod_auth_openidc.
pub const INSTALL: &str = "apt-get install apache2 libapache2-mod-auth-openidc";

/// Where Debian keeps Apache's modules.
const MODULES: &str = "/usr/lib/apache2/modules";

/// Apache's binary, if it and mod_auth_openidc are installed: Debian puts it in /usr/sbin,
/// which may not be on a user's `PATH`.
pub fn binary() -> Option<PathBuf> {
    let module = Path::new(MODULES).join("mod_auth_openidc.so");
    crate::process::installed("apache2", "/usr/sbin/apache2").filter(|_| module.is_file())
}

/// A whole Apache config around `site` (virtual hosts and their directives), loading
/// `modules` (e.g. `proxy` for `mod_proxy.so`): every file Apache writes goes to `dir`.
/// Apache's children drop root for `www-data` (it refuses to serve as root), so whatever
/// they read in `dir` must be readable by everyone.
pub fn config(dir: &Path, modules: &[&str], site: &str) -> String {
    let d = dir.display();
    let loads: String = modules
        .iter()
        .map(|m| format!("LoadModule {m}_module {MODULES}/mod_{m}.so\n"))
        .collect();
    format!(
        "ServerRoot {d}\n\
         DefaultRuntimeDir {d}\n\
         PidFile {d}/apache.pid\n\
         ErrorLog {d}/error.log\n\
         LogLevel warn\n\
         User www-data\n\
         Group www-data\n\
         ServerName 127.0.0.1\n\
         LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n\
         LoadModule authn_core_module {MODULES}/mod_authn_core.so\n\
         LoadModule authz_core_module {MODULES}/mod_authz_core.so\n\
         {loads}\
         {site}\n"
    )
}

/// A running Apache (its parent and children), stopped when dropped.
pub struct Apache {
    child: Option<Child>,
}

impl Apache {
    /// Writes [`config`]`(dir, modules, site)` into `dir`, starts Apache in the foreground
    /// and waits (up to 10 s) until every URL of `ready` answers 200.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        modules: &[&str],
        site: &str,
        ready: &[String],
    ) -> Result<Apache, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let conf = dir.join("apache.conf");
        std::fs::write(&conf, config(dir, modules, site))
            .map_err(|e| format!("{}: {e}", conf.display()))?;
        let mut command = Command::new(binary);
        command.arg("-f").arg(&conf).arg("-DFOREGROUND");
        // What it says before it opens its ErrorLog (a config it cannot read) goes there too.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("error.log"))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        command.stderr(Stdio::from(log));
        let mut apache = Apache {
            child: Some(spawn_watched(&mut command, binary)?),
        };
        let child = apache.child.as_mut().expect("just started");
        wait_ready(child, "apache", ready, &dir.join("error.log")).await?;
        Ok(apache)
    }

    /// SIGTERM (Apache stops its children and exits), then SIGKILL after five seconds.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        crate::process::terminate(&mut child);
    }
}

impl Drop for Apache {
    fn drop(&mut self) {
        self.stop();
    }
}
