//! One way to run a test under both plugin protocols: [`on_both_protocols!`]
//! writes the test twice, with `pb` naming tfplugin6 in one and tfplugin5 in
//! the other, and the named client connected to a provider launched offering
//! only that version. The body must use what both versions call alike.

/// Writes `async fn NAME(CLIENT) { BODY }` as a test module `NAME` with the
/// tests `protocol_6` and `protocol_5`.
macro_rules! on_both_protocols {
    ($(#[doc = $doc:literal])* async fn $name:ident($client:ident) $body:block) => {
        $(#[doc = $doc])*
        mod $name {
            use super::*;

            #[tokio::test]
            async fn protocol_6() {
                use tfcf::plugin::wire::tfplugin6 as pb;
                let provider = $crate::support::plugin_client::ProviderProcess::launch_with(true, "6", &[]);
                let mut $client = pb::provider_client::ProviderClient::new(provider.channel().await);
                $body
            }

            #[tokio::test]
            async fn protocol_5() {
                use tfcf::plugin::wire::tfplugin5 as pb;
                let provider = $crate::support::plugin_client::ProviderProcess::launch_with(true, "5", &[]);
                let mut $client = pb::provider_client::ProviderClient::new(provider.channel().await);
                $body
            }
        }
    };
}

pub(crate) use on_both_protocols;
