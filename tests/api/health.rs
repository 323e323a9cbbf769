//! `/health`: ok while the store answers a query that reads a table, 503 once it cannot.

use std::time::Duration;

use rocket::http::Status;

use crate::helpers::{Store, TestApp};

#[rocket::async_test]
async fn health_answers_ok_while_the_store_answers() {
    let app = TestApp::spawn().await;

    let response = app.browser().get("/health").await;

    assert_eq!(response.status(), Status::Ok);
    assert_eq!(
        response.content_type(),
        Some(rocket::http::ContentType::JSON)
    );
    assert_eq!(response.into_string().await.unwrap(), r#"{"status":"ok"}"#);
}

#[rocket::async_test]
async fn health_is_503_when_the_store_is_gone() {
    // Connections idle for a second are closed, so the app must open new ones.
    let app = TestApp::spawn_with(|f| f.merge(("databases.gitlogin.idle_timeout", 1))).await;
    let browser = app.browser();
    assert_eq!(browser.get("/health").await.status(), Status::Ok);

    make_unreachable(&app).await;

    // Once the connections it held have been idle for their second and closed: asked every
    // two seconds (more often would keep them busy), for at most twenty.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let response = loop {
        rocket::tokio::time::sleep(Duration::from_secs(2)).await;
        let response = browser.get("/health").await;
        if response.status() != Status::Ok || std::time::Instant::now() > deadline {
            break response;
        }
    };
    assert_eq!(response.status(), Status::ServiceUnavailable);
    assert_eq!(
        response.into_string().await.unwrap(),
        r#"{"status":"unavailable"}"#
    );
}

/// Takes the app's store away for good: the SQLite file and its directory are deleted (a
/// connection the app still holds reads the deleted file until it is closed, and no new one can
/// open it); the PostgreSQL database is dropped, its connections ended by the server.
async fn make_unreachable(app: &TestApp) {
    app.db.close().await;
    match crate::STORE {
        Store::Sqlite => {
            let path = app.db_url.trim_start_matches("sqlite://");
            let path = std::path::Path::new(path.split('?').next().unwrap());
            std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
        }
        Store::Postgres => {
            let name = app.db_url.rsplit('/').next().unwrap();
            let name = name.split('?').next().unwrap();
            let admin = crate::pg_cluster::shared().url("postgres");
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            sqlx::query(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}
