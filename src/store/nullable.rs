//! Reading nullable columns through sqlx 0.7's `Any` driver, which the store uses.

use rocket_db_pools::sqlx::any::{AnyTypeInfo, AnyValueRef};
use rocket_db_pools::sqlx::{self, Any, TypeInfo as _, ValueRef as _};

/// A column that may be NULL, read through sqlx's `Any` driver.
///
/// sqlx 0.7's `Any` cannot decode NULL into an `Option`: its values never report being null,
/// so `Option<T>` tries to decode a `T` and fails (fixed in sqlx 0.8, which rocket_db_pools 0.2
/// cannot use). A nullable field is declared `#[sqlx(try_from = "Nullable<T>")]` instead, and
/// this looks at the value's type, which does say NULL.
pub struct Nullable<T>(Option<T>);

impl<T: sqlx::Type<Any>> sqlx::Type<Any> for Nullable<T> {
    fn type_info() -> AnyTypeInfo {
        T::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        is_null(ty) || T::compatible(ty)
    }
}

impl<'r, T: sqlx::Decode<'r, Any>> sqlx::Decode<'r, Any> for Nullable<T> {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        if is_null(&value.type_info()) {
            return Ok(Nullable(None));
        }
        T::decode(value).map(|v| Nullable(Some(v)))
    }
}

/// The facade does not re-export `AnyTypeInfoKind`; the type's name says NULL just as well.
fn is_null(ty: &AnyTypeInfo) -> bool {
    ty.name() == "NULL"
}

impl<T> From<Nullable<T>> for Option<T> {
    fn from(value: Nullable<T>) -> Option<T> {
        value.0
    }
}
