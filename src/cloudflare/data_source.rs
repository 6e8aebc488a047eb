//! What a Cloudflare data source implements: its model, names and a read
//! through the API client. The plugin layer's [`DataSource`] comes with it,
//! written once here: each read gets a [`Reading`] that gathers the answers
//! it holds and the warnings it meets, and returns them beside the state.

use async_trait::async_trait;

use crate::cloudflare::client::{ApiClient, Reading};
use crate::plugin::{DataSource, Diagnostics, Read, TfObject};

/// A data source read through the Cloudflare API.
#[async_trait]
pub trait ApiDataSource: Send + Sync + 'static {
    /// The model: arguments and computed attributes in one struct.
    type Model: TfObject + Send + Sync + 'static;

    /// The full type name, `cloudflare_…`.
    const TYPE_NAME: &'static str;

    /// Markdown description of the data source.
    const DESCRIPTION: &'static str;

    /// Reads the data: the configured arguments in, the whole model out;
    /// warnings go to `reading`.
    async fn read(
        &self,
        client: &ApiClient,
        config: Self::Model,
        reading: &mut Reading,
    ) -> Result<Self::Model, Diagnostics>;
}

#[async_trait]
impl<T: ApiDataSource> DataSource<ApiClient> for T {
    type Model = T::Model;

    const TYPE_NAME: &'static str = T::TYPE_NAME;
    const DESCRIPTION: &'static str = T::DESCRIPTION;

    async fn read(
        &self,
        client: &ApiClient,
        config: T::Model,
    ) -> Result<Read<T::Model>, Diagnostics> {
        let mut reading = client.reading();
        let state = ApiDataSource::read(self, client, config, &mut reading).await;
        reading.finish(state)
    }
}
