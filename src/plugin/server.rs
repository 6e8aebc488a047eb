//! Runs a provider as a Terraform plugin: checks the launch contract, listens
//! on a private Unix socket or a loopback TCP port, sets up AutoMTLS, serves gRPC (protocol 5 or 6, the
//! highest both sides speak) and exits cleanly when Terraform asks it to.
//! Debug mode serves the same provider without Terraform: plaintext, with the
//! `TF_REATTACH_PROVIDERS` value to attach Terraform printed on stdout, until
//! Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value as Json};
use tokio_util::sync::CancellationToken;
use tonic::transport::Server;
use tonic::{Request, Response, Status};

use crate::plugin::adapter::{v5, v6};
use crate::plugin::environment;
use crate::plugin::handshake;
use crate::plugin::listen::{self, Network};
use crate::plugin::proto::plugin::grpc_controller_server::{GrpcController, GrpcControllerServer};
use crate::plugin::proto::plugin::Empty;
use crate::plugin::provider::Provider;
use crate::plugin::service::ProviderService;
use crate::plugin::tls::{AutoMtls, CLIENT_CERT_ENV};
use crate::plugin::{logging, panics, signals, transport};

/// Largest gRPC message accepted or sent, as terraform-plugin-go allows.
pub(super) const MAX_MESSAGE_SIZE: usize = 256 << 20;

/// Environment variable in which Terraform offers its protocol versions.
const PROTOCOL_VERSIONS_ENV: &str = "PLUGIN_PROTOCOL_VERSIONS";

/// Protocol versions this server speaks; the highest one Terraform also offers wins.
/// [`registry_manifest`] publishes the same list.
pub(super) const SUPPORTED_PROTOCOLS: &[u32] = &[5, 6];

/// The `_manifest.json` a registry release carries beside its zips, naming
/// the plugin protocols this server speaks (`SUPPORTED_PROTOCOLS`, as
/// `"MAJOR.0"`). Exists so that release tooling can ask the provider binary
/// for it instead of keeping its own copy of the versions.
pub fn registry_manifest() -> String {
    let versions: Vec<String> = SUPPORTED_PROTOCOLS
        .iter()
        .map(|major| format!("\"{major}.0\""))
        .collect();
    format!(
        "{{\n  \"version\": 1,\n  \"metadata\": {{\n    \"protocol_versions\": [{}]\n  }}\n}}\n",
        versions.join(", ")
    )
}

/// The first line of the debug-mode banner, worded as terraform-plugin-go words it.
pub(super) const DEBUG_BANNER: &str = "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:";

/// How long in-flight responses may drain after Shutdown before the process exits.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(50);

/// How the process was started, which decides TLS, signals and what goes to stdout.
enum Launch {
    /// By Terraform: handshake line, AutoMTLS, interrupts ignored, exit on Shutdown.
    Terraform,
    /// By hand with `--debug`: plaintext, reattach banner, exit on Ctrl-C
    /// (SIGINT) or SIGTERM, Shutdown ignored so several Terraform commands can attach in turn.
    Debug {
        /// The provider's source address, the key Terraform looks up in `TF_REATTACH_PROVIDERS`.
        provider_address: String,
    },
}

/// Serves `provider` to the Terraform process that launched us; returns the exit code.
pub fn serve<P: Provider>(provider: P, binary_name: &str) -> ExitCode {
    match handshake::launched_by_terraform() {
        Ok(true) => start(provider, Launch::Terraform),
        Ok(false) => {
            eprint!("{}", handshake::not_a_command_message(binary_name));
            ExitCode::from(1)
        }
        Err(unreadable) => {
            eprintln!("[ERROR] {binary_name}: {unreadable}");
            ExitCode::from(1)
        }
    }
}

/// Serves `provider` in debug mode until Ctrl-C: Terraform attaches to it
/// through `TF_REATTACH_PROVIDERS` under `provider_address`
/// (e.g. `registry.terraform.io/example/example`), so a debugger can hold the
/// process and its logs stay on this terminal.
pub fn serve_debug<P: Provider>(provider: P, provider_address: &str) -> ExitCode {
    start(
        provider,
        Launch::Debug {
            provider_address: provider_address.to_string(),
        },
    )
}

