//! RP-initiated logout (`end_session_endpoint`): a GET, which any site can make a browser
//! send, only shows a confirmation page; signing out is its button's POST with the session's
//! CSRF token, from this site, and only then is the person sent back, and only to a
//! registered `post_logout_redirect_uri`. An `id_token_hint` is checked with gitlogin's own
//! keys and algorithms: one signed with `alg: none`, or HS256 keyed with a published public
//! key (the algorithm-confusion attack), is refused and signs no one out.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use pem::{encode_config, EncodeConfig, LineEnding};
use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};

use super::{assert_error_page, form, form_fields, jwks, register, signed_in, tokens};
use super::{unverified_claims, Authorize, Rp};
use crate::helpers::{assert_redirect, Browser, TestApp};

pub(super) const SIGNED_OUT: &str = "https://wiki.example/signed-out";

/// `wiki`, which may send people back to [`SIGNED_OUT`], octocat signed in to it, and the ID
/// token it got.
pub(super) async fn signed_in_to_wiki(app: &TestApp) -> (Rp, Browser<'_>, String) {
    let rp = register(app, "wiki", &["--post-logout-redirect-uri", SIGNED_OUT]);
    let browser = signed_in(app).await;
    let body = tokens(app, &browser, &rp, &Authorize::new(&rp)).await;
    (rp, browser, body["id_token"].as_str().unwrap().to_owned())
}

pub(super) fn logout_uri(id_token: &str, post_logout_redirect_uri: &str) -> String {
    let query = [
        ("id_token_hint", id_token),
        ("post_logout_redirect_uri", post_logout_redirect_uri),
        ("state", "the-apps-logout-state"),
    ];
    format!("/oauth/logout?{}", form(&query))
}

/// Asserts that octocat is still signed in in `browser`, and nobody's session ended.
async fn still_signed_in(app: &TestApp, browser: &Browser<'_>, sessions: i64) {
    assert_eq!(browser.get("/about").await.status(), Status::Ok);
    assert_eq!(app.count("sessions").await, sessions);
}

/// The fields of the confirmation page's form, with the session's CSRF token.
pub(super) async fn confirmation_fields(
    browser: &Browser<'_>,
    page: &str,
) -> Vec<(String, String)> {
    let mut fields = form_fields(page, "/oauth/logout");
    assert!(
        !fields.is_empty(),
        "no form posting to /oauth/logout: {page}"
    );
    if !fields.iter().any(|(k, _)| k == "csrf_token") {
        fields.push(("csrf_token".into(), browser.csrf_token().await));
    }
    fields
}

#[rocket::async_test]
async fn a_cross_site_get_to_the_logout_endpoint_signs_no_one_out() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;

    for uri in [logout_uri(&id_token, SIGNED_OUT), "/oauth/logout".into()] {
        let request = app
            .client
            .get(uri.clone())
            .header(Header::new("Sec-Fetch-Site", "cross-site"))
            .header(Header::new("Referer", "http://evil.test/"));
        let response = browser.send(request).await;

        assert_eq!(response.status(), Status::Ok, "{uri}");
        assert_eq!(response.content_type(), Some(ContentType::HTML));
        assert!(response.headers().get_one("Location").is_none());
        still_signed_in(&app, &browser, 1).await;
    }
}

#[rocket::async_test]
async fn the_confirmation_signs_out_and_goes_back_to_the_registered_uri_with_the_state() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;
    let page = browser.page(&logout_uri(&id_token, SIGNED_OUT)).await;
    let fields = confirmation_fields(&browser, &page).await;

    let response = browser.post_form("/oauth/logout", &form(&fields)).await;

    assert_redirect(
        &response,
        &format!("{SIGNED_OUT}?state=the-apps-logout-state"),
    );
    assert_eq!(app.count("sessions").await, 0);
    assert_redirect(&browser.get("/about").await, "/login?next=/about");
}

#[rocket::async_test]
async fn the_confirmation_posted_cross_site_signs_no_one_out() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;
    let page = browser.page(&logout_uri(&id_token, SIGNED_OUT)).await;
    let body = form(&confirmation_fields(&browser, &page).await);

    let request = app
        .client
        .post("/oauth/logout")
        .header(ContentType::Form)
        .header(Header::new("Origin", "http://evil.test"))
        .body(body);
    let response = browser.send(request).await;

    assert_eq!(response.status(), Status::Forbidden);
    still_signed_in(&app, &browser, 1).await;
}

