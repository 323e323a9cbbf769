//! The data service of `examples/data_service.rs` answering tokens from a real gitlogin on a
//! loopback port: it verifies them with the JWKS it fetches over HTTP, or asks introspection
//! with its own credentials, and refuses every token that is not an access token for it with
//! the scope its route needs.

use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use serde_json::Value;
use tempfile::TempDir;

use super::add;
use super::services::DATA;
use crate::helpers::{fake_github, CLIENT_ID, CLIENT_SECRET};
use crate::provider::{form, form_fields};
use crate::real_server::{sign_in, Browser};
use gitlogin::github::fake::FakeGithub;
use gitlogin::ops::clock::Clock;
use gitlogin::ops::loopback::{self, free_port};

#[allow(dead_code)]
#[path = "../../../examples/data_service.rs"]
mod example;

/// gitlogin on `http://127.0.0.1:PORT`, with `web`, the `billing` service, and two APIs:
/// `data` (`read` for everyone, `write` for nobody but the `acme/ops` team) and `ledger`.
struct Deployment {
    base: String,
    db_url: String,
    billing: (String, String),
    data: (String, String),
    web: (String, String),
    _github: FakeGithub,
    _dir: TempDir,
}

async fn deployment() -> Deployment {
    let (db_url, dir) = crate::STORE.create().await;
    let github = fake_github().await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    github.with(|w| w.callback = Some(format!("{base}/login/callback")));
    let figment = gitlogin::config::figment()
        .merge(loopback::figment(port))
        .merge(("github_client_id", CLIENT_ID))
        .merge(("github_client_secret", CLIENT_SECRET))
        .merge(("github_url", &github.url))
        .merge(("github_api_url", &github.url))
        .merge(("public_url", &base))
        .merge(("databases.gitlogin.url", &db_url));
    let rocket = gitlogin::app_with_clock(figment, Clock::default()).unwrap();
    assert!(
        loopback::launch(rocket).await.is_some(),
        "gitlogin did not start"
    );
    let creds = |(id, secret): (String, Option<String>)| (id, secret.unwrap());
    let web = creds(add(
        &db_url,
        &["web", "--redirect-uri", "https://web.example/cb"],
    ));
    let billing = creds(add(&db_url, &["billing", "--service"]));
    let data = creds(add(
        &db_url,
        &[
            "data",
            "--api",
            DATA,
            "--scope",
            "read",
            "--scope",
            "write",
            "--grant-team",
            "write=acme/ops",
            "--accept",
            "billing",
            "--accept",
            "web",
        ],
    ));
    add(
        &db_url,
        &[
            "ledger",
            "--api",
            "https://ledger.example",
            "--scope",
            "read",
            "--accept",
            "billing",
        ],
    );
    Deployment {
        base,
        db_url,
        billing,
        data,
        web,
        _github: github,
        _dir: dir,
    }
}

impl Deployment {
    /// The data service, in this process, trusting this gitlogin; asking its introspection
    /// as `data` when `introspect`.
    async fn data_service(&self, introspect: bool) -> Client {
        let settings = example::Settings {
            issuer: self.base.clone(),
            audience: DATA.to_owned(),
            introspect: introspect.then(|| example::Credentials {
                client_id: self.data.0.clone(),
                client_secret: self.data.1.clone(),
            }),
        };
        let quiet = rocket::Config::figment().merge(("log_level", "off"));
        Client::untracked(example::app(settings).configure(quiet))
            .await
            .unwrap()
    }

