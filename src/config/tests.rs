use super::parse::*;
use super::*;

fn config(pairs: &[(&str, &str)]) -> Result<AppConfig, ConfigError> {
    let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
    for (k, v) in pairs {
        figment = figment.merge((*k, *v));
    }
    AppConfig::from_figment(&figment)
}

#[test]
fn no_credentials_in_debug_is_demo_mode() {
    let c = config(&[]).unwrap();
    assert!(c.demo);
    assert_eq!(c.github.web_url, "http://localhost:8000/demo/github");
}

#[test]
fn credentials_that_happen_to_be_the_demos_are_not_demo_mode() {
    let c = config(&[
        ("github_client_id", DEMO_CLIENT_ID),
        ("github_client_secret", DEMO_CLIENT_SECRET),
    ])
    .unwrap();
    assert!(!c.demo);
}

#[test]
fn no_credentials_in_release_names_the_variable() {
    let figment = Figment::from(Serialized::defaults(RawConfig::default()))
        .select(rocket::Config::RELEASE_PROFILE);
    let err = AppConfig::from_figment(&figment).unwrap_err().to_string();
    assert!(err.contains("GITHUB_CLIENT_ID"), "{err}");
}

#[test]
fn half_credentials_are_refused() {
    let err = config(&[("github_client_id", "x")]).unwrap_err();
    assert!(err.to_string().contains("GITHUB_CLIENT_SECRET"));
}

#[test]
fn github_urls_must_be_https_unless_loopback() {
    let creds = [("github_client_id", "id"), ("github_client_secret", "s")];
    let with = |k, v| config(&[creds[0], creds[1], (k, v)]);
    assert!(with("github_url", "http://github.example").is_err());
    assert!(with("github_url", "http://127.0.0.1:9999").is_ok());
    assert!(with("github_api_url", "http://localhost:1/api/v3").is_ok());
    assert!(with("github_api_url", "not a url").is_err());
    assert!(with("github_api_url", "ftp://example.com").is_err());
}

#[test]
fn session_lifetimes_are_human_durations() {
    let c = config(&[("session_idle_timeout", "30m"), ("session_max_age", "12h")]).unwrap();
    assert_eq!((c.sessions.idle_timeout, c.sessions.max_age), (1800, 43200));
    assert_eq!(config(&[]).unwrap().sessions.max_age, 30 * 86400);
    for bad in [
        "",
        "7",
        "d",
        "7 days",
        "-1d",
        "0s",
        "99999999999999d",
        "1.5h",
    ] {
        let err = config(&[("session_max_age", bad)]).unwrap_err().to_string();
        assert!(err.starts_with("SESSION_MAX_AGE"), "{bad:?}: {err}");
    }
}

#[test]
fn allow_lists_and_audiences_are_comma_separated() {
    let c = config(&[
        ("allowed_github_users", " Octocat, hubot ,"),
        ("allowed_github_orgs", "acme"),
        ("token_audiences", "https://api.example,billing"),
    ])
    .unwrap();
    assert!(c.access.login_entry("OCTOCAT").is_some() && c.access.login_entry("hubot").is_some());
    assert!(c.access.login_entry("mallory").is_none() && c.access.allows_org("Acme"));
    assert_eq!(c.token_audiences, ["https://api.example", "billing"]);
    assert!(config(&[]).unwrap().access.is_open());
    let err = config(&[("allowed_github_users", "a b")])
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("ALLOWED_GITHUB_USERS"), "{err}");
}

#[test]
fn a_malformed_database_url_names_the_variable() {
    for bad in [
        "mysql://h/x",
        "postgres://h:port/x",
        "sqlite://x.db?mode=sometimes",
    ] {
        let err = config(&[("databases.gitlogin.url", bad)]).unwrap_err();
        assert!(err.to_string().starts_with("DATABASE_URL"), "{err}");
    }
    assert!(config(&[("databases.gitlogin.url", "sqlite://x.db?mode=rwc")]).is_ok());
    assert!(config(&[(
        "databases.gitlogin.url",
        "postgres://u@db.internal/gitlogin"
    )])
    .is_ok());
}

