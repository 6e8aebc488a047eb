"""Terraform-level benchmark: `terraform plan` wall time for N data source
instances against the fake API, with the provider processes' CPU time and
peak RSS, and the coalescing comparison (1,000 instances over 10 connectors
versus 1,000 distinct connectors).

Each configuration is planned twice: once with the provider launched
directly (wall time), once through a small wrapper that records each provider
process's CPU time (from wait4) and peak RSS (VmHWM in /proc, sampled every
2 ms while it runs; getrusage's ru_maxrss cannot be used, because Linux
carries the spawning process's high-water mark across exec). The wrapper's
own start-up makes that run slower, so its wall time is not reported.

For these, the fake API's request budget is made too large to matter (the
provider still reads its headers on every answer), so the figures measure
the provider, not the pacing it applies to the real API.

Then the request budget with default provider settings (a fresh fake API per
plan, enforcing its quota): plan wall time for N = 100 and 1,000 distinct
connectors against Cloudflare's 1,200 per 300 s, next to the same plan with
pacing off (no rate-limit headers, a quota that never binds); a budget mostly
spent by others (150 connectors, 100 per 15 s with 70 spent, 60 s block);
and two plans at once sharing one budget (100 connectors each, 120 per
15 s, 60 s block). Each line gives the 429 answers the fake API served.

Usage: bench_terraform.py TERRAFORM PROVIDER_BINARY FAKE_API_BINARY [--budget-only]
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
TOKEN = "test-token-0123456789abcdefghijklmnopqrstuv"

WRAPPER = """#!{python}
import json, os, sys, time
pid = os.posix_spawn({real!r}, [{real!r}] + sys.argv[1:], os.environ)
peak_kb = 0
while True:
    try:
        with open(f"/proc/{{pid}}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
    except OSError:
        pass
    done, code, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.002)
with open({stats!r}, "a") as out:
    out.write(json.dumps({{"maxrss_kb": peak_kb, "cpu_s": usage.ru_utime + usage.ru_stime}}) + "\\n")
sys.exit(os.waitstatus_to_exitcode(code))
"""


def connector_id(index):
    return "fe%030x" % index


def config(instances, distinct):
    ids = ", ".join('"%s"' % connector_id(i) for i in range(distinct))
    return f"""
terraform {{
  required_providers {{
    cloudflare = {{ source = "cloudflare/cloudflare" }}
  }}
}}
provider "cloudflare" {{}}
locals {{
  ids = [{ids}]
}}
data "cloudflare_sso_connector" "c" {{
  count            = {instances}
  account_id       = "{ACCOUNT}"
  sso_connector_id = local.ids[count.index % {distinct}]
}}
output "enabled" {{
  value = length([for c in data.cloudflare_sso_connector.c : c if c.enabled])
}}
"""


UNBOUNDED = ["--quota", "1000000000"]


def start_api(binary, count, budget=UNBOUNDED):
    api = subprocess.Popen(
        [binary, "--quiet", "--generate", f"{ACCOUNT}:{count}", *budget],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = api.stdout.readline().strip()
    return api, line.split("=", 1)[1]


def control(url, method, path, body=None):
    import urllib.request

    base = url.split("/client/v4")[0]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def workspace(root, name, main_tf, plugin_dir, url):
    """A working directory for `main_tf` and the environment to plan it with."""
    work = os.path.join(root, name)
    os.makedirs(work)
    with open(os.path.join(work, "main.tf"), "w") as out:
        out.write(main_tf)
    rc = os.path.join(work, "terraform.rc")
    with open(rc, "w") as out:
        out.write('provider_installation {\n  dev_overrides {\n    "cloudflare/cloudflare" = "%s"\n  }\n  direct {}\n}\n' % plugin_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CLOUDFLARE_"))}
    env.update(
        TF_CLI_CONFIG_FILE=rc,
        CHECKPOINT_DISABLE="1",
        TF_IN_AUTOMATION="1",
        HOME=work,
        CLOUDFLARE_API_TOKEN=TOKEN,
        CLOUDFLARE_BASE_URL=url,
    )
    return work, env


def ranged_config(first, last):
    """Data sources reading connectors first..last-1, one each (`count`:
    Terraform plans 1,000 `for_each` instances keyed by id some 30x slower)."""
    ids = ", ".join('"%s"' % connector_id(i) for i in range(first, last))
    return f"""
