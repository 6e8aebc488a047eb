//! `cloudflare_sso_connector`: one SSO connector of an account, read with
//! GET /accounts/{account_id}/sso_connectors/{sso_connector_id}.

use async_trait::async_trait;
use serde::Deserialize;

use crate::cloudflare::account;
use crate::cloudflare::client::{ApiClient, RequestContext};
use crate::cloudflare::env::ProcessEnv;
use crate::cloudflare::ids::cloudflare_id;
use crate::cloudflare::secret::Redactor;
use crate::cloudflare::server_text;
use crate::cloudflare::timestamp;
use crate::plugin::tf_object;
use crate::plugin::AttributePath;
use crate::plugin::DataSource;
use crate::plugin::Value;
use crate::plugin::{Diagnostic, Diagnostics};

tf_object! {
    /// DNS verification of the connector's email domain.
    pub struct Verification {
        /// DNS verification code. Add this entire string to the DNS TXT record of the email domain to validate ownership.
        code: Option<String> => computed(),
        /// The status of the verification code from the verification process. Available values: "awaiting", "pending", "failed", "verified".
        status: Option<String> => computed(),
    }
}

/// Declares a model: its own fields first, then the computed attributes every
/// SSO connector has, so the single and the list data source share one
/// definition of them.
macro_rules! with_connector_attributes {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $crate::plugin::tf_object! {
            $(#[$meta])*
            pub struct $name {
                $($own)*
                /// SSO Connector identifier tag.
                id: Option<String> => computed(),
                /// Timestamp for the creation of the SSO connector, in RFC 3339 format.
                created_on: Option<String> => computed(),
                /// The email domain the connector signs users in for.
                email_domain: Option<String> => computed(),
                /// Whether the connector is enabled.
                enabled: Option<bool> => computed(),
                /// Timestamp for the last update of the SSO connector, in RFC 3339 format.
                updated_on: Option<String> => computed(),
                /// Controls the display of FedRAMP language to the user during SSO login.
                use_fedramp_language: Option<bool> => computed(),
                /// DNS verification of the email domain.
                verification: Option<Verification> => computed(),
            }
        }
    };
}

with_connector_attributes! {
    /// Arguments and attributes of `cloudflare_sso_connector`.
    pub struct SsoConnector {
        /// Account identifier tag. Optional, as in the official provider: when unset, the `CLOUDFLARE_ACCOUNT_ID` environment variable gives the account, and the attribute holds the id read.
        account_id: Option<String> => optional_computed().validate(cloudflare_id()),
        /// SSO Connector identifier tag.
        sso_connector_id: String => required().validate(cloudflare_id()),
    }
}

with_connector_attributes! {
    /// One connector's attributes: an element of `cloudflare_sso_connectors.result`.
    pub struct ConnectorAttributes {}
}

/// The connector as the API returns it; every field may be absent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiSsoConnector {
    /// Identifier.
    #[serde(default)]
    pub id: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub created_on: Option<String>,
    /// Email domain.
    #[serde(default)]
    pub email_domain: Option<String>,
    /// Whether enabled.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Last update time.
    #[serde(default)]
    pub updated_on: Option<String>,
    /// FedRAMP wording.
    #[serde(default)]
    pub use_fedramp_language: Option<bool>,
    /// Domain verification.
    #[serde(default)]
    pub verification: Option<ApiVerification>,
}

/// Domain verification as the API returns it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ApiVerification {
    /// TXT record value.
    #[serde(default)]
    pub code: Option<String>,
    /// Verification status.
    #[serde(default)]
    pub status: Option<String>,
}

impl ConnectorAttributes {
    /// Converts an API object: timestamps checked and normalised, absent
    /// fields null. `at` is where the object sits in the state, for the
    /// error when a timestamp is not one.
    pub fn from_api(api: ApiSsoConnector, at: &AttributePath) -> Result<Self, Diagnostic> {
        Ok(Self {
            id: api.id,
            created_on: checked_timestamp(api.created_on, at, "created_on")?,
            email_domain: api.email_domain,
            enabled: api.enabled,
            updated_on: checked_timestamp(api.updated_on, at, "updated_on")?,
            use_fedramp_language: api.use_fedramp_language,
            verification: api.verification.map(|v| Verification {
                code: v.code,
                status: v.status,
            }),
        })
    }
}

/// A timestamp attribute named `name` under `at`, normalised; an error at
/// the attribute when the API's text is not an RFC 3339 timestamp.
fn checked_timestamp(
    text: Option<String>,
    at: &AttributePath,
    name: &str,
) -> Result<Option<String>, Diagnostic> {
    let Some(text) = text else {
        return Ok(None);
    };
    timestamp::normalize(&text).map(Some).map_err(|why| {
        let path = at.then_attribute(name);
        Diagnostic::error(
            "Invalid timestamp from the Cloudflare API",
            format!("The API's answer gives {path} as {why}. The provider does not pass on a date and time it cannot read. Retry later; if it persists, report it to Cloudflare, or, if base_url points at a proxy, check what it returns."),
        )
        .at(path)
    })
}