#[test]
fn a_database_password_never_reaches_the_error() {
    for (url, shown) in [
        ("postgres://u:S3cret@db:54x2/g", "postgres://db:54x2/…"),
        (
            "postgres://db:54x2/g?user=u&password=S3cret",
            "postgres://db:54x2/…",
        ),
        (
            "postgres://u@db/g?password=S3cret&sslmode=sometimes",
            "postgres://db/…",
        ),
        (
            "sqlite://x.db?password=S3cret&mode=S3cret",
            "sqlite://x.db/…",
        ),
        // Nor when the scheme is one we do not speak.
        ("mysql://u:S3cret@db/g", "mysql://db/…"),
        ("mysql://db/g?password=S3cret", "mysql://db/…"),
    ] {
        let err = config(&[("databases.gitlogin.url", url)]).unwrap_err();
        let err = err.to_string();
        assert!(!err.contains("S3cret"), "{err}");
        assert!(err.contains(shown), "{url}: {err}");
        assert!(err.starts_with("DATABASE_URL"), "{err}");
    }
}

#[test]
fn a_misspelt_allow_list_is_named_and_the_right_ones_pass() {
    let names = |list: &[&str]| {
        list.iter()
            .map(std::ffi::OsString::from)
            .collect::<Vec<_>>()
    };
    let found = unknown_allow_list(
        names(&["PATH", "ALLOWED_GITHUB_USERS", "ALLOWED_GITHUB_ORG"]).into_iter(),
    );
    assert_eq!(found.as_deref(), Some("ALLOWED_GITHUB_ORG"));
    let known = names(&[
        "ALLOWED_GITHUB_USERS",
        "ALLOWED_GITHUB_ORGS",
        "ALLOWED_ORGS",
    ]);
    assert_eq!(unknown_allow_list(known.into_iter()), None);
    let err = ConfigError::UnknownAllowList("ALLOWED_GITHUB_ORG".into()).to_string();
    assert!(err.starts_with("ALLOWED_GITHUB_ORG is not"), "{err}");
}

#[test]
fn user_entries_are_logins_or_ids() {
    let c = config(&[("allowed_github_users", "alice, 1001 ,bob:2002")]).unwrap();
    assert_eq!(c.access.login_entry("Alice"), Some("alice"));
    assert!(c.access.allows_id(1001) && c.access.allows_id(2002));
    let err = config(&[("allowed_github_users", "alice:bob")]).unwrap_err();
    assert!(err.to_string().contains("\"alice:bob\""), "{err}");
}

#[test]
fn public_url_must_be_an_origin() {
    assert!(config(&[("public_url", "https://a.example/app")]).is_err());
    assert!(config(&[("public_url", "https://a.example?x=1")]).is_err());
    let c = config(&[("public_url", "https://a.example/")]).unwrap();
    assert_eq!(c.public_url, "https://a.example");
    assert!(c.https);
    let err = config(&[("public_url", "localhost:8000")]).unwrap_err();
    assert!(err.to_string().starts_with("PUBLIC_URL"), "{err}");
}

#[test]
fn events_need_both_a_receiver_and_a_secret() {
    assert!(config(&[]).unwrap().events.is_none());
    let err = config(&[("events_url", "https://hooks.example/in")]).unwrap_err();
    assert!(err.to_string().contains("EVENTS_SECRET is not"), "{err}");
    let err = config(&[("events_secret", "s")]).unwrap_err();
    assert!(err.to_string().contains("EVENTS_URL is not"), "{err}");
    let err = config(&[("events_url", "hooks.example"), ("events_secret", "s")]).unwrap_err();
    assert!(err.to_string().starts_with("EVENTS_URL"), "{err}");
    let url = "https://user:pw@hooks.example/in";
    assert!(config(&[("events_url", url), ("events_secret", "s")]).is_err());
    let events = config(&[("events_url", "http://10.0.0.5/in"), ("events_secret", "s")])
        .unwrap()
        .events
        .unwrap();
    assert_eq!(events.url.as_str(), "http://10.0.0.5/in");
    assert_eq!(events.timeout, Duration::from_secs(10));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = config(&[
        ("github_client_id", "id"),
        ("github_client_secret", "S3cret-client"),
        ("signing_key", "S3cret-key"),
        ("events_url", "https://hooks.example/in"),
        ("events_secret", "S3cret-events"),
    ])
    .unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("S3cret"), "{shown}");
    assert!(shown.contains("client_id: \"id\""), "{shown}");
}