fn start<P: Provider>(provider: P, launch: Launch) -> ExitCode {
    limit_malloc_arenas();
    if let Err(unreadable) = logging::init(provider.type_name(), env!("CARGO_CRATE_NAME")) {
        return stopped(&unreadable.to_string());
    }
    panics::install_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return stopped(&format!("could not start the async runtime: {e}")),
    };
    match runtime.block_on(run(provider, launch)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => stopped(&message),
    }
}

/// Reports why the provider stopped and returns the exit code (1). The
/// message goes to stderr only, where Terraform's log shows it
/// (`TF_LOG=debug`): stdout carries the handshake line and nothing else.
fn stopped(message: &str) -> ExitCode {
    eprintln!("[ERROR] {message}");
    ExitCode::from(1)
}

async fn run<P: Provider>(provider: P, launch: Launch) -> Result<(), String> {
    let debug_mode = matches!(launch, Launch::Debug { .. });
    let shutdown = CancellationToken::new();
    signals::watch(shutdown.clone(), debug_mode)?;
    // In debug mode the parent is a shell, and the provider stays until Ctrl-C.
    if !debug_mode {
        signals::watch_parent(shutdown.clone());
    }

    let offered = environment::text(PROTOCOL_VERSIONS_ENV).map_err(|e| e.to_string())?;
    let protocol = handshake::negotiate(offered.as_deref(), SUPPORTED_PROTOCOLS)
        .ok_or_else(|| "no protocol version to serve".to_string())?;

    // Debug mode serves plaintext whatever the environment holds, so it does
    // not read the certificate at all. Otherwise only an unset or empty
    // variable means "no TLS", as in go-plugin: one that is unreadable, or
    // blank, or holds no certificate, stops the launch.
    let client_pem = if debug_mode {
        None
    } else {
        environment::text(CLIENT_CERT_ENV).map_err(|e| e.to_string())?
    };
    let tls = match client_pem {
        Some(pem) if !pem.is_empty() => {
            Some(AutoMtls::from_client_pem(&pem).map_err(|e| e.to_string())?)
        }
        _ => None,
    };

    let service = Arc::new(ProviderService::new(provider)?);
    let (listener, endpoint) = listen::bind().await?;

    let router = router(
        protocol,
        Arc::clone(&service),
        shutdown.clone(),
        !debug_mode,
    )
    .await;
    let incoming = transport::incoming(listener, tls.as_ref().map(|t| Arc::clone(&t.config)));

    let announcement = match &launch {
        Launch::Terraform => handshake::handshake_line(
            protocol,
            endpoint.network.name(),
            endpoint.address.as_encoded_bytes(),
            tls.as_ref().map(|t| t.server_cert_der.as_slice()),
        ),
        Launch::Debug { provider_address } => {
            let address = endpoint.address.to_str().ok_or_else(|| {
                format!(
                    "the socket path {} is not valid UTF-8, and the TF_REATTACH_PROVIDERS \
                     value (JSON) can only carry text; set PLUGIN_UNIX_SOCKET_DIR to a \
                     directory whose path is UTF-8",
                    std::path::Path::new(&endpoint.address).display()
                )
            })?;
            debug_banner(
                provider_address,
                protocol,
                std::process::id(),
                endpoint.network,
                address,
            )
            .into_bytes()
        }
    };
    handshake::announce(&announcement).map_err(|e| format!("could not write to stdout: {e}"))?;
    tracing::info!(
        protocol,
        pid = std::process::id(),
        network = endpoint.network.name(),
        address = %endpoint.address.to_string_lossy(),
        tls = tls.is_some(),
        debug_mode,
        "provider started"
    );

    let stopped = shutdown.clone();
    let stopping = Arc::clone(&service);
    let server = router.serve_with_incoming_shutdown(incoming, async move {
        stopped.cancelled().await;
        stopping.stop();
    });
    tokio::select! {
        result = server => result.map_err(|e| format!("the gRPC server failed: {e}"))?,
        () = async { shutdown.cancelled().await; tokio::time::sleep(SHUTDOWN_GRACE).await } => {}
    }
    tracing::info!("provider stopped");
    drop(endpoint);
    Ok(())
}

