use super::*;
use crate::config::allow_list::AllowedUser;

fn with_uri(uri: &str) -> Requested {
    Requested {
        name: "wiki".into(),
        redirect_uris: vec![uri.into()],
        ..Requested::default()
    }
}

fn refusal(requested: Requested) -> RegistrationError {
    Registration::check(requested).expect_err("it was accepted")
}

#[test]
fn redirect_uris_are_https_or_loopback_http_and_kept_as_written() {
    for uri in [
        "https://grafana.example.com/login/generic_oauth",
        "https://app.example/cb?x=1",
        "http://127.0.0.1:8080/callback",
        "http://localhost/callback",
        "http://[::1]:9/cb",
    ] {
        let app = Registration::check(with_uri(uri)).unwrap();
        assert_eq!(app.redirect_uris, vec![uri.to_owned()]);
    }
}

#[test]
fn a_redirect_uri_that_could_leak_a_code_is_refused() {
    for (uri, why) in [
        ("http://app.example/cb", "http is only for loopback hosts"),
        (
            "http://127.0.0.1.evil.example/cb",
            "http is only for loopback hosts",
        ),
        ("https://app.example/cb#frag", "fragment"),
        ("https://app.example/cb#", "fragment"),
        ("https://user:pw@app.example/cb", "user name or password"),
        ("https://user@app.example/cb", "user name or password"),
        ("/callback", "not an absolute URL"),
        ("javascript:alert(1)", "use https"),
        ("myapp://callback", "use https"),
        // The parser would drop these before looking; the stored string would keep them.
        ("https://app.example/cb\n", "spaces or control characters"),
        ("https://app.example/c\tb", "spaces or control characters"),
        (" https://app.example/cb", "spaces or control characters"),
    ] {
        match refusal(with_uri(uri)) {
            RegistrationError::RedirectUri(u, reason) => {
                assert_eq!(u, uri);
                assert!(reason.contains(why), "{uri}: {reason}");
            }
            other => panic!("{uri}: {other:?}"),
        }
    }
}

#[test]
fn an_app_needs_a_redirect_uri_or_a_host() {
    let nothing = Requested {
        name: "wiki".into(),
        ..Requested::default()
    };
    assert_eq!(refusal(nothing), RegistrationError::NoWayIn);
    let host_only = Requested {
        name: "wiki".into(),
        hosts: vec!["Wiki.Example.com".into(), "127.0.0.1:9000".into()],
        ..Requested::default()
    };
    let app = Registration::check(host_only).unwrap();
    assert_eq!(app.hosts, ["wiki.example.com", "127.0.0.1:9000"]);
}

#[test]
fn names_hosts_rules_and_algorithms_are_checked() {
    for name in ["", "-wiki", "wi ki", "wiki/x", &"a".repeat(65)] {
        let requested = Requested {
            name: name.into(),
            ..with_uri("https://a.example/cb")
        };
        assert!(
            matches!(refusal(requested), RegistrationError::Name(_)),
            "{name:?}"
        );
    }
    for host in [
        "",
        "a b",
        "wiki.example.com:0",
        "wiki.example.com:99999",
        "http://x",
    ] {
        let requested = Requested {
            hosts: vec![host.into()],
            ..with_uri("https://a.example/cb")
        };
        assert!(
            matches!(refusal(requested), RegistrationError::Host(_)),
            "{host:?}"
        );
    }
    let bad_rules = [
        (vec!["al ice"], vec![], vec![]),
        (vec![], vec!["acme/x"], vec![]),
        (vec![], vec![], vec!["acme"]),
        (vec![], vec![], vec!["acme/"]),
    ];
    for (users, orgs, teams) in bad_rules {
        let requested = Requested {
            allow_users: users.into_iter().map(String::from).collect(),
            allow_orgs: orgs.into_iter().map(String::from).collect(),
            allow_teams: teams.into_iter().map(String::from).collect(),
            ..with_uri("https://a.example/cb")
        };
        Registration::check(requested).expect_err("a bad rule was accepted");
    }
    let requested = Requested {
        id_token_alg: Some("HS256".into()),
        ..with_uri("https://a.example/cb")
    };
    assert_eq!(refusal(requested), RegistrationError::Alg("HS256".into()));
}

#[test]
fn rules_keep_bare_digits_as_ids_and_lowercase_names() {
    let requested = Requested {
        allow_users: vec!["1001".into(), "Alice".into(), "bob:2002".into()],
        allow_orgs: vec!["Acme".into()],
        allow_teams: vec!["Acme/Ops-Team".into()],
        id_token_alg: Some("EdDSA".into()),
        ..with_uri("https://a.example/cb")
    };
    let app = Registration::check(requested).unwrap();
    assert_eq!(app.id_token_alg, IdTokenAlg::EdDsa);
    assert_eq!(
        app.rules,
        [
            Rule::User(AllowedUser::Id(1001)),
            Rule::User(AllowedUser::Login("alice".into())),
            Rule::User(AllowedUser::Id(2002)),
            Rule::Org("acme".into()),
            Rule::Team("acme/ops-team".into()),
        ]
    );
}

#[test]
fn a_value_given_twice_is_refused() {
    let requested = Requested {
        redirect_uris: vec!["https://a.example/cb".into(), "https://a.example/cb".into()],
        ..with_uri("https://a.example/cb")
    };
    assert!(matches!(refusal(requested), RegistrationError::Twice(_)));
}
