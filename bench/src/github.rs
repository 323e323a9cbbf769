//! The fake GitHub the benchmarked apps sign in against: the app's own
//! (`gitlogin::github::fake`), served in this process on loopback, with as many returning
//! people as the store was seeded with.

// The other modules' items, through the crate root (main.rs re-exports them).
#[allow(unused_imports)]
use crate::*;

use gitlogin::github::fake::Account;
pub(crate) use gitlogin::github::fake::{FakeGithub, SignedIn};
use gitlogin::ops::clock::Clock;

pub(crate) const FAKE_CLIENT_ID: &str = "bench-client-id";
/// Not a secret: it only ever reaches the fake, on loopback.
pub(crate) const FAKE_CLIENT_SECRET: &str = "bench-client-secret";
/// The bench user's GitHub id: above any seeded one.
pub(crate) const BENCH_USER_ID: i64 = 4_000_000_000;
pub(crate) const BENCH_USER_LOGIN: &str = "bench-user";

/// A fake GitHub whose every sign-in is one of the `population` seeded people, at random:
/// each sign-in under load is a returning user. Each returns straight away, as GitHub does
/// for an app the person authorized before.
pub(crate) async fn start_github(population: u64) -> FakeGithub {
    let github = FakeGithub::new(FAKE_CLIENT_ID, FAKE_CLIENT_SECRET, Clock::default());
    github.with(|w| w.signed_in = SignedIn::OneOf(population.max(1)));
    github.serve(|rocket| rocket).await
}

/// The provider's scenarios' person: apart from the bench user, so that the grants their
/// flows pile up (thousands a run) are not listed on the About page loaded as the bench user.
pub(crate) const FLOW_USER_LOGIN: &str = "bench-flow-user";
const FLOW_USER_ID: i64 = BENCH_USER_ID + 1;

/// The bench user: one GitHub account of its own, not one of the seeded people, in the
/// organisation `bench-wiki`'s rule names (forward_auth.rs).
pub(crate) fn bench_user() -> SignedIn {
    SignedIn::As(Account {
        login: BENCH_USER_LOGIN.to_owned(),
        orgs: vec![BENCH_ORG.to_owned()],
        ..Account::numbered(BENCH_USER_ID)
    })
}

/// The provider's scenarios' person, signed in at GitHub.
pub(crate) fn flow_user() -> SignedIn {
    SignedIn::As(Account {
        login: FLOW_USER_LOGIN.to_owned(),
        ..Account::numbered(FLOW_USER_ID)
    })
}
