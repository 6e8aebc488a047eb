//! Per-read benchmark: ReadDataSource through a real mTLS gRPC connection to
//! the provider, against the fake API on loopback, at 1 and 10 concurrent
//! callers. "cold" reads use ids never read before (each costs an HTTP
//! request); "warm" reads repeat ids already read in this process. The
//! client-side rate limit is off so the figures measure the provider.
//!
//! Run with `cargo bench --bench reads` (release profile). Under `cargo test`
//! each measurement runs for a moment only, to check it still works.

// The integration suite's support; a benchmark uses a few of its helpers.
#[path = "../tests/support/mod.rs"]
#[allow(dead_code, unused_imports, unused_macros)]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::fake_api::{FakeApi, ACCOUNT, TOKEN};
use support::plugin_client::ProviderProcess;
use support::values::{provider_config, read_request};
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;
use tfcf::plugin::Value;
use tokio::sync::Mutex;

const IDS: usize = 40_000;

fn id(index: usize) -> String {
    format!("fe{index:030x}")
}

/// Hands out ids: cold runs take fresh ones, warm runs cycle over a few read before.
struct Ids {
    next: usize,
}

async fn run(
    client: &ProviderClient<tonic::transport::Channel>,
    callers: usize,
    duration: Duration,
    ids: Arc<Mutex<Ids>>,
    warm: bool,
) -> (usize, Vec<Duration>) {
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for caller in 0..callers {
        let mut client = client.clone();
        let ids = Arc::clone(&ids);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0usize;
            while Instant::now() < deadline {
                let connector = if warm {
                    id((caller * 7 + n) % 100)
                } else {
                    let mut ids = ids.lock().await;
                    ids.next += 1;
                    if ids.next >= IDS {
                        break;
                    }
                    id(ids.next)
                };
                n += 1;
                let started = Instant::now();
                let response = client
                    .read_data_source(read_request(ACCOUNT, &connector))
                    .await
                    .expect("ReadDataSource")
                    .into_inner();
                latencies.push(started.elapsed());
                assert!(
                    response.diagnostics.is_empty(),
                    "{:?}",
                    response.diagnostics
                );
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("caller"));
    }
    (all.len(), all)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let generate = format!("{ACCOUNT}:{IDS}");
    // A budget too large to bind: this measures the provider, not the pacing.
    let api = FakeApi::start_with(&["--quiet", "--generate", &generate, "--quota", "1000000000"]);
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    let configured = client
        .configure_provider(pb::configure_provider::Request {
            terraform_version: "1.11.4".to_string(),
            config: Some(provider_config(&[
                ("api_token", Value::from(TOKEN)),
                ("base_url", Value::from(api.url.as_str())),
                ("rate_limit", Value::from(0i64)),
            ])),
            client_capabilities: None,
        })
        .await
        .expect("configure")
        .into_inner();
    assert!(
        configured.diagnostics.is_empty(),
        "{:?}",
        configured.diagnostics
    );
    let ids = Arc::new(Mutex::new(Ids { next: 0 }));
    // Prime the ids used by warm runs and the connection pool.
    for n in 0..100 {
        let response = client
            .read_data_source(read_request(ACCOUNT, &id(n)))
            .await
            .expect("prime")
            .into_inner();
        assert!(
            response.diagnostics.is_empty(),
            "{:?}",
            response.diagnostics
        );
    }
    ids.lock().await.next = 100;
    for warm in [false, true] {
        for callers in [1, 10] {
            let duration = if std::env::args().any(|a| a == "--bench") {
                Duration::from_secs(3)
            } else {
                Duration::from_millis(200)
            };
            let started = Instant::now();
            let (count, mut latencies) =
                run(&client, callers, duration, Arc::clone(&ids), warm).await;
            let wall = started.elapsed().as_secs_f64();
            latencies.sort();
            println!(
                "reads[{} callers={callers}]: reads={count} throughput={:.0}/s p50={:.3}ms p99={:.3}ms",
                if warm { "warm" } else { "cold" },
                count as f64 / wall,
                pct(&latencies, 0.5),
                pct(&latencies, 0.99),
            );
        }
    }
    println!(
        "reads: API requests served by the fake API: {}",
        api.request_count()
    );
}
