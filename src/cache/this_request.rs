//! The epoch as one request reads it: once, after the request arrived, however many of its
//! guards ask (`local_cache` keeps one value per type and request).

use rocket::Request;
use rocket_db_pools::Database;

use super::Epoch;
use crate::store::pool::Db;

struct EpochNow(Option<i64>);

/// `None` when the store did not answer, or the app manages no epoch: then nothing
/// remembered may be believed.
pub async fn epoch_of(req: &Request<'_>) -> Option<i64> {
    let rocket = req.rocket();
    let (Some(epoch), Some(db)) = (rocket.state::<Epoch>(), Db::fetch(rocket)) else {
        return None;
    };
    req.local_cache_async(async { EpochNow(epoch.now(db).await) })
        .await
        .0
}
