//! Fuzzes the Cloudflare API response handling: any body must parse into an
//! SSO connector envelope (single object or list page) or fail cleanly, the
//! error and excerpt helpers used for failed responses must stay bounded, and
//! whatever the parser accepts must become Terraform state that encodes and
//! decodes.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tfcf::cloudflare::envelope;
use tfcf::cloudflare::secret::Redactor;
use tfcf::cloudflare::sso_connector::{Connector, SsoConnector};
use tfcf::cloudflare::sso_connectors::{Pager, SsoConnectors, PER_PAGE};
use tfcf::plugin::Value;
use tfcf::plugin::{TfObject, TfValue};
use tfcf::plugin::Schema;
use tfcf_fuzz::check_value;

const ACCOUNT: &str = "023e105f4ecef8ad9ca31a8372d0c353";
const CONNECTOR: &str = "f1740f3ab5b64d3b9ef1d0c9a1b2c3d4";
const TOKEN: &str = "cfut_0123456789abcdefghijklmnopqrstuvwxyzABCD";

/// Checks state built from an API response as every decoded value is checked,
/// and that it decodes back unchanged (it holds no `dynamic` or unknowns).
fn check_state(value: &Value, schema: &Schema) {
    let back = check_value(value, &schema.value_type());
    assert_eq!(back.as_ref(), Some(value), "state changed in a round trip");
}

fuzz_target!(|data: &[u8]| {
    let errors = envelope::errors_of(data);
    assert!(errors.shown.len() <= 5, "more errors kept than are shown");
    for message in &errors.shown {
        let _ = message.describe();
    }
    let shown = envelope::ShownBody::new(data, None, &Redactor::new([TOKEN]));
    for message in &shown.errors {
        let described = message.describe();
        assert!(described.chars().count() <= 330, "message too long");
        assert!(!described.chars().any(char::is_control), "control characters shown");
    }
    let excerpt = envelope::excerpt(data);
    assert!(!excerpt.is_empty());
    assert!(excerpt.chars().count() <= 301, "excerpt too long");
    assert!(
        !excerpt.chars().any(|c| c.is_control() && c != '\n'),
        "excerpt keeps control characters: {excerpt:?}"
    );

    if let Ok(parsed) = envelope::parse::<Connector>(data) {
        for message in parsed.errors.iter().chain(parsed.messages.iter()) {
            for entry in &message.shown {
                let _ = entry.describe();
            }
        }
        if let Some(api) = parsed.result {
            let Ok(state) = SsoConnector::read(ACCOUNT.to_string(), CONNECTOR.to_string(), api)
            else {
                return;
            };
            check_state(
                &state.to_value(),
                &Schema::new("", SsoConnector::attributes()),
            );
        }
    }

    if let Ok(page) = envelope::parse::<Vec<Connector>>(data) {
        let Some(items) = page.result else {
            return;
        };
        let mut pager = Pager::new(usize::MAX, PER_PAGE);
        let _ = pager.take(items, page.result_info.as_ref());
        let _ = pager.warnings("the fuzzed list");
        let Ok(state) = SsoConnectors::listed(ACCOUNT.to_string(), None, pager.into_items()) else {
            return;
        };
        check_state(
            &state.to_value(),
            &Schema::new("", SsoConnectors::attributes()),
        );
    }
});
