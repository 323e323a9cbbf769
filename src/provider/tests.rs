//! The provider's steps driven in-process, without HTTP: authorize, consent, code, token and
//! refresh called as the handlers call them, over a fresh SQLite store in memory. The HTTP
//! tests (`tests/api/provider/`) prove the same flow through the routes; these prove that the
//! steps stand on their own.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::form::Form;
use rocket_db_pools::sqlx::{self, AnyConnection, Connection};
use sha2::{Digest, Sha256};

use super::authorize::{self, AuthorizeOutcome};
use super::client::ClientAuth;
use super::consent::{self, Answering, Choice, ConsentOutcome};
use super::oauth_error::OAuthError;
use super::request::{self, AuthRequest, AuthorizeQuery};
use super::token::{self, TokenResponse};
use super::token_request::{GrantType, TokenRequest};
use super::userinfo;
use crate::auth::session::CurrentUser;
use crate::config::AppConfig;
use crate::keys::KeyRing;
use crate::models::apps::{self, StoredApp};
use crate::models::{self, Outbox, SessionRow};
use crate::ops::{clock::Clock, random::sha256_hex};
use crate::registry::{IdTokenAlg, Registration};

const NOW: i64 = 1_800_000_000;
const REDIRECT_URI: &str = "https://wiki.example/callback";
const VERIFIER: &str = "a-verifier-of-at-least-forty-three-characters-long";

/// A store, an app registered in it, and someone signed in.
struct World {
    conn: AnyConnection,
    config: AppConfig,
    keys: KeyRing,
    outbox: Outbox,
    app: StoredApp,
    current: CurrentUser,
}

async fn world() -> World {
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect("sqlite::memory:").await.unwrap();
    crate::store::pool::run_migrations(&mut conn).await.unwrap();
    let figment = crate::config::figment().merge(("public_url", "https://id.example"));
    let config = AppConfig::from_figment(&figment).unwrap();
    let registration = Registration {
        name: "wiki".into(),
        redirect_uris: vec![REDIRECT_URI.into()],
        post_logout_redirect_uris: vec![],
        backchannel_logout_uri: None,
        hosts: vec![],
        public: true,
        id_token_alg: IdTokenAlg::EdDsa,
        rules: vec![],
        api: None,
        service: false,
        device: false,
    };
    apps::insert_app(&mut conn, &registration, "wiki-id", None, NOW)
        .await
        .unwrap();
    let app = apps::find_app_by_client_id(&mut conn, "wiki-id")
        .await
        .unwrap()
        .unwrap();
    sqlx::query(
        "INSERT INTO users (github_id, login, created_at, updated_at, last_login_at,
                            memberships_verified_at)
         VALUES (583231, 'octocat', $1, $1, $1, $1)",
    )
    .bind(NOW)
    .execute(&mut conn)
    .await
    .unwrap();
    let user = models::user_by_github_id(&mut conn, 583231)
        .await
        .unwrap()
        .unwrap();
    let session = SessionRow {
        id_hash: "session".into(),
        csrf_token: "csrf".into(),
        sid: "sid".into(),
        created_at: NOW - 30,
        last_seen_at: NOW,
        expires_at: NOW + 3600,
        user_agent: None,
    };
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at,
                               expires_at, sid)
         VALUES ('session', $1, 'csrf', $2, $3, $4, 'sid')",
    )
    .bind(user.id)
    .bind(session.created_at)
    .bind(NOW)
    .bind(session.expires_at)
    .execute(&mut conn)
    .await
    .unwrap();
    World {
        conn,
        config,
        keys: KeyRing::new(None, vec![]),
        outbox: Outbox::new(false, &Clock::default()),
        app,
        current: CurrentUser { user, session },
    }
}

/// The request as an app sends it: public, so with PKCE. (The query is given decoded.)
async fn checked(w: &mut World, scope: &str, prompt: &str) -> AuthRequest {
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()));
    let query = format!(
        "response_type=code&client_id=wiki-id&redirect_uri={REDIRECT_URI}&scope={scope}\
         &state=xyz&code_challenge={challenge}&code_challenge_method=S256{prompt}"
    );
    let query = Form::<AuthorizeQuery<'_>>::parse(&query).unwrap();
    let Ok((_, request)) = request::check(&mut w.conn, &query, NOW).await else {
        panic!("the request was refused");
    };
    request
}

async fn decide(w: &mut World, request: &AuthRequest, signed_in: bool) -> AuthorizeOutcome {
    let current = signed_in.then_some(&w.current);
    authorize::decide(&mut w.conn, &w.config, NOW, current, &w.app, request)
        .await
        .unwrap()
}

/// The consent page kept the request, and the person answered it.
async fn answer(w: &mut World, request: &AuthRequest, given: Choice) -> ConsentOutcome {
    let id = consent::keep(&mut w.conn, &w.current.session, request, NOW)
        .await
        .unwrap();
    let Ok((app, kept)) = consent::kept_request(&mut w.conn, &id, &w.current.session, NOW).await
    else {
        panic!("the kept request is gone");
    };
    let at = Answering {
        config: &w.config,
        outbox: &w.outbox,
        now: NOW,
        current: &w.current,
    };
    consent::record(&mut w.conn, &at, &id, &app, &kept, given)
        .await
        .unwrap()
}

async fn trade(w: &mut World, grant: GrantType) -> Result<TokenResponse, OAuthError> {
    let client = ClientAuth {
        id: "wiki-id".into(),
        secret: None,
    };
    let request = TokenRequest {
        client,
        grant: Ok(grant),
    };
    token::exchange(&mut w.conn, &w.config, &w.keys, NOW + 1, &request).await
}

