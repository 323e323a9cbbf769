//! The HTTP the real binary speaks on its socket: HTTP/1.1 only.

use std::time::Duration;

use rocket::tokio::io::{AsyncReadExt, AsyncWriteExt};
use rocket::tokio::net::TcpStream;
use rocket::tokio::time::timeout;

use crate::real_server::start_server;

/// The connection preface of cleartext HTTP/2 with prior knowledge (RFC 9113 §3.4), then an
/// empty SETTINGS frame (§6.5).
const H2C_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

/// Every proxy in docs/services.md talks HTTP/1.1 to gitlogin. Cleartext HTTP/2 from anyone
/// who reaches the port would be one connection carrying any number of concurrent requests
/// (Rocket sets no limit on streams), past the proxy's own limits: it is not spoken. An
/// HTTP/2 server answers the preface with a SETTINGS frame of its own and waits for more.
#[rocket::async_test]
async fn cleartext_http2_with_prior_knowledge_is_not_spoken() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, base) = start_server(dir.path(), |_| {}).await;
    let mut socket = TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .unwrap();

    socket.write_all(H2C_PREFACE).await.unwrap();
    let mut answer = Vec::new();
    let read = timeout(Duration::from_secs(10), socket.read_to_end(&mut answer)).await;

    // hyper's HTTP/1.1 recognises the preface and closes the connection without a word.
    assert!(read.is_ok(), "the connection was kept open: {answer:?}");
    assert!(
        answer.is_empty() || answer.starts_with(b"HTTP/1.1 "),
        "answered in HTTP/2: {answer:?}"
    );
}
