//! What an instance remembers of the store, exactly: believed only while the store's access
//! epoch (`epoch.rs`) reads as it did when it was remembered (`remembered.rs`).
//!
//! Looking a session up costs a checkout and several queries; remembering it costs one
//! shared read of a counter. The counter is moved by triggers in the store itself (migrations
//! 20 and 21), in the transaction of every write that could make a remembered answer wrong: a
//! session ending, a person changing or being deleted, a membership or pin changing, an app
//! or its rules changing, an access token or its grant ending. So a session ended anywhere,
//! on another instance or by the command line (another process even on SQLite), is refused
//! by every instance at its next request, and no writer can forget to say so.
//!
//! Only a "yes" is ever answered from memory. Anything that would end a session or refuse
//! it (idle, expired, refused by the lists, due for a recheck or for recording its last use)
//! is decided by the store, as if nothing were remembered.

mod epoch;
mod remembered;
mod this_request;

pub use epoch::Epoch;
pub use remembered::Remembered;
pub use this_request::epoch_of;