fn code_grant(code: &str) -> GrantType {
    GrantType::AuthorizationCode {
        code: code.into(),
        redirect_uri: Some(REDIRECT_URI.into()),
        code_verifier: Some(VERIFIER.into()),
        resource: None,
    }
}

fn refresh_grant(refresh_token: &str) -> GrantType {
    GrantType::RefreshToken {
        refresh_token: refresh_token.into(),
        scope: None,
        resource: None,
    }
}

async fn claims(w: &mut World, access_token: &str) -> Result<String, OAuthError> {
    let hash = sha256_hex(access_token);
    let claims = userinfo::claims(&mut w.conn, &w.config, NOW + 2, &hash).await?;
    Ok(claims.claims.sub)
}

#[rocket::async_test]
async fn authorize_consent_code_token_and_refresh_run_in_process() {
    let mut w = world().await;
    let request = checked(&mut w, "openid offline_access", "").await;
    assert_eq!(
        decide(&mut w, &request, true).await,
        AuthorizeOutcome::AskConsent
    );
    let ConsentOutcome::Granted { code } = answer(&mut w, &request, Choice::Allow).await else {
        panic!("Allow gave no code");
    };

    let tokens = trade(&mut w, code_grant(&code)).await.unwrap();
    assert_eq!(tokens.scope, "openid offline_access");
    assert!(tokens.id_token.is_some(), "openid asked: an ID token");
    assert_eq!(
        claims(&mut w, &tokens.access_token).await.unwrap(),
        "583231"
    );

    let refresh = tokens
        .refresh_token
        .expect("offline_access asked: a refresh token");
    let fresh = trade(&mut w, refresh_grant(&refresh)).await.unwrap();
    assert_ne!(fresh.access_token, tokens.access_token);
    assert_eq!(claims(&mut w, &fresh.access_token).await.unwrap(), "583231");
}

#[rocket::async_test]
async fn a_consented_app_gets_a_code_without_asking_again() {
    let mut w = world().await;
    let request = checked(&mut w, "openid", "").await;
    answer(&mut w, &request, Choice::Allow).await;
    let again = checked(&mut w, "openid", "").await;
    assert!(matches!(
        decide(&mut w, &again, true).await,
        AuthorizeOutcome::Code(_)
    ));
    let more = checked(&mut w, "openid email", "").await;
    assert_eq!(
        decide(&mut w, &more, true).await,
        AuthorizeOutcome::AskConsent
    );
}

#[rocket::async_test]
async fn nobody_signed_in_signs_in_first_and_prompt_none_is_told_login_required() {
    let mut w = world().await;
    let request = checked(&mut w, "openid", "").await;
    assert_eq!(
        decide(&mut w, &request, false).await,
        AuthorizeOutcome::SignIn
    );
    let silent = checked(&mut w, "openid", "&prompt=none").await;
    let refused = AuthorizeOutcome::Refuse("login_required");
    assert_eq!(decide(&mut w, &silent, false).await, refused);
    let refused = AuthorizeOutcome::Refuse("consent_required");
    assert_eq!(decide(&mut w, &silent, true).await, refused);
}

#[rocket::async_test]
async fn deny_answers_access_denied_and_remembers_no_consent() {
    let mut w = world().await;
    let request = checked(&mut w, "openid", "").await;
    let denied = answer(&mut w, &request, Choice::Deny).await;
    assert_eq!(denied, ConsentOutcome::Denied);
    assert_eq!(
        decide(&mut w, &request, true).await,
        AuthorizeOutcome::AskConsent
    );
}

#[rocket::async_test]
async fn a_code_redeemed_twice_revokes_the_tokens_of_the_first_redemption() {
    let mut w = world().await;
    let request = checked(&mut w, "openid offline_access", "").await;
    let ConsentOutcome::Granted { code } = answer(&mut w, &request, Choice::Allow).await else {
        panic!("Allow gave no code");
    };
    let tokens = trade(&mut w, code_grant(&code)).await.unwrap();
    let replay = trade(&mut w, code_grant(&code)).await;
    assert!(
        matches!(replay, Err(OAuthError::InvalidGrant)),
        "{replay:?}"
    );
    let dead = claims(&mut w, &tokens.access_token).await;
    assert!(matches!(dead, Err(OAuthError::InvalidToken)), "{dead:?}");
    let refresh = tokens.refresh_token.unwrap();
    let refreshed = trade(&mut w, refresh_grant(&refresh)).await;
    assert!(matches!(refreshed, Err(OAuthError::InvalidGrant)));
}

#[rocket::async_test]
async fn a_refresh_token_used_twice_revokes_its_family_and_their_access_tokens() {
    let mut w = world().await;
    let request = checked(&mut w, "openid offline_access", "").await;
    let ConsentOutcome::Granted { code } = answer(&mut w, &request, Choice::Allow).await else {
        panic!("Allow gave no code");
    };
    let first = trade(&mut w, code_grant(&code)).await.unwrap();
    let refresh = first.refresh_token.unwrap();
    let second = trade(&mut w, refresh_grant(&refresh)).await.unwrap();
    // The successor in use: no lost answer (`refresh_token.rs`), so a copy presents it again.
    assert!(claims(&mut w, &second.access_token).await.is_ok());
    let reuse = trade(&mut w, refresh_grant(&refresh)).await;
    assert!(matches!(reuse, Err(OAuthError::InvalidGrant)), "{reuse:?}");
    for access in [first.access_token, second.access_token] {
        let dead = claims(&mut w, &access).await;
        assert!(matches!(dead, Err(OAuthError::InvalidToken)), "{dead:?}");
    }
    let newer = trade(&mut w, refresh_grant(&second.refresh_token.unwrap())).await;
    assert!(matches!(newer, Err(OAuthError::InvalidGrant)), "{newer:?}");
}
