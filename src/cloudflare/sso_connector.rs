//! `cloudflare_sso_connector`: one SSO connector of an account, read with
//! GET /accounts/{account_id}/sso_connectors/{sso_connector_id}.
//!
//! [`Connector`] is the one declaration of a connector's attributes: its
//! schema, its state and its decoding from the API's JSON (serde, with
//! every field optional). The list data source embeds it too.

use async_trait::async_trait;
use serde::Deserialize;

use crate::cloudflare::account::Account;
use crate::cloudflare::client::{ApiClient, Reading, RequestContext};
use crate::cloudflare::data_source::ApiDataSource;
use crate::cloudflare::ids::cloudflare_id;
use crate::cloudflare::secret::Redactor;
use crate::cloudflare::server_text;
use crate::cloudflare::timestamp;
use crate::plugin::AttributePath;
use crate::plugin::TfObject;
use crate::plugin::{Diagnostic, Diagnostics};

/// DNS verification of the connector's email domain.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TfObject)]
#[serde(default)]
#[tf(computed)]
pub struct Verification {
    /// DNS verification code. Add this entire string to the DNS TXT record of the email domain to validate ownership.
    pub code: Option<String>,
    /// The status of the verification code from the verification process. Available values: "awaiting", "pending", "failed", "verified".
    pub status: Option<String>,
}

/// The attributes every SSO connector has, as the API returns them (any may
/// be absent) and as the state holds them: `cloudflare_sso_connector`'s
/// computed attributes, and an element of `cloudflare_sso_connectors.result`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, TfObject)]
#[serde(default)]
#[tf(computed)]
pub struct Connector {
    /// SSO Connector identifier tag.
    pub id: Option<String>,
    /// Timestamp for the creation of the SSO connector, in RFC 3339 format.
    #[tf(normalize = checked_timestamp)]
    pub created_on: Option<String>,
    /// The email domain the connector signs users in for.
    pub email_domain: Option<String>,
    /// Whether the connector is enabled.
    pub enabled: Option<bool>,
    /// Timestamp for the last update of the SSO connector, in RFC 3339 format.
    #[tf(normalize = checked_timestamp)]
    pub updated_on: Option<String>,
    /// Controls the display of FedRAMP language to the user during SSO login.
    pub use_fedramp_language: Option<bool>,
    /// DNS verification of the email domain.
    pub verification: Option<Verification>,
}

/// Arguments and attributes of `cloudflare_sso_connector`.
#[derive(Debug, Clone, PartialEq, TfObject)]
pub struct SsoConnector {
    /// The account read.
    #[tf(flatten)]
    pub account: Account,
    /// SSO Connector identifier tag.
    #[tf(required, validate = cloudflare_id())]
    pub sso_connector_id: String,
    /// What the API returned.
    #[tf(flatten)]
    pub connector: Connector,
}

/// A timestamp attribute at `path`, normalised; an error at the attribute
/// when the API's text is not an RFC 3339 timestamp.
fn checked_timestamp(
    text: Option<String>,
    path: &AttributePath,
) -> Result<Option<String>, Diagnostic> {
    let Some(text) = text else {
        return Ok(None);
    };
    timestamp::normalize(&text).map(Some).map_err(|why| {
        Diagnostic::error(
            "Invalid timestamp from the Cloudflare API",
            format!("The API's answer gives {path} as {why}. The provider does not pass on a date and time it cannot read. Retry later; if it persists, report it to Cloudflare, or, if base_url points at a proxy, check what it returns."),
        )
        .at(path.clone())
    })
}

/// What a read of SSO connectors is about, for messages: `what` is read,
/// what to say on 404 (made only on a 404) and the attribute it points at.
/// Every SSO connector endpoint needs the same permission and accepts API
/// tokens only.
pub(crate) fn sso_request(
    what: String,
    not_found: impl Fn() -> String + Send + Sync + 'static,
    attribute: &str,
) -> RequestContext {
    RequestContext {
        what,
        permission: "SSO Connector Read",
        tokens_only: true,
        not_found: Box::new(not_found),
        not_found_attribute: Some(AttributePath::attribute(attribute)),
    }
}

/// The data source.
pub(crate) struct SsoConnectorDataSource;

#[async_trait]
impl ApiDataSource for SsoConnectorDataSource {
    type Model = SsoConnector;

    const TYPE_NAME: &'static str = "cloudflare_sso_connector";
    const DESCRIPTION: &'static str = "Reads one SSO connector of a Cloudflare account: its email domain, whether it is enabled, and the state of its DNS domain verification. Needs an API token with the `SSO Connector Read` permission.";

    async fn read(
        &self,
        client: &ApiClient,
        config: SsoConnector,
        reading: &mut Reading,
    ) -> Result<SsoConnector, Diagnostics> {
        let account_id = config.account.id()?;
        let id = config.sso_connector_id;
        let context = {
            let (id, account_id) = (id.clone(), account_id.clone());
            sso_request(
                format!("SSO connector \"{id}\" in account \"{account_id}\""),
                move || {
                    format!("No SSO connector \"{id}\" exists in account \"{account_id}\", or the account does not exist or the token cannot see it. Check sso_connector_id and account_id (the connector ids of an account are listed by the cloudflare_sso_connectors data source).")
                },
                "sso_connector_id",
            )
        };
        let response = client
            .get::<Connector>(
                &["accounts", &account_id, "sso_connectors", &id],
                &[],
                &context,
                reading,
            )
            .await?;
        if let Some(answered) = response.result.id.as_deref() {
            if !answered.eq_ignore_ascii_case(&id) {
                return Err(Diagnostic::error(
                    "Cloudflare answered with another SSO connector",
                    format!(
                        "Reading {} returned the connector {:?} instead. The provider does not pass on an object other than the one asked for. Retry later; if it persists, report it to Cloudflare, or, if base_url points at a proxy, check that it forwards requests unchanged.",
                        context.what,
                        server_text::shown(answered, 64, false, &Redactor::default())
                    ),
                )
                .at(AttributePath::attribute("sso_connector_id"))
                .into());
            }
        }
        SsoConnector::read(account_id, id, response.result)
    }
}

