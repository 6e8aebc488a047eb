//! What the protocol adapters (tfplugin5 and tfplugin6) share: the per-RPC
//! wrapper that logs each request and turns a panicking handler into an error
//! diagnostic, and the wording for unsupported RPCs. The macros in
//! `adapter/template.rs` write each version's conversions and service from one
//! template, so the two versions differ only where their wire formats do.

use std::future::Future;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use tokio_stream::Stream;
use tonic::{Response, Status};
use tracing::Instrument;

use crate::plugin::diagnostics::{Diagnostic, Diagnostics, Severity};
use crate::plugin::panics;
use crate::plugin::schema::Mode;
use crate::plugin::server::MAX_MESSAGE_SIZE;

pub(crate) mod template;
pub(crate) mod v5;
pub(crate) mod v6;

/// The diagnostic for an RPC this provider does not implement (resources,
/// functions, ...): an error that names the RPC, never a gRPC failure.
pub(super) fn unsupported(rpc: &str, what: &str) -> Diagnostic {
    Diagnostic::error(
        format!("{rpc} is not supported"),
        format!("This provider only serves data sources; it has no {what}. Check that the configuration uses a data block and the right provider."),
    )
}

/// The diagnostic for a handler that panicked: the run can go on, the bug gets reported.
pub(super) fn panicked(rpc: &str, message: &str) -> Diagnostic {
    Diagnostic::error(
        "Provider bug",
        format!("The provider failed unexpectedly while handling {rpc} ({message}). It recovered and keeps serving, but this is a bug; please report it with the provider's log (TF_LOG_PROVIDER=debug)."),
    )
}

/// The `required`, `optional` and `computed` flags of an attribute, as both protocols spell them.
pub(super) fn mode_flags(mode: Mode) -> (bool, bool, bool) {
    (
        mode == Mode::Required,
        matches!(mode, Mode::Optional | Mode::OptionalComputed),
        matches!(mode, Mode::Computed | Mode::OptionalComputed),
    )
}

/// A protocol reply that carries diagnostics, so the shared wrapper can log
/// them and build a reply from a diagnostic when the handler panicked or the
/// reply is too large to send.
pub(super) trait Reply: Sized + Send {
    /// A reply holding nothing but `diagnostics`.
    fn from_diagnostics(diagnostics: Diagnostics) -> Self;
    /// Severity and summary of each diagnostic in the reply.
    fn logged(&self) -> Vec<(Severity, &str)>;
    /// The size of the reply encoded for the wire, in bytes.
    fn encoded_len(&self) -> usize;
}

/// The largest schema response Terraform reads: it lowers go-plugin's
/// client limit (`math.MaxInt32`, set in go-plugin's `dialGRPCConn`) to
/// 64 MiB for GetProviderSchema / GetSchema (`maxRecvSize` in Terraform's
/// `internal/plugin6/grpc_provider.go` and `internal/plugin/grpc_provider.go`).
pub(super) const MAX_SCHEMA_RESPONSE: usize = 64 << 20;

/// The largest response `rpc` may send: Terraform's schema limit for the
/// schema RPCs, the server's own message limit (which tonic enforces with an
/// opaque "message length too large" status) for the rest.
pub(super) fn response_limit(rpc: &str) -> usize {
    match rpc {
        "GetProviderSchema" | "GetSchema" => MAX_SCHEMA_RESPONSE,
        _ => MAX_MESSAGE_SIZE,
    }
}

/// The diagnostic that replaces a reply of `size` bytes, more than `limit`.
pub(super) fn too_large(call: &Call, size: usize, limit: usize) -> Diagnostic {
    let mib = |bytes: usize| bytes as f64 / f64::from(1u32 << 20);
    let what = match (call.rpc, &call.data_source) {
        ("ReadDataSource", Some(type_name)) => format!("The state of data source {type_name}"),
        _ => format!("The provider's answer to {}", call.rpc),
    };
    Diagnostic::error(
        "Response too large for Terraform",
        format!(
            "{what} is {:.1} MiB encoded, more than the {:.0} MiB a response to Terraform may \
             be, so it was not sent. Read less at once (for example fewer items per data \
             source, split over several), or report this if the data cannot be narrowed.",
            mib(size),
            mib(limit)
        ),
    )
}

