//! A real nginx (Debian's package) in front of the real binary, with the README's
//! `examples/nginx/gitlogin.conf`: `/internal/` is only for people signed in.

use crate::fake_github::FakeGithub;
use crate::nginx_proxy::Nginx;
use crate::real_server::{free_port, no_redirects, sign_in, sign_out, start_server, use_fake, Jar};

#[rocket::async_test]
async fn nginx_auth_request_guards_the_internal_app() {
    let github = FakeGithub::start().await;
    let dir = tempfile::tempdir().unwrap();
    let listen = free_port();
    let front = format!("http://127.0.0.1:{listen}");
    let (app, app_base) = start_server(dir.path(), |cmd| {
        use_fake(cmd, &github);
        cmd.env("PUBLIC_URL", &front);
    })
    .await;
    let app_port: u16 = app_base.rsplit(':').next().unwrap().parse().unwrap();
    let Some(_nginx) = Nginx::start(dir.path(), listen, &[app_port]).await else {
        return;
    };
    let http = no_redirects();
    let mut jar = Jar::default();

    // Signed out: nginx sends the browser to sign in, and back afterwards.
    let blocked = http.get(format!("{front}/internal/")).send().await.unwrap();
    assert_eq!(blocked.status(), 302);
    assert_eq!(
        blocked.headers()["location"],
        format!("{front}/login?next=/internal/")
    );

    // Sign in through nginx: /login, GitHub, the callback.
    let signed_in = sign_in(&http, &front, "/login?next=/internal/", &mut jar).await;
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/internal/");

    // The protected page shows the user name nginx got from /auth/check.
    let page = jar.get(&http, format!("{front}/internal/")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Hello, octocat (GitHub id 583231)."),
        "{page}"
    );

    // Sign out with the button's form, through nginx: blocked again.
    assert_eq!(sign_out(&http, &front, &mut jar).await.status(), 303);
    let again = jar.get(&http, format!("{front}/internal/")).await;
    assert_eq!(again.status(), 302);

    drop(app);
}
