//! Shared pieces of the protocol adapters: the macro that answers every RPC a
//! provider does not support with a diagnostic naming it, and the wording of
//! that diagnostic.

use crate::plugin::diagnostics::Diagnostic;

/// The diagnostic for an RPC this provider does not implement (resources,
/// functions, ...): an error that names the RPC, never a gRPC failure.
pub fn unsupported(rpc: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{rpc} is not supported"),
        format!("This provider only serves data sources; it has no {what}. Check that the configuration uses a data block and the right provider."),
    )
}

/// Implements a generated provider service trait: the hand-written methods are
/// given as they are, and each RPC listed after `unsupported` answers with a
/// diagnostic (built by `$diag(rpc, what)`) in its response's `diagnostics` field.
#[macro_export]
macro_rules! provider_rpcs {
    (
        impl<$g:ident : $bound:path> $ty:ty as $trait:path {
            $($body:tt)*
        }
        unsupported($diag:path) {
            $( $method:ident ( $req:ty ) -> $resp:ty = $rpc:literal, $what:literal; )*
        }
    ) => {
        #[tonic::async_trait]
        impl<$g: $bound> $trait for $ty {
            $($body)*
            $(
                async fn $method(
                    &self,
                    _request: tonic::Request<$req>,
                ) -> Result<tonic::Response<$resp>, tonic::Status> {
                    tracing::debug!(tf_rpc = $rpc, "unsupported RPC called");
                    let mut response = <$resp>::default();
                    response.diagnostics = $diag($rpc, $what);
                    Ok(tonic::Response::new(response))
                }
            )*
        }
    };
}