/// Which request is being served, for the log.
#[derive(Debug, Clone)]
pub(super) struct Call {
    /// The protocol version, e.g. `6.10`.
    pub protocol: &'static str,
    /// The RPC name as the protocol spells it, e.g. `ReadDataSource`.
    pub rpc: &'static str,
    /// The data source type the request is about, if any.
    pub data_source: Option<String>,
}

impl Call {
    /// A request for `rpc` under protocol `protocol`.
    pub(super) fn new(protocol: &'static str, rpc: &'static str) -> Self {
        Self {
            protocol,
            rpc,
            data_source: None,
        }
    }

    /// The same request, about data source `type_name`.
    pub(super) fn data_source(mut self, type_name: &str) -> Self {
        self.data_source = Some(type_name.to_string());
        self
    }
}

/// Serves one RPC: runs `handler` inside a span carrying `tf_rpc`,
/// `tf_req_id`, `tf_proto_version` and `tf_data_source_type`, logs
/// "Received request" / "Served request" (with `tf_req_duration_ms`) at TRACE
/// and the reply's diagnostics at DEBUG (WARN for errors), answers a
/// panicking handler with an error diagnostic instead of dying, and a reply
/// larger than Terraform accepts with an error diagnostic saying so instead of
/// the gRPC error it would become.
pub(super) async fn answer<R: Reply>(
    call: Call,
    handler: impl Future<Output = R> + Send,
) -> Result<Response<R>, Status> {
    // An error-level span is enabled whenever any logging is, so its fields
    // reach every event inside it whatever level was chosen.
    let span = tracing::error_span!(
        "rpc",
        tf_proto_version = call.protocol,
        tf_rpc = call.rpc,
        tf_req_id = tracing::field::Empty,
        tf_data_source_type = tracing::field::Empty,
    );
    if !span.is_disabled() {
        span.record("tf_req_id", request_id().as_str());
    }
    if let Some(type_name) = &call.data_source {
        span.record("tf_data_source_type", type_name.as_str());
    }
    let rpc = call.rpc;
    let call = &call;
    async move {
        tracing::trace!("Received request");
        let started = Instant::now();
        let reply = match panics::catch(handler).await {
            Ok(reply) => reply,
            Err(message) => R::from_diagnostics(panicked(rpc, &message).into()),
        };
        let reply = within_limit(call, reply, response_limit(rpc));
        log_diagnostics(&reply.logged());
        tracing::trace!(
            tf_req_duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "Served request"
        );
        Ok(Response::new(reply))
    }
    .instrument(span)
    .await
}

/// `reply`, or a reply holding only the [`too_large`] diagnostic when its
/// encoding exceeds `limit`.
pub(super) fn within_limit<R: Reply>(call: &Call, reply: R, limit: usize) -> R {
    let size = reply.encoded_len();
    if size <= limit {
        return reply;
    }
    drop(reply);
    tracing::warn!(
        response_bytes = u64::try_from(size).unwrap_or(u64::MAX),
        limit_bytes = u64::try_from(limit).unwrap_or(u64::MAX),
        "Response too large for Terraform; answering with an error diagnostic"
    );
    R::from_diagnostics(too_large(call, size, limit).into())
}

fn log_diagnostics(diagnostics: &[(Severity, &str)]) {
    if diagnostics.is_empty() {
        return;
    }
    let errors = diagnostics
        .iter()
        .filter(|(severity, _)| *severity == Severity::Error)
        .count();
    let warnings = diagnostics.len() - errors;
    for (severity, summary) in diagnostics {
        let severity = match severity {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
        };
        tracing::debug!(
            diagnostic_severity = severity,
            diagnostic_summary = *summary,
            "Response contains a diagnostic"
        );
    }
    if errors > 0 {
        tracing::warn!(
            diagnostic_error_count = errors,
            diagnostic_warning_count = warnings,
            "Response contains error diagnostics"
        );
    } else {
        tracing::debug!(
            diagnostic_error_count = errors,
            diagnostic_warning_count = warnings,
            "Response contains warning diagnostics"
        );
    }
}

