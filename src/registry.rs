//! The app registry: the team's other apps that sign people in through gitlogin, with
//! OpenID Connect (their redirect URIs) or behind its reverse proxy (their hosts), the APIs
//! that take its access tokens (`api.rs`) and the services that call them as themselves.
//! What an app may be is decided here, once, before anything is written (`registration.rs`,
//! each value by `values.rs`); the rows are in `models/apps.rs` and `models/apis.rs`, the
//! operator's commands in `cli/apps.rs`.

pub mod api;
pub mod registration;
pub mod values;

pub use api::{Api, Grantee, ScopeGrant};
pub use registration::{IdTokenAlg, Registration, RegistrationError, Rule};
