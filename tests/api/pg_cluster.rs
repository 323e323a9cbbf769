//! The tests' PostgreSQL (`gitlogin_testkit::postgres`): one cluster per test process for
//! every test that only needs a database of its own, and a cluster of its own for a test
//! that stops or freezes the server. `tests/postgres` runs only where PostgreSQL is
//! installed (see `build.rs`), so here it always is.

use std::sync::OnceLock;

pub use gitlogin_testkit::postgres::Cluster;

/// The process's shared cluster, started on first use.
pub fn shared() -> &'static Cluster {
    static SHARED: OnceLock<Cluster> = OnceLock::new();
    SHARED.get_or_init(start)
}

/// A new cluster on a free port; stopped when dropped.
pub fn start() -> Cluster {
    let port = gitlogin::ops::loopback::free_port();
    Cluster::start(port)
        .expect("PostgreSQL did not start")
        .expect("build.rs found PostgreSQL installed")
}

/// A new, empty database on `cluster`; its URL.
pub async fn create_database(cluster: &Cluster) -> String {
    let name = format!("test_{:016x}", rand::random::<u64>());
    cluster.create_database(&name).await.unwrap()
}