/// A UUID-shaped identifier, unique per request across every provider process
/// of a Terraform run (the hasher keys are random per process).
fn request_id() -> String {
    static KEYS: OnceLock<std::collections::hash_map::RandomState> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let keys = KEYS.get_or_init(Default::default);
    let sequence = NEXT.fetch_add(1, Ordering::Relaxed);
    let high = keys.hash_one((sequence, 0u8));
    let low = keys.hash_one((sequence, 1u8));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0x0fff,
        0x8000 | (low >> 48) & 0x3fff,
        low & 0xffff_ffff_ffff
    )
}

/// The boxed stream type of every server-streaming RPC.
pub(super) type EventStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Turns an answered single event into the one-event stream a streaming RPC returns.
pub(super) fn one_event<T: Send + 'static>(
    answered: Result<Response<T>, Status>,
) -> Result<Response<EventStream<T>>, Status> {
    answered.map(|response| {
        let stream: EventStream<T> = Box::pin(tokio_stream::once(Ok(response.into_inner())));
        Response::new(stream)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let a = request_id();
        let b = request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn flags_follow_the_mode() {
        assert_eq!(mode_flags(Mode::Required), (true, false, false));
        assert_eq!(mode_flags(Mode::Optional), (false, true, false));
        assert_eq!(mode_flags(Mode::Computed), (false, false, true));
        assert_eq!(mode_flags(Mode::OptionalComputed), (false, true, true));
    }

    struct Plain(Diagnostics, usize);

    impl Reply for Plain {
        fn from_diagnostics(diagnostics: Diagnostics) -> Self {
            Self(diagnostics, 100)
        }
        fn encoded_len(&self) -> usize {
            self.1
        }
        fn logged(&self) -> Vec<(Severity, &str)> {
            self.0
                .iter()
                .map(|d| (d.severity, d.summary.as_str()))
                .collect()
        }
    }

    #[tokio::test]
    async fn a_panicking_handler_becomes_an_error_diagnostic_naming_the_rpc() {
        let call = Call::new("6.10", "ConfigureProvider");
        let reply = answer::<Plain>(call, async { panic!("bad state") })
            .await
            .expect("answered")
            .into_inner();
        let diag = &reply.0 .0[0];
        assert!(diag.is_error());
        assert!(diag.detail.contains("ConfigureProvider"), "{}", diag.detail);
        assert!(diag.detail.contains("bad state"), "{}", diag.detail);
    }

    #[tokio::test]
    async fn a_reply_over_the_limit_becomes_an_error_diagnostic_naming_its_size() {
        let call = Call::new("6.10", "ReadDataSource").data_source("example_thing");
        let huge = MAX_MESSAGE_SIZE + (44 << 20);
        let reply = answer::<Plain>(call, async move { Plain(Diagnostics::new(), huge) })
            .await
            .expect("answered")
            .into_inner();
        assert_eq!(reply.0 .0.len(), 1);
        let diag = &reply.0 .0[0];
        assert!(diag.is_error());
        assert_eq!(diag.summary, "Response too large for Terraform");
        assert!(
            diag.detail.starts_with(
                "The state of data source example_thing is 300.0 MiB encoded, more than the 256 MiB"
            ),
            "{}",
            diag.detail
        );
        let fits = answer::<Plain>(Call::new("6.10", "ReadDataSource"), async move {
            Plain(Diagnostics::new(), MAX_MESSAGE_SIZE)
        })
        .await
        .expect("answered")
        .into_inner();
        assert!(fits.0.is_empty(), "a reply at the limit goes out as it is");
    }

    #[test]
    fn schemas_are_held_to_terraforms_64_mib() {
        assert_eq!(response_limit("GetProviderSchema"), 64 << 20);
        assert_eq!(response_limit("GetSchema"), 64 << 20);
        assert_eq!(response_limit("ReadDataSource"), 256 << 20);
        let diag = too_large(&Call::new("5.10", "GetSchema"), 70 << 20, 64 << 20);
        assert!(
            diag.detail
                .starts_with("The provider's answer to GetSchema is 70.0 MiB"),
            "{}",
            diag.detail
        );
    }
}
