//! The app the provider's scenarios sign in to, `bench-rp`: a confidential app with PKCE,
//! as a relying-party library drives the code flow (tests/api/provider/mod.rs has the same
//! steps): authorize with the session of its person (`flow_user`, not the bench user), the consent page's Allow the first time
//! (a POST with the session's CSRF token), the code redeemed at `/oauth/token`, and refresh
//! tokens traded there for the next ones. Its credentials go in the form
//! (`client_secret_post`), as the API scenarios' do.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;
use std::path::Path;

/// Registered exactly so; nothing listens there, the bench reads the code off the redirect.
const REDIRECT_URI: &str = "https://rp.bench.example/callback";
/// The PKCE verifier of every flow (RFC 7636: 43 to 128 characters).
const VERIFIER: &str = "the-benchs-pkce-verifier-0123456789-abcdefghijklmnop";
/// Its S256 challenge (RFC 7636 §4.2), computed once, so that the bench needs no hashing
/// crate of its own: `printf %s VERIFIER | openssl dgst -sha256 -binary | basenc --base64url`
/// without the `=`. A wrong one would fail every redemption (`invalid_grant`).
const CHALLENGE: &str = "g9ihkY4frE0HgpuJ-BB9CzukUrk-_-MtpVHTF3XH_kA";
const STATE: &str = "bench-state";
/// What its person consents to once, when the store is made ready: every later flow
/// asks for part of it, so none shows a page again.
pub(crate) const ALL_SCOPES: &str = "openid profile email offline_access";

/// `bench-rp`'s credentials, and the session of the person who uses it.
#[derive(Clone)]
pub(crate) struct RelyingParty {
    pub(crate) client_id: String,
    client_secret: String,
    /// The `Cookie` header of `flow_user`'s session, once signed in.
    cookie: String,
}

impl RelyingParty {
    /// Registers `bench-rp` with the release binary on `database_url`.
    pub(crate) fn register(
        binary: &Path,
        root: &Path,
        database_url: &str,
    ) -> Result<RelyingParty, String> {
        let args = ["bench-rp", "--redirect-uri", REDIRECT_URI];
        let (client_id, client_secret) = add_app(binary, root, database_url, &args)?;
        Ok(RelyingParty {
            client_id,
            client_secret,
            cookie: String::new(),
        })
    }

    /// `/oauth/authorize?…` for `scope`; `prompt=none` once consent was given, so that an
    /// answer other than a code is an error rather than a page.
    pub(crate) fn authorize_url(&self, app_url: &str, scope: &str, no_prompt: bool) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("scope", scope)
            .append_pair("state", STATE)
            .append_pair("code_challenge", CHALLENGE)
            .append_pair("code_challenge_method", "S256");
        if no_prompt {
            query.append_pair("prompt", "none");
        }
        format!("{app_url}/oauth/authorize?{}", query.finish())
    }

    /// A code for `scope`, by its person: the consent page's Allow pressed if it is shown.
    pub(crate) async fn code(
        &self,
        client: &reqwest::Client,
        app_url: &str,
        scope: &str,
        no_prompt: bool,
    ) -> Result<String, String> {
        let cookie = self.cookie.as_str();
        let fail = |step: &str, e: &dyn std::fmt::Display| format!("code flow, {step}: {e}");
        let response = client
            .get(self.authorize_url(app_url, scope, no_prompt))
            .header("Cookie", cookie)
            .send()
            .await
            .map_err(|e| fail("authorize", &e))?;
        let back = if response.status() == 200 && !no_prompt {
            let page = response.text().await.map_err(|e| fail("consent", &e))?;
            let allow = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(
                    "csrf_token",
                    &input_value(&page, "csrf_token").unwrap_or_default(),
                )
                .append_pair(
                    "request",
                    &input_value(&page, "request").unwrap_or_default(),
                )
                .append_pair("decision", "allow")
                .finish();
            let response = client
                .post(format!("{app_url}/oauth/authorize/consent"))
                .header("Cookie", cookie)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(allow)
                .send()
                .await
                .map_err(|e| fail("consent", &e))?;
            redirect_target(&response, 303).map_err(|e| fail("consent", &e))?
        } else {
            redirect_target(&response, 303).map_err(|e| fail("authorize", &e))?
        };
        let back = url::Url::parse(&back).map_err(|e| fail("redirect", &e))?;
        let query = |name: &str| back.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v);
        match (query("code"), query("state")) {
            (Some(code), Some(state)) if state == STATE => Ok(code.into_owned()),
            _ => Err(fail("redirect", &back)),
        }
    }

    /// `POST /oauth/token` with the authorization code: the JSON answer.
    pub(crate) async fn redeem(
        &self,
        client: &reqwest::Client,
        app_url: &str,
        code: &str,
    ) -> Result<String, String> {
        let grant = format!(
            "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={VERIFIER}",
            encode(code),
            encode(REDIRECT_URI)
        );
        self.token(client, app_url, grant).await
    }

    /// `POST /oauth/token` with a refresh token: the JSON answer, with the next one.
    pub(crate) async fn refresh(
        &self,
        client: &reqwest::Client,
        app_url: &str,
        refresh_token: &str,
    ) -> Result<String, String> {
        let grant = format!(
            "grant_type=refresh_token&refresh_token={}",
            encode(refresh_token)
        );
        self.token(client, app_url, grant).await
    }

    async fn token(
        &self,
        client: &reqwest::Client,
        app_url: &str,
        grant: String,
    ) -> Result<String, String> {
        let body = format!(
            "{grant}&client_id={}&client_secret={}",
            self.client_id, self.client_secret
        );
        let response = client
            .post(format!("{app_url}/oauth/token"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("/oauth/token: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("/oauth/token: {status} {text}"));
        }
        Ok(text)
    }

    /// Signs its person in, and gives their Allow on the consent page for every scope the
    /// scenarios ask, once, when the store is made ready.
    pub(crate) async fn sign_in_and_consent(
        &mut self,
        app_url: &str,
        github: &FakeGithub,
    ) -> Result<(), String> {
        self.cookie = session_as(app_url, github, flow_user()).await?;
        let client = browser()?;
        self.code(&client, app_url, ALL_SCOPES, false)
            .await
            .map(drop)
    }

    /// A whole flow for `scope` (consent given already): the token endpoint's answer.
    pub(crate) async fn tokens(&self, target: &Target<'_>, scope: &str) -> Result<String, String> {
        let client = browser()?;
        let code = self.code(&client, target.url, scope, true).await?;
        self.redeem(&client, target.url, &code).await
    }
}

/// The `value` of the page's `<input>` named `name`, unescaped as Tera escapes it.
pub(crate) fn input_value(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let tag = &page[page[..at].rfind('<')?..];
    let tag = &tag[..tag.find('>')?];
    let start = tag.find("value=\"")? + "value=\"".len();
    let value = &tag[start..start + tag[start..].find('"')?];
    let unescaped = [("&#x2F;", "/"), ("&quot;", "\""), ("&#x27;", "'")]
        .iter()
        .chain(&[("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&")])
        .fold(value.to_owned(), |v, (from, to)| v.replace(from, to));
    Some(unescaped)
}