terraform {{
  required_providers {{
    cloudflare = {{ source = "cloudflare/cloudflare" }}
  }}
}}
locals {{
  ids = [{ids}]
}}
data "cloudflare_sso_connector" "c" {{
  count            = length(local.ids)
  account_id       = "{ACCOUNT}"
  sso_connector_id = local.ids[count.index]
}}
"""


def budget_plans(terraform, fake_api, plugin_dir, root, label, count, budget, ranges):
    """Plans `ranges` at once against one fresh fake API; wall time and 429s served."""
    api, url = start_api(fake_api, count, budget)
    try:
        runs = []
        for index, (first, last) in enumerate(ranges):
            work, env = workspace(root, f"budget-{label}-{index}", ranged_config(first, last), plugin_dir, url)
            runs.append((work, env))
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [terraform, "plan", "-input=false", "-no-color", "-lock=false"],
                cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for work, env in runs
        ]
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                sys.stderr.write(out + err)
                raise SystemExit(f"budget plan {label} failed")
        wall = time.perf_counter() - started
        served = control(url, "GET", "/__control/requests")
        return wall, served["count"], served["served_429"]
    finally:
        api.kill()
        api.wait()


def budget_bench(terraform, fake_api, plugin_dir, root):
    off = ["--no-ratelimit-headers", "--quota", "1000000000"]
    cloudflare = ["--quota", "1200", "--window", "300"]
    for n in (100, 1000):
        paced, requests, served_429 = budget_plans(terraform, fake_api, plugin_dir, root, f"default-{n}", n, cloudflare, [(0, n)])
        free, _, _ = budget_plans(terraform, fake_api, plugin_dir, root, f"off-{n}", n, off, [(0, n)])
        print(
            f"budget-bench[N={n}, quota 1200/300s, default settings]: plan_wall={paced:.2f}s "
            f"pacing_off={free:.2f}s ratio={paced / free:.2f} api_requests={requests} served_429={served_429}"
        )
    wall, requests, served_429 = budget_plans(
        terraform, fake_api, plugin_dir, root, "spent", 150,
        ["--quota", "100", "--window", "15", "--spent", "70", "--block", "60"], [(0, 150)],
    )
    print(f"budget-bench[(b) 150 ids, 100/15s with 70 spent by others]: plan_wall={wall:.2f}s api_requests={requests} served_429={served_429}")
    wall, requests, served_429 = budget_plans(
        terraform, fake_api, plugin_dir, root, "shared", 200,
        ["--quota", "120", "--window", "15", "--block", "60"], [(0, 100), (100, 200)],
    )
    print(f"budget-bench[(c) two plans of 100 ids at once, 120/15s]: wall={wall:.2f}s api_requests={requests} served_429={served_429}")


def plan(terraform, workdir, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(
        [terraform, "plan", "-input=false", "-no-color", "-lock=false"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"plan failed in {workdir}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def main():
    terraform, provider, fake_api = sys.argv[1:4]
    root = tempfile.mkdtemp(prefix="tfcf-bench-")
    direct_dir = os.path.join(root, "direct")
    wrapped_dir = os.path.join(root, "wrapped")
    os.makedirs(direct_dir)
    os.makedirs(wrapped_dir)
    os.symlink(provider, os.path.join(direct_dir, "terraform-provider-cloudflare"))
    stats = os.path.join(root, "stats.jsonl")
    wrapper = os.path.join(wrapped_dir, "terraform-provider-cloudflare")
    with open(wrapper, "w") as out:
        out.write(WRAPPER.format(python=sys.executable, real=provider, stats=stats))
    os.chmod(wrapper, 0o755)
    api, url = start_api(fake_api, 5000)
    version = subprocess.run([terraform, "version"], capture_output=True, text=True, env={**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null"}).stdout.splitlines()[0]
    print(f"terraform-bench: {version}, provider {provider}")
    # (instances, distinct connectors, simulated API latency in ms)
    cases = [(1, 1, 0), (100, 100, 0), (1000, 1000, 0), (5000, 5000, 0), (1000, 10, 0), (1000, 1000, 50), (1000, 10, 50)]
    if "--budget-only" in sys.argv[4:]:
        cases = []
    try:
        for instances, distinct, latency in cases:
            control(url, "DELETE", "/__control/faults")
            if latency:
                control(url, "POST", "/__control/faults", [{"delay_ms": latency}])
            results = {}
            for mode, plugin_dir in (("direct", direct_dir), ("wrapped", wrapped_dir)):
                work, env = workspace(
                    root, f"w-{instances}-{distinct}-{latency}-{mode}", config(instances, distinct), plugin_dir, url
                )
                if os.path.exists(stats):
                    os.remove(stats)
                control(url, "DELETE", "/__control/requests")
                wall, cpu = plan(terraform, work, env)
                requests = control(url, "GET", "/__control/requests")["count"]
                results[mode] = (wall, cpu, requests)
            with open(stats) as lines:
                provider_runs = [json.loads(line) for line in lines if line.strip()]
            provider_cpu = sum(r["cpu_s"] for r in provider_runs)
            peak_rss_mb = max(r["maxrss_kb"] for r in provider_runs) / 1024.0
            wall, cpu_total, requests = results["direct"]
            _, wrapped_cpu_total, _ = results["wrapped"]
            terraform_cpu = max(wrapped_cpu_total - provider_cpu, 0.0)
            print(
                f"terraform-bench[N={instances} distinct={distinct} api_latency={latency}ms]: plan_wall={wall:.2f}s "
                f"api_requests={requests} provider_processes={len(provider_runs)} "
                f"provider_cpu={provider_cpu:.3f}s provider_peak_rss={peak_rss_mb:.1f}MB "
                f"terraform_cpu={terraform_cpu:.2f}s provider_cpu_share={100.0 * provider_cpu / max(wrapped_cpu_total, 1e-9):.1f}%"
            )
        budget_bench(terraform, fake_api, direct_dir, root)
    finally:
        api.kill()
        api.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
