//! Cancellation and shutdown: StopProvider cancels reads in flight within
//! 100 ms and the process keeps serving; Ctrl-C on a real `terraform plan`
//! against a slow API ends promptly and leaves no provider behind; SIGTERM
//! exits and removes the socket.

use std::io::Read;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support;
use crate::support::fake_api::{FakeApi, ACCOUNT, CONNECTOR, TOKEN};
use crate::support::machine;
use crate::support::plugin_client::{configure, ProviderProcess};
use crate::support::provider_log;
use crate::support::terraform::{processes_with_env, Terraform, Workspace};
use crate::support::values;
use tfcf::plugin::wire::tfplugin6 as pb;
use tfcf::plugin::wire::tfplugin6::provider_client::ProviderClient;

const BASIC: &str = include_str!("../examples/basic/main.tf");

/// Waits until the fake API has received a request, i.e. a read is in flight.
async fn wait_for_api_request(api: &FakeApi, within: Duration) {
    let deadline = Instant::now() + within;
    while api.request_count() == 0 {
        assert!(
            Instant::now() < deadline,
            "no API request within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_provider_cancels_a_read_in_flight_within_100ms_and_later_reads_work() {
    let _machine = machine::timed();
    let api = FakeApi::start();
    let provider = ProviderProcess::launch(&[]);
    let mut client = ProviderClient::new(provider.channel().await);
    configure(&mut client, &api.url, TOKEN, &[]).await;
    api.add_faults(r#"[{"delay_ms":5000,"times":1}]"#);

    let mut reader = client.clone();
    let slow = tokio::spawn(async move {
        reader
            .read_data_source(values::read_request(ACCOUNT, CONNECTOR))
            .await
            .map(tonic::Response::into_inner)
    });
    wait_for_api_request(&api, Duration::from_secs(10)).await;

    let stopped_at = Instant::now();
    let stop = client
        .stop_provider(pb::stop_provider::Request {})
        .await
        .expect("StopProvider")
        .into_inner();
    assert!(stop.error.is_empty(), "{}", stop.error);
    let cancelled = slow
        .await
        .expect("read task")
        .expect("ReadDataSource answers");
    let took = stopped_at.elapsed();
    assert!(
        took < Duration::from_millis(100),
        "the read ended {took:?} after StopProvider"
    );
    assert!(cancelled.state.is_none());
    assert_eq!(
        cancelled.diagnostics[0].summary, "Read cancelled",
        "{:?}",
        cancelled.diagnostics
    );

    let again = client
        .read_data_source(values::read_request(ACCOUNT, CONNECTOR))
        .await
        .expect("ReadDataSource after StopProvider")
        .into_inner();
    assert!(again.diagnostics.is_empty(), "{:?}", again.diagnostics);
    assert!(again.state.is_some());
    assert_eq!(api.request_count(), 2);
}

#[tokio::test]
async fn sigterm_exits_and_removes_the_socket() {
    let mut provider = ProviderProcess::launch(&[]);
    let socket = provider.handshake.socket.clone();
    assert!(socket.exists());
    let status = std::process::Command::new("kill")
        .args(["-TERM", &provider.pid().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(5);
    while provider.try_wait().is_none() {
        assert!(
            Instant::now() < deadline,
            "provider did not exit on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(provider.wait().success());
    assert!(!socket.exists(), "socket must be removed");
    assert!(!socket.parent().expect("dir").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_on_terraform_plan_against_a_slow_api_ends_promptly_leaving_no_provider() {
    let _machine = machine::timed();
    for tf in Terraform::all() {
        for protocol in ["6", "5"] {
            let label = format!("{} over protocol {protocol}", tf.label);
            let api = FakeApi::start();
            api.add_faults(r#"[{"delay_ms":60000}]"#);
            let mut ws = Workspace::new(BASIC);
            if protocol == "5" {
                ws.force_protocol_versions("5");
            }
            let marker = format!("{}-{protocol}-{}", std::process::id(), tf.label.len());
            ws.set_env("TFCF_CANCELLATION_TEST", &marker);
            ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
            ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
            let log_path = ws.path("terraform.log");
            ws.set_env("TF_LOG_PROVIDER", "trace");
            ws.set_env("TF_LOG_PATH", &log_path.display().to_string());
            let mut plan = start_plan(&ws, &tf, Stdio::piped);
            wait_for_api_request(&api, Duration::from_secs(60)).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
            assert!(
                processes_with_env("TFCF_CANCELLATION_TEST", &marker).len() >= 2,
                "{label}: terraform and its provider must be found by the marker"
            );

            let interrupted = Instant::now();
            let status = std::process::Command::new("kill")
                .args(["-INT", &plan.id().to_string()])
                .status()
                .expect("kill -INT");
            assert!(status.success());
            let exit = loop {
                if let Some(exit) = plan.try_wait().expect("poll terraform") {
                    break exit;
                }
                assert!(
                    interrupted.elapsed() < Duration::from_secs(5),
                    "{label}: terraform still running 5s after Ctrl-C"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let took = interrupted.elapsed();
            let mut stderr = String::new();
            if let Some(mut pipe) = plan.stderr.take() {
                pipe.read_to_string(&mut stderr).expect("stderr");
            }
            assert!(!exit.success(), "{label}: an interrupted plan must fail");
            assert!(stderr.contains("Read cancelled"), "{label}: {stderr}");

            let deadline = Instant::now() + Duration::from_secs(3);
            loop {
                let left = processes_with_env("TFCF_CANCELLATION_TEST", &marker);
                if left.is_empty() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{label}: provider processes left behind: {left:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }

            let log = std::fs::read_to_string(&log_path).expect("TF_LOG_PATH file");
            let stop = if protocol == "5" {
                "Stop"
            } else {
                "StopProvider"
            };
            let processes = provider_log::rpcs_per_process(&log);
            assert!(
                processes.iter().any(|p| p.rpcs.iter().any(|r| r == stop)),
                "{label}: no {stop} in the log: {processes:?}"
            );
            eprintln!(
                "{label}, Ctrl-C during the read: terraform exited {took:?} after SIGINT\n{}",
                provider_log::describe(&processes)
            );
        }
    }
}

/// Waits until no live process carries `TFCF_CANCELLATION_TEST=marker`;
/// returns how long that took, or fails after `within`.
async fn wait_until_gone(marker: &str, within: Duration, label: &str) -> Duration {
    let since = Instant::now();
    loop {
        let left = processes_with_env("TFCF_CANCELLATION_TEST", marker);
        if left.is_empty() {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < within,
            "{label}: processes still alive {within:?} later: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Kills `pid` with SIGKILL, as an out-of-memory killer or `kill -9` would.
fn sigkill(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill -KILL");
    assert!(status.success());
}

#[tokio::test]
async fn a_provider_whose_parent_is_sigkilled_shuts_down() {
    use std::io::BufRead;
    let marker = format!("parent-{}", std::process::id());
    // A shell stands in for Terraform: it starts the provider as Terraform
    // would and waits for it, and is then killed with no chance to pass
    // anything on.
    let mut parent = std::process::Command::new("sh")
        .args(["-c", "\"$0\" & wait"])
        .arg(support::terraform::provider_binary())
        .env_clear()
        .env("TF_PLUGIN_MAGIC_COOKIE", support::plugin_client::COOKIE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TF_LOG_PROVIDER", "info")
        .env("TFCF_CANCELLATION_TEST", &marker)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sh");
    let mut handshake = String::new();
    std::io::BufReader::new(parent.stdout.take().expect("stdout"))
        .read_line(&mut handshake)
        .expect("handshake");
    assert!(handshake.starts_with("1|6|unix|"), "{handshake:?}");
    let socket = std::path::PathBuf::from(handshake.split('|').nth(3).expect("address"));
    let provider: Vec<u32> = processes_with_env("TFCF_CANCELLATION_TEST", &marker)
        .into_iter()
        .filter(|pid| *pid != parent.id())
        .collect();
    assert_eq!(provider.len(), 1, "the provider process: {provider:?}");

    sigkill(parent.id());
    let _ = parent.wait();
    let took = wait_until_gone(&marker, Duration::from_secs(10), "orphaned provider").await;
    let mut stderr = String::new();
    if let Some(mut pipe) = parent.stderr.take() {
        pipe.read_to_string(&mut stderr).expect("stderr");
    }
    assert!(
        stderr.contains("is gone; shutting down") && stderr.contains(r#""@level":"warn""#),
        "{stderr}"
    );
    assert!(
        !socket.exists(),
        "the socket is removed: {}",
        socket.display()
    );
    eprintln!("the provider exited {took:?} after its parent was SIGKILLed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_terraform_during_a_plan_leaves_no_provider() {
    for tf in Terraform::all() {
        let label = tf.label.clone();
        let api = FakeApi::start();
        api.add_faults(r#"[{"delay_ms":60000}]"#);
        let mut ws = Workspace::new(BASIC);
        let marker = format!("killed-{}-{}", std::process::id(), tf.label.len());
        ws.set_env("TFCF_CANCELLATION_TEST", &marker);
        ws.set_env("CLOUDFLARE_API_TOKEN", TOKEN);
        ws.set_env("CLOUDFLARE_BASE_URL", &api.url);
        let mut plan = start_plan(&ws, &tf, Stdio::null);
        wait_for_api_request(&api, Duration::from_secs(60)).await;
        assert!(
            processes_with_env("TFCF_CANCELLATION_TEST", &marker).len() >= 2,
            "{label}: terraform and its provider must be found by the marker"
        );
        sigkill(plan.id());
        let _ = plan.wait();
        let took = wait_until_gone(&marker, Duration::from_secs(10), &label).await;
        eprintln!("{label}: the provider exited {took:?} after terraform was SIGKILLed");
    }
}

/// Starts `terraform plan` of the one-connector workspace `ws`, its stdout
/// and stderr each made by `output`.
fn start_plan(ws: &Workspace, tf: &Terraform, output: fn() -> Stdio) -> Child {
    ws.command(
        tf,
        &[
            "plan",
            "-input=false",
            "-no-color",
            "-var",
            &format!("account_id={ACCOUNT}"),
            "-var",
            &format!("sso_connector_id={CONNECTOR}"),
        ],
    )
    .stdout(output())
    .stderr(output())
    .spawn()
    .expect("start terraform plan")
}
