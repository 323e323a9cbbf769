//! The binary carries its templates, static files and `Rocket.toml` defaults: started from an
//! empty directory it serves every page, the stylesheet and the favicon, and what GitHub says
//! about a person is still escaped. Files in the working directory override the built-in ones.

use std::path::Path;
use std::process::{Command, Stdio};

use gitlogin::github::fake::{Account, FakeGithub};

use crate::helpers::{CLIENT_ID, CLIENT_SECRET};
use crate::real_server::{
    begin_sign_in, free_port, release_binary, wait_until_answering, Browser, Server,
};

/// `binary` started in `cwd`, which holds nothing of the repository, signing in at `github`.
async fn start_in(binary: &Path, cwd: &Path, github: &FakeGithub) -> (Server, String) {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(cwd.join("server.log")).unwrap();
    let server = Command::new(binary)
        .current_dir(cwd)
        .env_clear()
        .env("GITHUB_CLIENT_ID", CLIENT_ID)
        .env("GITHUB_CLIENT_SECRET", CLIENT_SECRET)
        .env("GITHUB_URL", &github.url)
        .env("GITHUB_API_URL", &github.url)
        .env("ROCKET_SECRET_KEY", crate::helpers::random_secret_key())
        .env("ROCKET_PORT", port.to_string())
        .env("PUBLIC_URL", &base)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(server);
    wait_until_answering(&base, &cwd.join("server.log")).await;
    (server, base)
}

/// Every page, the stylesheet and the favicon, and a hostile name shown as text.
async fn serves_everything_from(binary: &Path) {
    let github = crate::helpers::fake_github().await;
    github.set_account(Account {
        name: Some("<script>alert(1)</script>".into()),
        ..Account::octocat()
    });
    let empty = tempfile::tempdir().unwrap();
    let (server, base) = start_in(binary, empty.path(), &github).await;
    let browser = Browser::new();

    let home = browser.get(format!("{base}/")).await;
    assert_eq!(home.status(), 200);
    assert_eq!(home.headers()["content-type"], "text/html; charset=utf-8");
    assert!(home.text().await.unwrap().contains("Sign in with GitHub"));
    for (path, kind) in [
        ("/static/style.css", "text/css"),
        ("/static/favicon.svg", "image/svg+xml"),
    ] {
        let file = browser.get(format!("{base}{path}")).await;
        assert_eq!(file.status(), 200, "{path}");
        assert!(
            file.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(kind),
            "{path}"
        );
        assert!(!file.bytes().await.unwrap().is_empty(), "{path}");
    }
    let missing = browser.get(format!("{base}/no-such-page")).await;
    assert_eq!(missing.status(), 404);
    assert!(missing
        .text()
        .await
        .unwrap()
        .contains("There is no page at this address"));

    let callback = begin_sign_in(&browser, &base, "/login?next=/about").await;
    assert_eq!(browser.get(&callback).await.status(), 303);
    let about = browser.get(format!("{base}/about")).await;
    assert_eq!(about.status(), 200);
    assert_eq!(about.headers()["content-type"], "text/html; charset=utf-8");
    let page = about.text().await.unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"), "{page}");
    drop(server);
    let files: Vec<_> = std::fs::read_dir(empty.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| f == "server.log" || f.to_string_lossy().starts_with("gitlogin.db")),
        "{files:?}"
    );
}

#[rocket::async_test]
async fn the_debug_binary_needs_nothing_from_the_repository() {
    serves_everything_from(Path::new(env!("CARGO_BIN_EXE_gitlogin"))).await;
}

#[rocket::async_test]
async fn the_release_binary_needs_nothing_from_the_repository() {
    let Some(release) = release_binary() else {
        return;
    };
    serves_everything_from(&release).await;
}

#[rocket::async_test]
async fn templates_static_files_and_rocket_toml_in_the_working_directory_override() {
    let github = crate::helpers::fake_github().await;
    let dir = tempfile::tempdir().unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::create_dir_all(dir.path().join("static")).unwrap();
    let home = std::fs::read_to_string(manifest.join("templates/home.html.tera")).unwrap();
    let branded = home.replace("Sign in with GitHub", "Sign in to ACME with GitHub");
    assert_ne!(home, branded);
    std::fs::write(dir.path().join("templates/home.html.tera"), branded).unwrap();
    std::fs::write(dir.path().join("static/style.css"), "body { color: teal }").unwrap();
    // Another store than the built-in default's.
    let toml = "[default.databases.gitlogin]\nurl = \"sqlite://from-rocket-toml.db?mode=rwc\"\n";
    std::fs::write(dir.path().join("Rocket.toml"), toml).unwrap();

    let (server, base) = start_in(
        Path::new(env!("CARGO_BIN_EXE_gitlogin")),
        dir.path(),
        &github,
    )
    .await;
    let browser = Browser::new();

    assert!(browser
        .get(format!("{base}/"))
        .await
        .text()
        .await
        .unwrap()
        .contains("Sign in to ACME"));
    let css = browser
        .get(format!("{base}/static/style.css"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(css, "body { color: teal }");
    // Not overridden: still the built-in one.
    assert_eq!(
        browser
            .get(format!("{base}/static/favicon.svg"))
            .await
            .status(),
        200
    );
    assert!(
        dir.path().join("from-rocket-toml.db").exists(),
        "the working directory's Rocket.toml applies"
    );
    drop(server);
}
