//! cty, the type system Terraform uses for everything that crosses the plugin
//! protocol: types ([`Type`]) and decoded values ([`Value`], [`Number`]),
//! independent of any wire encoding. The encodings live in
//! [`crate::plugin::codec`], which depends on this module and never the
//! reverse.

mod number;
mod types;
mod value;

pub(super) use number::Number;
pub(crate) use number::{float_to_i64, Decimal};
pub use types::Type;
pub use value::{Refinements, Value};