/// The debug-mode banner: [`DEBUG_BANNER`], then the `TF_REATTACH_PROVIDERS`
/// assignment to paste into a shell, pointing at `address` (a socket path or
/// `127.0.0.1:PORT`, as `network` says) over plaintext.
pub(super) fn debug_banner(
    provider_address: &str,
    protocol: u32,
    pid: u32,
    network: Network,
    address: &str,
) -> String {
    let mut providers = Map::new();
    providers.insert(
        provider_address.to_string(),
        json!({
            "Protocol": "grpc",
            "ProtocolVersion": protocol,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": network.name(), "String": address },
        }),
    );
    format!(
        "{DEBUG_BANNER}\n\n\tTF_REATTACH_PROVIDERS='{}'\n\n",
        Json::Object(providers)
    )
}

/// Builds the gRPC router for the negotiated protocol version. With
/// `exit_on_shutdown`, go-plugin's Shutdown stops the process; without it
/// (debug mode) Shutdown is acknowledged and ignored.
pub(super) async fn router<P: Provider>(
    protocol: u32,
    service: Arc<ProviderService<P>>,
    shutdown: CancellationToken,
    exit_on_shutdown: bool,
) -> tonic::transport::server::Router {
    let (health_reporter, health) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;
    let controller = GrpcControllerServer::new(Controller {
        shutdown,
        exit_on_shutdown,
    });
    let builder = Server::builder()
        .add_service(health)
        .add_service(controller);
    // The generated servers share no trait for their size limits.
    macro_rules! limited {
        ($server:expr) => {
            $server
                .max_decoding_message_size(MAX_MESSAGE_SIZE)
                .max_encoding_message_size(MAX_MESSAGE_SIZE)
        };
    }
    if protocol == 5 {
        builder
            .add_service(limited!(v5::server(service)))
            .add_service(limited!(v5::provisioner_server()))
    } else {
        builder.add_service(limited!(v6::server(service)))
    }
}

/// Keeps glibc's allocator to one arena. By default every thread that
/// allocates gets an arena of its own, each holding freed memory back; a
/// provider does little allocation and its peak RSS matters more (Terraform
/// runs several at once), so sharing one arena is the better trade.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator parameters; it is called before
    // any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

/// go-plugin's controller: Terraform calls Shutdown when it is done with the process.
struct Controller {
    shutdown: CancellationToken,
    exit_on_shutdown: bool,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        if self.exit_on_shutdown {
            tracing::debug!("shutdown requested");
            self.shutdown.cancel();
        } else {
            tracing::debug!("shutdown requested; debug mode keeps serving until Ctrl-C");
        }
        Ok(Response::new(Empty {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_manifest_names_the_protocols_served() {
        let manifest = registry_manifest();
        let json: Json = serde_json::from_str(&manifest).expect("the manifest is JSON");
        let served: Vec<String> = SUPPORTED_PROTOCOLS
            .iter()
            .map(|v| format!("{v}.0"))
            .collect();
        assert_eq!(
            json,
            json!({"version": 1, "metadata": {"protocol_versions": served}})
        );
        assert!(manifest.starts_with("{\n  \"version\": 1,") && manifest.ends_with("}\n"));
    }

    /// The `TF_REATTACH_PROVIDERS` entry a banner holds for the example address.
    fn reattach_entry(banner: &str) -> Json {
        assert!(banner.starts_with(DEBUG_BANNER));
        let line = banner
            .lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix("TF_REATTACH_PROVIDERS="))
            .expect("assignment line");
        let json: Json =
            serde_json::from_str(line.trim_matches('\'')).expect("reattach value is JSON");
        let entry = json["registry.terraform.io/example/example"].clone();
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Pid"], 4242);
        assert_eq!(entry["Test"], true);
        entry
    }

    #[cfg(unix)]
    #[test]
    fn debug_banner_holds_a_reattach_value_terraform_reads() {
        let banner = debug_banner(
            "registry.terraform.io/example/example",
            6,
            4242,
            Network::Unix,
            "/tmp/plugin1/plugin.sock",
        );
        let entry = reattach_entry(&banner);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/tmp/plugin1/plugin.sock");
    }

    #[test]
    fn debug_banner_over_tcp_names_the_loopback_port() {
        let banner = debug_banner(
            "registry.terraform.io/example/example",
            6,
            4242,
            Network::Tcp,
            "127.0.0.1:10042",
        );
        let entry = reattach_entry(&banner);
        assert_eq!(entry["Addr"]["Network"], "tcp");
        assert_eq!(entry["Addr"]["String"], "127.0.0.1:10042");
    }
}
