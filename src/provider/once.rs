//! A request parameter that may be given at most once. RFC 6749 §3.1 and §3.2: "Request and
//! response parameters MUST NOT be included more than once". Rocket's own `Option<&str>`
//! turns a doubled field into no field at all, which is worse than either value: a doubled
//! PKCE challenge became a request without PKCE. So each parameter gitlogin reads is a
//! [`Once`], and a repeat is refused before anything is read. Parameters gitlogin does not
//! read are not fields at all, so they stay ignored and may repeat (`resource`, RFC 8707).

use rocket::form::{self, DataField, FromForm, Options, ValueField};

/// One parameter, as the request gave it.
#[derive(Debug, Clone, Copy, Default)]
pub enum Once<'r> {
    #[default]
    Absent,
    Given(&'r str),
    Repeated,
}

/// A parameter given more than once.
#[derive(Debug)]
pub struct Repeated;

impl<'r> Once<'r> {
    /// Its value, if given once; `Err` if repeated.
    pub fn get(self) -> Result<Option<&'r str>, Repeated> {
        match self {
            Once::Absent => Ok(None),
            Once::Given(value) => Ok(Some(value)),
            Once::Repeated => Err(Repeated),
        }
    }
}

#[rocket::async_trait]
impl<'r> FromForm<'r> for Once<'r> {
    type Context = Once<'r>;

    fn init(_: Options) -> Once<'r> {
        Once::Absent
    }

    fn push_value(seen: &mut Once<'r>, field: ValueField<'r>) {
        *seen = match seen {
            Once::Absent => Once::Given(field.value),
            _ => Once::Repeated,
        };
    }

    /// A file upload (`multipart/form-data`) under this name is no value gitlogin can read:
    /// refused like a repeat.
    async fn push_data(seen: &mut Once<'r>, _: DataField<'r, '_>) {
        *seen = Once::Repeated;
    }

    fn finalize(seen: Once<'r>) -> form::Result<'r, Once<'r>> {
        Ok(seen)
    }
}
