use std::time::Duration;

use super::failure;

/// What the drop's log line says of a receiver nobody listens on, and of one that never
/// answers: the operator's first clue.
#[rocket::async_test]
async fn a_failed_attempt_says_whether_the_receiver_was_unreachable_or_silent() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let silent = rocket::tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap();
    let quiet = format!("http://{}/", silent.local_addr().unwrap());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();

    let refused = http.post(unreachable).send().await.unwrap_err();
    let timed_out = http.post(quiet).send().await.unwrap_err();

    assert_eq!(failure(&refused), "could not connect");
    assert_eq!(failure(&timed_out), "no answer in time");
    drop(silent);
}
