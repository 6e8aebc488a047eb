//! Load: one provider process serves rounds of 1,000 concurrent
//! ReadDataSource calls against the fake API: over one mutual-TLS connection
//! and over four, 100 connectors read ten times each, then 1,000 connectors
//! read once each. Every call must return the right state with no diagnostics,
//! and the process's peak memory must stay bounded. Wall times and memory are
//! printed for the record, never asserted.

use std::time::{Duration, Instant};

use crate::support::fake_api::{FakeApi, ACCOUNT, TOKEN};
use crate::support::machine;
use crate::support::plugin_client::{configure, provider_schema, ProviderProcess};
use crate::support::values::{read_connector, read_request};
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;
use tfcf::plugin::Value;
use tokio::task::JoinSet;
use tonic::transport::Channel;

/// Calls per round.
const CALLS: u64 = 1_000;
/// Distinct connectors in the first two rounds, each read `CALLS / DISTINCT`
/// times; the third round reads `CALLS` distinct connectors once each.
const DISTINCT: u64 = 100;
/// The bound on the provider's peak resident memory.
const MAX_PEAK_RSS_KB: u64 = 200 * 1024;

/// The fake API's id of its `index`-th generated connector.
fn generated_id(index: u64) -> String {
    format!("fe{index:030x}")
}

/// A `kB` figure from /proc/<pid>/status, e.g. `VmHWM` (peak resident memory).
fn proc_status_kb(pid: u32, key: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
}

/// Runs one round: `CALLS` concurrent reads of connectors `first..first + distinct`,
/// spread over `clients`; checks every result; returns the wall time.
async fn round(clients: &[ProviderClient<Channel>], first: u64, distinct: u64) -> Duration {
    let started = Instant::now();
    let mut calls = JoinSet::new();
    for call in 0..CALLS {
        let index = first + call % distinct;
        let slot = usize::try_from(call).expect("small") % clients.len();
        let mut client = clients[slot].clone();
        calls.spawn(async move {
            let response = client
                .read_data_source(read_request(ACCOUNT, &generated_id(index)))
                .await;
            (index, response)
        });
    }
    let mut done = 0;
    while let Some(joined) = calls.join_next().await {
        let (index, response) = joined.expect("read task");
        let response: pb::read_data_source::Response = response
            .unwrap_or_else(|status| panic!("read of connector {index} failed: {status}"))
            .into_inner();
        let state = read_connector(response, &format!("connector {index}"));
        assert_eq!(
            state.attribute("id"),
            Some(&Value::from(generated_id(index).as_str()))
        );
        assert_eq!(
            state.attribute("email_domain"),
            Some(&Value::from(format!("sso-{index}.example.com").as_str()))
        );
        assert_eq!(
            state.attribute("enabled"),
            Some(&Value::Bool(index % 2 == 0))
        );
        done += 1;
    }
    assert_eq!(done, CALLS);
    started.elapsed()
}

async fn configured_client(provider: &ProviderProcess, api: &FakeApi) -> ProviderClient<Channel> {
    let mut client = ProviderClient::new(provider.channel().await);
    configure(&mut client, &api.url, TOKEN, &[]).await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_process_serves_a_thousand_concurrent_reads_with_bounded_memory() {
    // A thousand concurrent reads keep every core busy.
    let _machine = machine::heavy();
    let generate = format!("{ACCOUNT}:{}", 2 * DISTINCT + CALLS);
    // A budget too large to bind: this measures the provider, not the pacing.
    let api = FakeApi::start_with(&["--generate", &generate, "--quiet", "--quota", "1000000000"]);
    // The provider's own API rate limit (default 3 requests per second, for
    // Cloudflare's account-wide quota) is lifted so the reads really overlap.
    let provider = ProviderProcess::launch(&[("CLOUDFLARE_RATE_LIMIT", "0")]);
    let pid = provider.pid();
    let client = configured_client(&provider, &api).await;
    let idle_kb = proc_status_kb(pid, "VmRSS");

    let one = round(std::slice::from_ref(&client), 0, DISTINCT).await;
    let api_calls_one = api.request_count();
    let peak_one = proc_status_kb(pid, "VmHWM");

    let mut clients = vec![client];
    for _ in 0..3 {
        clients.push(ProviderClient::new(provider.channel().await));
    }
    api.reset_requests();
    let four = round(&clients, DISTINCT, DISTINCT).await;
    let api_calls_four = api.request_count();
    api.reset_requests();
    let distinct = round(&clients, 2 * DISTINCT, CALLS).await;
    let api_calls_distinct = api.request_count();
    let peak = proc_status_kb(pid, "VmHWM");

    eprintln!(
        "load: {CALLS} concurrent reads ({DISTINCT} connectors) over 1 connection: {:.2} s, {api_calls_one} API requests",
        one.as_secs_f64()
    );
    eprintln!(
        "load: {CALLS} concurrent reads ({DISTINCT} other connectors) over 4 connections: {:.2} s, {api_calls_four} API requests",
        four.as_secs_f64()
    );
    eprintln!(
        "load: {CALLS} concurrent reads of {CALLS} distinct connectors over 4 connections: {:.2} s, {api_calls_distinct} API requests",
        distinct.as_secs_f64()
    );
    eprintln!(
        "load: provider RSS {} MiB idle after configure, peak (VmHWM) {} MiB after round 1, {} MiB at the end",
        idle_kb / 1024,
        peak_one / 1024,
        peak / 1024
    );
    assert!(
        api_calls_one >= 1 && api_calls_four >= 1 && api_calls_distinct >= CALLS,
        "reads must reach the API"
    );
    assert!(
        peak < MAX_PEAK_RSS_KB,
        "peak RSS {peak} kB is over the {MAX_PEAK_RSS_KB} kB bound"
    );

    // Still serving normally afterwards.
    let mut client = clients.swap_remove(0);
    let schema = provider_schema(&mut client, "after the load").await;
    assert!(schema.diagnostics.is_empty());
}