#[rocket::async_test]
async fn an_unregistered_post_logout_redirect_uri_is_never_redirected_to() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;

    // Another site's, and one a character off the registered one.
    for uri in [
        "https://evil.test/signed-out",
        "https://wiki.example/signed-out/",
    ] {
        let response = browser.get(&logout_uri(&id_token, uri)).await;

        // Refused at the GET: an error page saying why, no redirect, and no form that
        // could sign out and send the person there anyway.
        assert_eq!(response.status(), Status::BadRequest, "{uri}");
        assert!(response.headers().get_one("Location").is_none(), "{uri}");
        let page = response.into_string().await.unwrap();
        assert!(page.contains("did not register"), "{uri}: {page}");
        assert!(
            form_fields(&page, "/oauth/logout").is_empty(),
            "{uri}: {page}"
        );
        still_signed_in(&app, &browser, 1).await;

        // Nor when nobody is signed in, where a registered URI is sent to at once.
        let stranger = app.browser();
        let response = stranger.get(&logout_uri(&id_token, uri)).await;
        assert_eq!(response.status(), Status::BadRequest, "{uri}, signed out");
        assert!(response.headers().get_one("Location").is_none(), "{uri}");

        // Nor by the button, with the registered URI of a real confirmation swapped for it.
        let page = browser.page(&logout_uri(&id_token, SIGNED_OUT)).await;
        let mut fields = confirmation_fields(&browser, &page).await;
        for (name, value) in &mut fields {
            if name == "post_logout_redirect_uri" {
                *value = uri.to_owned();
            }
        }
        assert!(fields.iter().any(|(_, value)| value == uri), "{fields:?}");
        let response = browser.post_form("/oauth/logout", &form(&fields)).await;
        assert_eq!(response.status(), Status::BadRequest, "{uri}, posted");
        assert!(response.headers().get_one("Location").is_none(), "{uri}");
        still_signed_in(&app, &browser, 1).await;
    }
}

#[rocket::async_test]
async fn an_id_token_hint_with_alg_none_is_refused() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;
    let kid = jsonwebtoken::decode_header(&id_token).unwrap().kid.unwrap();
    let mut parts = id_token.split('.');
    let (_, payload, signature) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());

    for alg in ["none", "None", "NONE"] {
        let header = b64(&json!({"alg": alg, "typ": "JWT", "kid": kid}));
        // Without a signature, and with the real one left on.
        for forged in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.{signature}"),
        ] {
            let response = browser.get(&logout_uri(&forged, SIGNED_OUT)).await;

            assert_error_page(response, alg).await;
            still_signed_in(&app, &browser, 1).await;
        }
    }
}

#[rocket::async_test]
async fn an_id_token_hint_signed_hs256_with_a_public_key_is_refused() {
    let app = TestApp::spawn().await;
    let (_, browser, id_token) = signed_in_to_wiki(&app).await;
    let claims = unverified_claims(&id_token);

    for key in jwks(&app).await {
        let kid = key["kid"].as_str().unwrap().to_owned();
        for secret in public_key_encodings(&key) {
            let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            header.kid = Some(kid.clone());
            let forged = jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(&secret),
            )
            .unwrap();

            let response = browser.get(&logout_uri(&forged, SIGNED_OUT)).await;

            assert_error_page(response, &kid).await;
            still_signed_in(&app, &browser, 1).await;
        }
    }
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Every way a confused verifier might hold a published key as an HMAC secret: the JWK as
/// published, its raw key bytes, and its PEM (SubjectPublicKeyInfo, and PKCS#1 for RSA).
fn public_key_encodings(jwk: &Value) -> Vec<Vec<u8>> {
    let field = |name: &str| URL_SAFE_NO_PAD.decode(jwk[name].as_str().unwrap()).unwrap();
    let mut encodings = vec![jwk.to_string().into_bytes()];
    let spki = match jwk["kty"].as_str().unwrap() {
        "RSA" => {
            let (n, e) = (field("n"), field("e"));
            let pkcs1 = der(0x30, &[der_uint(&n), der_uint(&e)].concat());
            encodings.push(n);
            encodings.extend(pem_of("RSA PUBLIC KEY", &pkcs1));
            // rsaEncryption, NULL parameters.
            let oid = [
                0x06, 9, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 1, 1, 1, 0x05, 0,
            ];
            spki(&oid, &pkcs1)
        }
        _ => {
            let x = field("x");
            encodings.push(x.clone());
            // id-Ed25519.
            spki(&[0x06, 3, 0x2B, 0x65, 0x70], &x)
        }
    };
    encodings.extend(pem_of("PUBLIC KEY", &spki));
    encodings
}

/// `der` as PEM, with either line ending a key file may have.
fn pem_of(label: &str, der: &[u8]) -> [Vec<u8>; 2] {
    let block = pem::Pem::new(label, der.to_vec());
    [LineEnding::LF, LineEnding::CRLF]
        .map(|ending| encode_config(&block, EncodeConfig::new().set_line_ending(ending)).into())
}

/// A SubjectPublicKeyInfo: the algorithm's identifier and the key as a BIT STRING.
fn spki(algorithm: &[u8], key: &[u8]) -> Vec<u8> {
    let bits = der(0x03, &[&[0][..], key].concat());
    der(0x30, &[der(0x30, algorithm), bits].concat())
}

/// A DER element: tag, length, content.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    match len {
        0..=127 => out.push(len as u8),
        128..=255 => out.extend([0x81, len as u8]),
        _ => out.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER of the unsigned big-endian `bytes`.
fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let bytes = &bytes[bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len())..];
    let padded = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        [&[0][..], bytes].concat()
    } else {
        bytes.to_vec()
    };
    der(0x02, &padded)
}
