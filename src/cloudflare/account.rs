//! The account a data source reads from: its `account_id` argument, or, as
//! in the official provider since v5.19 where the argument is optional, the
//! `CLOUDFLARE_ACCOUNT_ID` environment variable. With neither, validation
//! fails at plan time, at the attribute, before any request.

use crate::cloudflare::env::{unreadable_error, Env, ProcessEnv};
use crate::cloudflare::ids::{check_id, cloudflare_id};
use crate::plugin::AttributePath;
use crate::plugin::TfObject;
use crate::plugin::Value;
use crate::plugin::{Diagnostic, Diagnostics};

/// The environment variable that stands in for an unset `account_id`.
pub(crate) const ENV_ACCOUNT_ID: &str = "CLOUDFLARE_ACCOUNT_ID";

/// The argument every data source of an account has, embedded in their
/// models with `#[tf(flatten)]`, with its check of the environment.
#[derive(Debug, Clone, Default, PartialEq, TfObject)]
#[tf(check = validate_in_process)]
pub struct Account {
    /// Account identifier tag. Optional, as in the official provider: when unset, the `CLOUDFLARE_ACCOUNT_ID` environment variable gives the account, and the attribute holds the id read.
    #[tf(optional, computed, validate = cloudflare_id())]
    pub account_id: Option<String>,
}

impl Account {
    /// The account to read, by the argument or the process environment.
    pub(crate) fn id(self) -> Result<String, Diagnostic> {
        resolve(self.account_id, &ProcessEnv)
    }

    /// The state of the argument after a read of `account_id`.
    pub(crate) fn read(account_id: String) -> Self {
        Self {
            account_id: Some(account_id),
        }
    }
}

/// The attribute, for checks of a configuration not decoded yet.
const ATTRIBUTE: &str = "account_id";

/// [`validate`] against the process environment.
fn validate_in_process(config: &Value) -> Diagnostics {
    validate(config, &ProcessEnv)
}

/// Checks that a configuration which may hold unknowns names an account:
/// an unset `account_id` needs a valid `CLOUDFLARE_ACCOUNT_ID`. (A set one
/// is checked by its attribute's validator.)
fn validate(config: &Value, env: &dyn Env) -> Diagnostics {
    match config.attribute(ATTRIBUTE) {
        Some(value) if value.is_null() => match from_env(env) {
            Ok(_) => Diagnostics::new(),
            Err(diag) => diag.into(),
        },
        _ => Diagnostics::new(),
    }
}

/// The account to read: the argument when set, else the environment's.
fn resolve(argument: Option<String>, env: &dyn Env) -> Result<String, Diagnostic> {
    match argument {
        Some(account_id) => Ok(account_id),
        None => from_env(env),
    }
}

/// The account id `CLOUDFLARE_ACCOUNT_ID` gives, checked like the argument.
fn from_env(env: &dyn Env) -> Result<String, Diagnostic> {
    let path = AttributePath::attribute(ATTRIBUTE);
    if env.unreadable(ENV_ACCOUNT_ID) {
        return Err(unreadable_error(ENV_ACCOUNT_ID).at(path));
    }
    let Some(account_id) = env.get(ENV_ACCOUNT_ID) else {
        return Err(Diagnostic::error(
            "Missing account_id",
            format!("Set account_id in the data source, or the {ENV_ACCOUNT_ID} environment variable, to the id of the Cloudflare account to read (32 letters and digits, shown in the dashboard's account overview)."),
        )
        .at(path));
    };
    check_id(&account_id).map_err(|why| {
        Diagnostic::error(
            "Invalid Cloudflare identifier",
            format!("{ENV_ACCOUNT_ID}, which stands in for the unset account_id: {why}"),
        )
        .at(path.clone())
    })?;
    Ok(account_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloudflare::env::MapEnv;

    const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";

    fn config(account_id: Value) -> Value {
        Value::object([(ATTRIBUTE, account_id)])
    }

    #[test]
    fn an_unset_account_id_needs_the_variable() {
        let none = MapEnv::of(&[]);
        let diags = validate(&config(Value::Null), &none);
        assert_eq!(diags.0[0].summary, "Missing account_id");
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute(ATTRIBUTE))
        );
        assert!(
            diags.0[0].detail.contains("account_id") && diags.0[0].detail.contains(ENV_ACCOUNT_ID)
        );
        let set = MapEnv::of(&[(ENV_ACCOUNT_ID, ACCOUNT)]);
        assert!(validate(&config(Value::Null), &set).is_empty());
        assert_eq!(resolve(None, &set).expect("from env"), ACCOUNT);
        assert_eq!(
            resolve(Some("given".into()), &none).expect("argument"),
            "given"
        );
    }

    #[test]
    fn the_variable_is_checked_like_the_argument_and_never_quoted() {
        let bad = MapEnv::of(&[(ENV_ACCOUNT_ID, "s3cr3t-acc0unt")]);
        let diags = validate(&config(Value::Null), &bad);
        assert_eq!(diags.0[0].summary, "Invalid Cloudflare identifier");
        assert!(diags.0[0].detail.contains(ENV_ACCOUNT_ID));
        assert!(!diags.0[0].detail.contains("s3cr3t"));
        let unreadable = MapEnv::of(&[]).with_unreadable(ENV_ACCOUNT_ID);
        assert_eq!(
            validate(&config(Value::Null), &unreadable).0[0].summary,
            "Unreadable environment variable"
        );
    }

    #[test]
    fn set_or_unknown_arguments_need_nothing_else() {
        let none = MapEnv::of(&[]);
        assert!(validate(&config(Value::from(ACCOUNT)), &none).is_empty());
        assert!(validate(&config(Value::unknown()), &none).is_empty());
    }
}
