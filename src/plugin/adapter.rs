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
/// them and build a reply from a diagnostic when the handler panicked.
pub(super) trait Reply: Sized + Send {
    /// A reply holding nothing but `diagnostics`.
    fn from_diagnostics(diagnostics: Diagnostics) -> Self;
    /// Severity and summary of each diagnostic in the reply.
    fn logged(&self) -> Vec<(Severity, &str)>;
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
/// and the reply's diagnostics at DEBUG (WARN for errors), and answers a
/// panicking handler with an error diagnostic instead of dying.
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
    async move {
        tracing::trace!("Received request");
        let started = Instant::now();
        let reply = match panics::catch(handler).await {
            Ok(reply) => reply,
            Err(message) => R::from_diagnostics(panicked(rpc, &message).into()),
        };
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

    struct Plain(Diagnostics);

    impl Reply for Plain {
        fn from_diagnostics(diagnostics: Diagnostics) -> Self {
            Self(diagnostics)
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
}
