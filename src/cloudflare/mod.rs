//! The Cloudflare provider: configuration, API client and data sources, built
//! on the generic [`plugin`](crate::plugin) layer.
//!
//! Its modules are private but for those the provider's tests, tools and
//! fuzz targets reach into: the client, the configuration and credentials,
//! the environment, the API envelope, secrets and the two data sources.

mod account;
mod api_error;
mod base_url;
mod budget;
mod cache;
pub mod client;
pub mod config;
pub mod credentials;
pub mod data_source;
pub mod env;
pub mod envelope;
mod failure;
mod ids;
mod memory;
mod numeric;
mod proxy;
mod rate_headers;
mod reading;
mod retry;
pub mod secret;
mod server_text;
pub mod sso_connector;
pub mod sso_connectors;
mod throttle;
mod timestamp;

use async_trait::async_trait;

use crate::cloudflare::client::ApiClient;
use crate::cloudflare::config::ProviderConfig;
use crate::cloudflare::env::ProcessEnv;
use crate::plugin::Diagnostics;
use crate::plugin::Schema;
use crate::plugin::TfObject;
use crate::plugin::Value;
use crate::plugin::{ConfigureRequest, DataSources, Provider};

/// The provider's version, as released.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The `cloudflare` provider.
#[derive(Debug, Default)]
pub struct CloudflareProvider;

#[async_trait]
impl Provider for CloudflareProvider {
    type Context = ApiClient;

    fn type_name(&self) -> &'static str {
        "cloudflare"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "The Cloudflare provider reads Cloudflare account objects. Authenticate with an API token (`api_token` or `CLOUDFLARE_API_TOKEN`).",
            ProviderConfig::attributes(),
        )
    }

    fn data_sources(&self) -> DataSources<ApiClient> {
        DataSources::new()
            .with(sso_connector::SsoConnectorDataSource)
            .with(sso_connectors::SsoConnectorsDataSource)
    }

    fn validate_config(&self, config: &Value) -> Diagnostics {
        config::validate(config, &ProcessEnv)
    }

    async fn configure(&self, request: ConfigureRequest) -> Result<ApiClient, Diagnostics> {
        let settings = config::resolve(
            &request.config,
            &ProcessEnv,
            VERSION,
            &request.terraform_version,
        )?;
        tracing::debug!(
            credentials = settings.credentials.mode(),
            base_url = %settings.shown_base_url,
            max_retries = settings.max_retries,
            request_timeout_s = settings.request_timeout.as_secs_f64(),
            rate_limit = settings.rate_limit,
            read_timeout_s = settings.read_timeout.as_secs_f64(),
            "provider configured"
        );
        ApiClient::new(settings).map_err(Diagnostics::from)
    }
}
