//! The access tokens userinfo has found live, remembered with the answer they got, exactly
//! as the session guard remembers sessions (`cache.rs` says why that is exact): believed
//! only while the store's access epoch stands still. Migration 21 moves it when a token or
//! its grant ends or changes; the person, their memberships and pins, and the app and its
//! rules move it already (migration 20).
//!
//! Only a "yes" is remembered, and only until the token expires or the person's memberships
//! are due a recheck, whichever comes first: past that, the store decides, as if nothing
//! were remembered. That bound is conservative (it holds even for people no rule admits by
//! membership), and simpler than working out which rule admitted them.

use rocket::request::{FromRequest, Outcome, Request};

use super::PersonClaims;
use crate::cache::{epoch_of, Remembered};

/// Enough for a team's apps' live tokens; beyond it, the rest are looked up as before.
const CAPACITY: usize = 1_000;

/// Managed: userinfo's answers, by the access token's hash.
pub(crate) struct AccessTokens(Remembered<Known>);

impl Default for AccessTokens {
    fn default() -> AccessTokens {
        AccessTokens(Remembered::with_capacity(CAPACITY))
    }
}

#[derive(Clone)]
struct Known {
    claims: PersonClaims,
    /// The first moment it is no longer believed.
    until: i64,
}

/// One request's view of the memory, at the epoch read after it arrived (`None` when that
/// read failed, or the app keeps no memory: nothing is believed).
pub(crate) struct Memory<'r> {
    tokens: Option<&'r AccessTokens>,
    epoch: Option<i64>,
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Memory<'r> {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let tokens = req.rocket().state::<AccessTokens>();
        let epoch = match tokens {
            Some(_) => epoch_of(req).await,
            None => None,
        };
        Outcome::Success(Memory { tokens, epoch })
    }
}

impl Memory<'_> {
    /// The answer given for the token with this hash, if it is still believed at `now`.
    pub(crate) fn recall(&self, token_hash: &str, now: i64) -> Option<PersonClaims> {
        let believed = |known: &Known| (now < known.until).then(|| known.claims.clone());
        self.tokens?.0.read(self.epoch?, token_hash, believed)
    }

    /// Remembers the answer the store gave for this token, believed until `until`.
    pub(crate) fn remember(&self, token_hash: String, claims: &PersonClaims, until: i64) {
        if let (Some(tokens), Some(epoch)) = (self.tokens, self.epoch) {
            let claims = claims.clone();
            tokens
                .0
                .remember(epoch, token_hash, Known { claims, until });
        }
    }
}
