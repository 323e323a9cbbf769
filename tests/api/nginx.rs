//! A real nginx (Debian's package) in front of the real binary, with the README's
//! `examples/nginx/gitlogin.conf`: `/internal/` is only for people signed in.

use std::process::{Command, Stdio};

use crate::fake_github::FakeGithub;
use crate::real_server::{
    free_port, no_redirects, sign_in, sign_out, start_server, use_fake, Jar, Server,
};

const NGINX: &str = "/usr/sbin/nginx";

/// The example's `server` block, moved to free ports, inside a minimal nginx config that
/// keeps every file nginx writes in `dir`.
fn nginx_config(dir: &std::path::Path, listen: u16, app: u16) -> String {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/nginx/gitlogin.conf"
    ))
    .unwrap();
    let server = example
        .replace(
            "listen 127.0.0.1:8080;",
            &format!("listen 127.0.0.1:{listen};"),
        )
        .replace("http://127.0.0.1:8000", &format!("http://127.0.0.1:{app}"))
        .replace(
            "root /var/www/gitlogin-example;",
            concat!("root ", env!("CARGO_MANIFEST_DIR"), "/examples/nginx/site;"),
        );
    assert_ne!(server, example, "the example's ports moved");
    let d = dir.display();
    format!(
        "daemon off;\nmaster_process off;\nerror_log {d}/error.log;\npid {d}/nginx.pid;\n\
         events {{}}\nhttp {{\n  access_log {d}/access.log;\n  client_body_temp_path {d}/body;\n\
         proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n\
         scgi_temp_path {d}/scgi;\n{server}\n}}\n"
    )
}

/// `true` when nginx is there; otherwise one line saying how to get it, and under `CI` a
/// failure rather than a skip.
fn have_nginx() -> bool {
    if std::path::Path::new(NGINX).exists() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("nginx is required under CI: apt-get install nginx");
    }
    eprintln!("skipping the nginx test: nginx is not installed (apt-get install nginx)");
    false
}

#[rocket::async_test]
async fn nginx_auth_request_guards_the_internal_app() {
    if !have_nginx() {
        return;
    }
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
    std::fs::write(
        dir.path().join("nginx.conf"),
        nginx_config(dir.path(), listen, app_port),
    )
    .unwrap();
    let _nginx = Server(
        Command::new(NGINX)
            .args(["-p", &dir.path().display().to_string(), "-c"])
            .arg(dir.path().join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let http = no_redirects();
    let mut waited = 0;
    while http.get(format!("{front}/health")).send().await.is_err() {
        waited += 1;
        assert!(
            waited < 200,
            "nginx did not start: {}",
            std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
        );
        rocket::tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
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
