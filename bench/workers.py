#!/usr/bin/env python3
"""Idle memory and start-up time of every helium-server worker, against a bare baseline.

For each worker mode the script starts `helium-server` against the local PostgreSQL, Redis and
RabbitMQ, measures the time from spawn to the first `200` from `/readyz`, lets it idle, and
reads its resident memory (VmRSS). The baseline is `bare_health`, a Tokio runtime serving
`/readyz` and nothing else, measured the same way in the same run; ratios against it hold on
any machine, the absolute numbers are checked against the budgets.

Budgets (issue 2): idle RSS under 30 MB per worker; start to ready under 1 s.

Usage: bench/workers.py [--profile release|debug] [--runs N]
The binaries are built first with `cargo build --profile ...` (release by default), into
CARGO_TARGET_DIR when it is set.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

MODES = ["grpc", "subscribe_api", "webhook_api", "consumer", "mailer", "cron_executor"]
RSS_BUDGET_MB = 30.0
READY_BUDGET_S = 1.0
IDLE_SECONDS = 3.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = "helium_bench"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure(command, env):
    """Starts `command`, returns (seconds to ready, idle RSS in MB), then stops it."""
    port = free_port()
    env = dict(env, HEALTH_CHECK_PORT=str(port))
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        while not ready(port):
            if process.poll() is not None:
                raise RuntimeError(f"{command} exited with {process.returncode}")
            if time.perf_counter() - started > 30:
                raise RuntimeError(f"{command} not ready within 30 s")
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        time.sleep(IDLE_SECONDS)
        return elapsed, rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="release", choices=["release", "debug"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    cargo_profile = "release" if args.profile == "release" else "dev"
    subprocess.run(["cargo", "build", "--profile", cargo_profile, "-p", "helium-server",
                    "-p", "helium-cli", "--bins", "--examples"], cwd=ROOT, check=True)
    target_root = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    target = os.path.join(target_root, args.profile)

    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
        "MQ_URL": os.environ.get("MQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
        "RUST_LOG": "warn",
    }
    server_url = env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(["psql", server_url, "-tAc",
                             f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(["psql", server_url, "-qc", f"CREATE DATABASE {DATABASE}"], check=True)
    subprocess.run([os.path.join(target, "helium-cli"), "init-config"], env=env, check=True,
                   stdout=subprocess.DEVNULL)

    def best_of(command, extra_env):
        samples = [measure(command, dict(env, **extra_env)) for _ in range(args.runs)]
        return (statistics.median(sample[0] for sample in samples),
                statistics.median(sample[1] for sample in samples))

    base_ready, base_rss = best_of([os.path.join(target, "examples", "bare_health")], {})
    print(f"baseline bare_health ({args.profile}): ready {base_ready * 1000:.0f} ms, "
          f"idle RSS {base_rss:.1f} MB")
    print(f"{'worker':<15} {'ready ms':>9} {'x base':>7} {'RSS MB':>7} {'x base':>7}  budget")

    results, failed = {}, False
    for mode in MODES:
        listen = {"LISTEN_ADDR": f"127.0.0.1:{free_port()}", "WORK_MODE": mode}
        ready_s, rss = best_of([os.path.join(target, "helium-server")], listen)
        within = ready_s < READY_BUDGET_S and rss < RSS_BUDGET_MB
        failed |= not within
        results[mode] = {"ready_ms": round(ready_s * 1000, 1), "rss_mb": round(rss, 1),
                         "ready_ratio": round(ready_s / base_ready, 2),
                         "rss_ratio": round(rss / base_rss, 2)}
        print(f"{mode:<15} {ready_s * 1000:>9.0f} {ready_s / base_ready:>7.2f} {rss:>7.1f} "
              f"{rss / base_rss:>7.2f}  {'ok' if within else 'OVER'}")

    summary = {"profile": args.profile, "baseline": {"ready_ms": round(base_ready * 1000, 1),
                                                     "rss_mb": round(base_rss, 1)},
               "workers": results}
    with open(os.path.join(ROOT, "target", "bench-workers.json"), "w") as out:
        json.dump(summary, out, indent=2)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
