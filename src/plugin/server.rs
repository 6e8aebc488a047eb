//! Runs a provider as a Terraform plugin: checks the launch contract, binds
//! the private socket, sets up AutoMTLS, serves gRPC and exits cleanly when
//! Terraform asks it to.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::UnixListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use crate::plugin::handshake::{self, SocketDir};
use crate::plugin::logging;
use crate::plugin::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::plugin::proto::plugin::Empty;
use crate::plugin::provider::Provider;
use crate::plugin::service::ProviderService;
use crate::plugin::tls::{AutoMtls, CLIENT_CERT_ENV};
use crate::plugin::transport;
use crate::plugin::v6;

/// Largest gRPC message accepted or sent, as terraform-plugin-go allows.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// Protocol versions this server speaks.
pub const SUPPORTED_PROTOCOLS: &[u32] = &[6];

/// How long in-flight responses may drain after Shutdown before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(50);

/// Serves `provider` to the Terraform process that launched us; returns the exit code.
pub fn serve<P: Provider>(provider: P, binary_name: &str) -> ExitCode {
    if !handshake::launched_by_terraform() {
        eprint!("{}", handshake::not_a_command_message(binary_name));
        return ExitCode::from(1);
    }
    logging::init(provider.type_name(), env!("CARGO_CRATE_NAME"));
    install_panic_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("[ERROR] could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(provider)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("[ERROR] {message}");
            ExitCode::from(1)
        }
    }
}

async fn run<P: Provider>(provider: P) -> Result<(), String> {
    let shutdown = CancellationToken::new();
    watch_signals(shutdown.clone())?;

    let offered = std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok();
    let protocol = handshake::negotiate(offered.as_deref(), SUPPORTED_PROTOCOLS)
        .ok_or_else(|| "no protocol version to serve".to_string())?;

    let tls = match std::env::var(CLIENT_CERT_ENV) {
        Ok(pem) if !pem.trim().is_empty() => {
            Some(AutoMtls::from_client_pem(&pem).map_err(|e| e.to_string())?)
        }
        _ => None,
    };

    let dir = SocketDir::create()
        .map_err(|e| format!("could not create the plugin socket directory: {e}"))?;
    let socket = dir.socket_path();
    let listener = UnixListener::bind(&socket)
        .map_err(|e| format!("could not listen on {}: {e}", socket.display()))?;

    let service = Arc::new(ProviderService::new(provider));
    let router = router(protocol, service, shutdown.clone()).await;
    let incoming = transport::incoming(listener, tls.as_ref().map(|t| Arc::clone(&t.config)));

    let line = handshake::handshake_line(
        protocol,
        "unix",
        &socket.to_string_lossy(),
        tls.as_ref().map(|t| t.server_cert_der.as_slice()),
    );
    handshake::announce(&line)
        .map_err(|e| format!("could not write the handshake to stdout: {e}"))?;
    tracing::info!(protocol, socket = %socket.display(), tls = tls.is_some(), "provider started");

    let stopped = shutdown.clone();
    let server =
        router.serve_with_incoming_shutdown(incoming, async move { stopped.cancelled().await });
    tokio::select! {
        result = server => result.map_err(|e| format!("the gRPC server failed: {e}"))?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {}
    }
    tracing::info!("provider stopped");
    drop(dir);
    Ok(())
}

/// Builds the gRPC router for the negotiated protocol version.
pub async fn router<P: Provider>(
    protocol: u32,
    service: Arc<ProviderService<P>>,
    shutdown: CancellationToken,
) -> tonic::transport::server::Router {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let controller = GrpcControllerServer::new(Controller { shutdown });
    let builder = Server::builder()
        .add_service(health)
        .add_service(controller);
    debug_assert!(SUPPORTED_PROTOCOLS.contains(&protocol));
    builder.add_service(
        v6::server(service)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE),
    )
}

/// Writes panics as `panic: …` plus a backtrace, the form Terraform recognises
/// on a plugin's stderr and reports as "the plugin crashed" with the stack.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        eprintln!("panic: {info}\n\n{backtrace}");
    }));
}

/// SIGINT is ignored for the life of the process (Terraform sends StopProvider
/// instead); SIGTERM shuts down cleanly.
fn watch_signals(shutdown: CancellationToken) -> Result<(), String> {
    let mut interrupts =
        signal(SignalKind::interrupt()).map_err(|e| format!("could not handle SIGINT: {e}"))?;
    let mut terminates =
        signal(SignalKind::terminate()).map_err(|e| format!("could not handle SIGTERM: {e}"))?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = interrupts.recv() => tracing::debug!("ignoring SIGINT; Terraform stops providers with StopProvider"),
                Some(()) = terminates.recv() => {
                    tracing::info!("SIGTERM received, shutting down");
                    shutdown.cancel();
                }
                else => return,
            }
        }
    });
    Ok(())
}

/// go-plugin's controller: Terraform calls Shutdown when it is done with the process.
struct Controller {
    shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("shutdown requested");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}
