//! What lies outside the app under test: programs a test starts (and their absence), a
//! private CA, and the real binary refusing a configuration.

/// A real part the tests start (nginx, PostgreSQL) is missing. Under `CI` that is a failure;
/// otherwise one line says how to install it, written past the test harness's capture so it
/// is seen, and the caller's test returns early.
pub fn not_installed(what: &str, install: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what} is required under CI: {install}");
    }
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "{what} tests skipped: {what} is not installed (install it with `{install}`)"
    );
}

/// A CA a test makes, and a certificate for 127.0.0.1 that it signed: (CA PEM, leaf PEM, leaf
/// key PEM). For servers on TLS that a test's clients trust and nobody else does.
pub fn private_ca() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Names of their own: with rcgen's one default name for both, OpenSSL (curl, Apache's
    // mod_auth_openidc) takes the leaf for self-signed and never looks for its CA.
    ca.distinguished_name
        .push(DnType::CommonName, "gitlogin test CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

/// What a binary that refused to start printed, each stream apart.
pub struct Refusal {
    pub stdout: String,
    pub stderr: String,
}

impl Refusal {
    /// Both streams, for a check that the refusal says (or keeps quiet about) something.
    pub fn printed(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Asserts that this configuration refuses to start: the binary `command` runs (the real
/// `gitlogin`, with the environment the test gave it) exits, within 30 s, with a failure.
/// Returns what it printed, for the test to check that it names the problem.
pub fn assert_refuses_to_start(command: &mut std::process::Command) -> Refusal {
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status =
        crate::real_server::wait_with_deadline(&mut child, std::time::Duration::from_secs(30))
            .expect("this configuration should refuse to start, but it kept running");
    let output = child.wait_with_output().unwrap();
    let refusal = Refusal {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(
        !status.success(),
        "this configuration should refuse to start, but it exited 0:\n{}",
        refusal.printed()
    );
    refusal
}