    /// `billing`'s token for `audience`, by `client_credentials`.
    async fn service_token(&self, audience: &str) -> String {
        let fields = [("grant_type", "client_credentials"), ("resource", audience)];
        self.token(&self.billing, &fields).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn token(&self, (id, secret): &(String, String), fields: &[(&str, &str)]) -> Value {
        let response = reqwest::Client::new()
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(id, Some(secret))
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// A person signs in to `web`, which asks for `data` with `read`: the token answer.
    async fn person_tokens(&self) -> Value {
        let browser = Browser::new();
        sign_in(&browser, &self.base, "/login").await;
        let query = form(&[
            ("response_type", "code"),
            ("client_id", &self.web.0),
            ("redirect_uri", "https://web.example/cb"),
            ("scope", "openid read"),
            ("resource", DATA),
        ]);
        let page = browser
            .get(format!("{}/oauth/authorize?{query}", self.base))
            .await;
        let mut fields = form_fields(&page.text().await.unwrap(), "/oauth/authorize/consent");
        fields.push(("decision".into(), "allow".into()));
        let allowed = browser
            .http
            .post(format!("{}/oauth/authorize/consent", self.base))
            .header("origin", &self.base)
            .form(&fields)
            .send()
            .await
            .unwrap();
        let back = url::Url::parse(allowed.headers()["location"].to_str().unwrap()).unwrap();
        let code = back
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let fields = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "https://web.example/cb"),
            ("resource", DATA),
        ];
        self.token(&self.web, &fields).await
    }
}

/// The status, `WWW-Authenticate` and body of `method /records` with `token`.
async fn call(service: &Client, post: bool, token: Option<&str>) -> (Status, Option<String>) {
    let mut request = if post {
        service.post("/records")
    } else {
        service.get("/records")
    };
    if let Some(token) = token {
        request = request.header(Header::new("Authorization", format!("Bearer {token}")));
    }
    let response = request.dispatch().await;
    let challenge = response
        .headers()
        .get_one("WWW-Authenticate")
        .map(str::to_owned);
    (response.status(), challenge)
}

const INVALID: (Status, Option<&str>) =
    (Status::Unauthorized, Some("Bearer error=\"invalid_token\""));

#[rocket::async_test]
async fn the_data_service_answers_a_token_with_the_scope_its_route_needs() {
    let gitlogin = deployment().await;
    let token = gitlogin.service_token(DATA).await;

    for introspect in [false, true] {
        let service = gitlogin.data_service(introspect).await;

        assert_eq!(
            call(&service, false, Some(&token)).await,
            (Status::Ok, None)
        );
        let (status, challenge) = call(&service, true, Some(&token)).await;
        assert_eq!(status, Status::Forbidden, "write is the team's");
        let wanted = "Bearer error=\"insufficient_scope\", scope=\"write\"";
        assert_eq!(challenge.as_deref(), Some(wanted));
        let (status, challenge) = call(&service, false, None).await;
        assert_eq!(
            (status, challenge.as_deref()),
            (Status::Unauthorized, Some("Bearer"))
        );
        let (status, challenge) = call(&service, false, Some("not-a-token")).await;
        assert_eq!((status, challenge.as_deref()), INVALID);
    }
}

#[rocket::async_test]
async fn the_data_service_refuses_another_apis_token_and_an_id_token() {
    let gitlogin = deployment().await;
    let ledgers = gitlogin.service_token("https://ledger.example").await;
    let person = gitlogin.person_tokens().await;

    for introspect in [false, true] {
        let service = gitlogin.data_service(introspect).await;

        let (status, challenge) = call(&service, false, Some(&ledgers)).await;
        assert_eq!(
            (status, challenge.as_deref()),
            INVALID,
            "API A's token at API B"
        );
        let id_token = person["id_token"].as_str().unwrap();
        let (status, challenge) = call(&service, false, Some(id_token)).await;
        assert_eq!((status, challenge.as_deref()), INVALID, "an ID token");
        // The same person's access token for this API is taken.
        let access = person["access_token"].as_str().unwrap();
        assert_eq!(call(&service, false, Some(access)).await.0, Status::Ok);
    }
}

#[rocket::async_test]
async fn introspection_refuses_a_revoked_token_the_jwks_still_verifies() {
    let gitlogin = deployment().await;
    let token = gitlogin.service_token(DATA).await;
    let reject = ["apps", "reject", "data", "billing"];

    let output = super::gitlogin_on(&gitlogin.db_url, &reject, &[]);

    assert!(output.status.success());
    let verifying = gitlogin.data_service(false).await;
    let asking = gitlogin.data_service(true).await;
    assert_eq!(
        call(&verifying, false, Some(&token)).await.0,
        Status::Ok,
        "until it expires"
    );
    let (status, challenge) = call(&asking, false, Some(&token)).await;
    assert_eq!((status, challenge.as_deref()), INVALID, "at once");
}
