//! The device grant as a stock client runs it: the `openidconnect` crate asks for the codes,
//! polls the token endpoint on its own schedule (its sleep moves the provider's clock, so the
//! test takes no real time, and its second poll waits for the person), and verifies the ID
//! token it finally gets, while a person types the code in a browser that signs in with
//! GitHub first. Wherever the provider bent RFC 8628, this crate would refuse it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rocket::tokio::sync::watch;

use openidconnect::core::{CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata};
use openidconnect::{ClientId, DeviceAuthorizationUrl, IssuerUrl, OAuth2TokenResponse, Scope};
use openidconnect::{Nonce, TokenResponse};
use serde_json::Value;

use super::form_fields;
use super::relying_party::{chain, Provider};
use crate::real_server::{gitlogin, run_to_end, Browser};
use gitlogin::ops::clock::Clock;

/// What the person does in their browser: opens `verification_uri_complete`, signs in with
/// GitHub on the way, and allows.
async fn allow_in_browser(provider: &Provider, complete: &str) {
    let browser = Browser::trusting(&provider.ca);
    let mut at = url::Url::parse(complete).unwrap();
    let page = loop {
        let response = browser.get(at.clone()).await;
        if !response.status().is_redirection() {
            assert_eq!(response.status(), 200, "{at}");
            break response.text().await.unwrap();
        }
        at = at
            .join(response.headers()["location"].to_str().unwrap())
            .unwrap();
    };
    let issuer = &provider.issuer;
    let post = |action: &str, fields: Vec<(String, String)>| {
        browser
            .http
            .post(format!("{issuer}{action}"))
            .header("origin", issuer.as_str())
            .form(&fields)
            .send()
    };
    let typed = form_fields(&page, "/device");
    assert!(!typed.is_empty(), "the code's page: {page}");
    let confirm = post("/device", typed).await.unwrap().text().await.unwrap();
    let mut fields = form_fields(&confirm, "/device/answer");
    assert!(!fields.is_empty(), "the confirmation: {confirm}");
    fields.push(("decision".into(), "allow".into()));
    let done = post("/device/answer", fields).await.unwrap();
    assert_eq!(done.status(), 200);
}

#[rocket::async_test]
async fn the_openidconnect_crate_signs_a_device_in_and_verifies_its_id_token() {
    let provider = Provider::start_on(Clock::frozen()).await;
    let added = run_to_end(
        gitlogin()
            .args(["apps", "add", "cli", "--device", "--public", "--json"])
            .env("DATABASE_URL", &provider.db_url),
    );
    let client_id: Value = serde_json::from_slice(&added.stdout).unwrap();
    let http = provider.http();
    let issuer = IssuerUrl::new(provider.issuer.clone()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery: {}", chain(&e)));
    let discovery: Value = http
        .get(format!(
            "{}/.well-known/openid-configuration",
            provider.issuer
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = discovery["device_authorization_endpoint"].as_str().unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id["client_id"].as_str().unwrap().to_owned()),
        None,
    )
    .set_device_authorization_url(DeviceAuthorizationUrl::new(endpoint.to_owned()).unwrap());

    let details: CoreDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(["profile", "offline_access"].map(|s| Scope::new(s.into())))
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("device authorization: {}", chain(&e)));
    let complete = details
        .verification_uri_complete()
        .expect("verification_uri_complete")
        .secret()
        .clone();
    // The crate polls at once; the person answers only after that first poll (still
    // pending), and the crate's next poll waits for their answer: no race with the clock.
    let (polled, mut has_polled) = watch::channel(false);
    let (answered, has_answered) = watch::channel(false);
    let polls = AtomicUsize::new(0);
    let sleep = |interval: Duration| {
        polls.fetch_add(1, Ordering::SeqCst);
        let _ = polled.send(true);
        let mut has_answered = has_answered.clone();
        let clock = provider.clock.clone();
        async move {
            let _ = has_answered.wait_for(|done| *done).await;
            clock.advance(interval);
        }
    };
    let polling = client
        .exchange_device_access_token(&details)
        .unwrap()
        // Real time: a device left pending by a bug fails here instead of polling for 600 s.
        .request_async(&http, sleep, Some(Duration::from_secs(30)));
    let person = async {
        let _ = has_polled.wait_for(|done| *done).await;
        allow_in_browser(&provider, &complete).await;
        let _ = answered.send(true);
    };
    let (tokens, ()) = rocket::tokio::join!(polling, person);
    let tokens = tokens.unwrap_or_else(|e| panic!("polling: {}", chain(&e)));

    assert_eq!(
        polls.load(Ordering::SeqCst),
        1,
        "pending once, then the tokens"
    );
    let id_token = tokens.id_token().expect("an ID token");
    // No nonce: a device flow has no authorization request to carry one.
    let claims = id_token
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .unwrap_or_else(|e| panic!("the ID token: {}", chain(&e)));
    assert_eq!(claims.subject().as_str(), "583231");
    assert!(claims.auth_time().is_some());
    assert!(tokens.refresh_token().is_some(), "offline_access");
}