impl SsoConnector {
    /// The state after reading `connector` for these arguments, normalised.
    pub fn read(
        account_id: String,
        sso_connector_id: String,
        connector: Connector,
    ) -> Result<Self, Diagnostics> {
        Ok(Self {
            account: Account::read(account_id),
            sso_connector_id,
            connector: connector.normalized(&AttributePath::root())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::TfValue;
    use crate::plugin::Value;
    use crate::plugin::{AttributeKind, Mode, Nesting};

    fn state(account_id: Option<&str>, id: &str, api: &str) -> Result<SsoConnector, Diagnostics> {
        let api: Connector = serde_json::from_str(api).expect("json");
        Ok(SsoConnector {
            account: Account {
                account_id: account_id.map(str::to_string),
            },
            sso_connector_id: id.into(),
            connector: api.normalized(&AttributePath::root())?,
        })
    }

    #[test]
    fn schema_matches_the_official_provider() {
        let attrs = SsoConnector::attributes();
        let names: Vec<&str> = attrs.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "account_id",
                "sso_connector_id",
                "id",
                "created_on",
                "email_domain",
                "enabled",
                "updated_on",
                "use_fedramp_language",
                "verification"
            ]
        );
        for attr in &attrs {
            let expected = match attr.name.as_str() {
                "account_id" => Mode::OptionalComputed,
                "sso_connector_id" => Mode::Required,
                _ => Mode::Computed,
            };
            assert_eq!(attr.mode, expected, "{}", attr.name);
            assert!(!attr.description.is_empty(), "{}", attr.name);
        }
        let verification = attrs
            .iter()
            .find(|a| a.name == "verification")
            .expect("verification");
        match &verification.kind {
            AttributeKind::Nested {
                nesting,
                attributes,
            } => {
                assert_eq!(*nesting, Nesting::Single);
                assert_eq!(attributes.len(), 2);
                assert!(attributes[1].description.contains("\"verified\""));
            }
            other => panic!("verification should be nested, got {other:?}"),
        }
    }

    #[test]
    fn missing_fields_become_null_and_timestamps_are_normalised() {
        let model = state(Some("a"), "b", r#"{"id":"abc","created_on":"2025-01-01T12:21:02.0000Z","updated_on":"2025-01-01T12:21:02.5000Z"}"#).expect("valid");
        let value = model.to_value();
        assert_eq!(
            value.attribute("created_on"),
            Some(&Value::from("2025-01-01T12:21:02Z"))
        );
        assert_eq!(
            value.attribute("updated_on"),
            Some(&Value::from("2025-01-01T12:21:02.5Z"))
        );
        assert_eq!(value.attribute("enabled"), Some(&Value::Null));
        assert_eq!(value.attribute("verification"), Some(&Value::Null));
        assert_eq!(value.attribute("id"), Some(&Value::from("abc")));
    }

    #[test]
    fn a_null_id_is_a_missing_argument_at_validation_and_at_read() {
        let config = |id: Value| {
            let mut attrs: std::collections::BTreeMap<String, Value> = SsoConnector::attributes()
                .into_iter()
                .map(|a| (a.name, Value::Null))
                .collect();
            attrs.insert(
                "account_id".into(),
                Value::from("023e105f4ecef8ad9ca31a8372d0c353"),
            );
            attrs.insert("sso_connector_id".into(), id);
            Value::Object(attrs)
        };
        let schema = crate::plugin::Schema::new("", SsoConnector::attributes());
        let diags = schema.validate(&config(Value::Null));
        assert_eq!(diags.0[0].summary, "Missing required argument");
        assert_eq!(
            diags.0[0].attribute,
            Some(AttributePath::attribute("sso_connector_id"))
        );
        let read = SsoConnector::from_attributes(&config(Value::Null), &AttributePath::root())
            .expect_err("a null id cannot be read");
        assert_eq!(read.0[0].summary, "Missing required argument");
        assert!(!read.0[0].detail.contains("bug"), "{}", read.0[0].detail);
        assert!(schema.validate(&config(Value::unknown())).is_empty());
        assert!(schema.validate(&config(Value::from(""))).has_errors());
    }

    #[test]
    fn a_timestamp_that_is_not_one_is_an_error_at_its_attribute() {
        let err = state(
            None,
            "b",
            r#"{"id":"abc","updated_on":"2025-02-30T00:00:00Z"}"#,
        )
        .expect_err("an invalid date");
        assert_eq!(err.0.len(), 1);
        assert_eq!(
            err.0[0].attribute,
            Some(AttributePath::attribute("updated_on"))
        );
        assert!(
            err.0[0].detail.contains("has 28 days"),
            "{}",
            err.0[0].detail
        );
        let listed: Connector =
            serde_json::from_str(r#"{"created_on":"0000-00-00"}"#).expect("json");
        let at = AttributePath::attribute("result").then_index(3);
        let err = listed.normalized(&at).expect_err("no date at all");
        assert_eq!(err.0[0].attribute, Some(at.then_attribute("created_on")));
    }

    #[test]
    fn wrong_types_in_the_response_are_rejected() {
        assert!(serde_json::from_str::<Connector>(r#"{"enabled":"yes"}"#).is_err());
    }
}