impl SsoConnector {
    /// Fills the computed attributes from an API object, keeping the arguments.
    pub fn with_api(
        account_id: Option<String>,
        sso_connector_id: String,
        api: ApiSsoConnector,
    ) -> Result<Self, Diagnostic> {
        let attributes = ConnectorAttributes::from_api(api, &AttributePath::root())?;
        Ok(Self {
            account_id,
            sso_connector_id,
            id: attributes.id,
            created_on: attributes.created_on,
            email_domain: attributes.email_domain,
            enabled: attributes.enabled,
            updated_on: attributes.updated_on,
            use_fedramp_language: attributes.use_fedramp_language,
            verification: attributes.verification,
        })
    }
}

/// What a read of SSO connectors is about, for messages: `what` is read,
/// what to say on 404 and the attribute it points at. Every SSO connector
/// endpoint needs the same permission and accepts API tokens only.
pub fn sso_request(what: String, not_found: String, attribute: &str) -> RequestContext {
    RequestContext {
        what,
        permission: "SSO Connector Read",
        tokens_only: true,
        not_found,
        not_found_attribute: Some(AttributePath::attribute(attribute)),
    }
}

/// The data source.
pub struct SsoConnectorDataSource;

#[async_trait]
impl DataSource<ApiClient> for SsoConnectorDataSource {
    type Model = SsoConnector;

    const TYPE_NAME: &'static str = "cloudflare_sso_connector";
    const DESCRIPTION: &'static str = "Reads one SSO connector of a Cloudflare account: its email domain, whether it is enabled, and the state of its DNS domain verification. Needs an API token with the `SSO Connector Read` permission.";

    fn validate(&self, config: &Value) -> Diagnostics {
        account::validate(config, &ProcessEnv)
    }

    async fn read(
        &self,
        client: &ApiClient,
        config: SsoConnector,
    ) -> Result<Self::Model, Diagnostics> {
        let account_id = account::resolve(config.account_id, &ProcessEnv)?;
        let context = sso_request(
            format!(
                "SSO connector \"{}\" in account \"{}\"",
                config.sso_connector_id, account_id
            ),
            format!(
                "No SSO connector \"{}\" exists in account \"{}\", or the account does not exist or the token cannot see it. Check sso_connector_id and account_id (the connector ids of an account are listed by the cloudflare_sso_connectors data source).",
                config.sso_connector_id, account_id
            ),
            "sso_connector_id",
        );
        let response = client
            .get::<ApiSsoConnector>(
                &[
                    "accounts",
                    &account_id,
                    "sso_connectors",
                    &config.sso_connector_id,
                ],
                &[],
                &context,
                &mut client.read_memory(),
            )
            .await?;
        if let Some(answered) = response.result.id.as_deref() {
            if !answered.eq_ignore_ascii_case(&config.sso_connector_id) {
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
        Ok(SsoConnector::with_api(
            Some(account_id),
            config.sso_connector_id,
            response.result,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::Value;
    use crate::plugin::{AttributeKind, Mode, Nesting};
    use crate::plugin::{TfObject, TfValue};

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
        let api: ApiSsoConnector = serde_json::from_str(r#"{"id":"abc","created_on":"2025-01-01T12:21:02.0000Z","updated_on":"2025-01-01T12:21:02.5000Z"}"#).expect("json");
        let model = SsoConnector::with_api(Some("a".into()), "b".into(), api).expect("valid");
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
            .err()
            .expect("a null id cannot be read");
        assert_eq!(read.0[0].summary, "Missing required argument");
        assert!(!read.0[0].detail.contains("bug"), "{}", read.0[0].detail);
        assert!(schema.validate(&config(Value::unknown())).is_empty());
        assert!(schema.validate(&config(Value::from(""))).has_errors());
    }

    #[test]
    fn a_timestamp_that_is_not_one_is_an_error_at_its_attribute() {
        let api: ApiSsoConnector =
            serde_json::from_str(r#"{"id":"abc","updated_on":"2025-02-30T00:00:00Z"}"#)
                .expect("json");
        let err = SsoConnector::with_api(None, "b".into(), api)
            .err()
            .expect("an invalid date");
        assert_eq!(err.attribute, Some(AttributePath::attribute("updated_on")));
        assert!(err.detail.contains("has 28 days"), "{}", err.detail);
        let listed: ApiSsoConnector =
            serde_json::from_str(r#"{"created_on":"0000-00-00"}"#).expect("json");
        let at = AttributePath::attribute("result").then_index(3);
        let err = ConnectorAttributes::from_api(listed, &at)
            .err()
            .expect("no date at all");
        assert_eq!(err.attribute, Some(at.then_attribute("created_on")));
    }

    #[test]
    fn wrong_types_in_the_response_are_rejected() {
        assert!(serde_json::from_str::<ApiSsoConnector>(r#"{"enabled":"yes"}"#).is_err());
    }
}
