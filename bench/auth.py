#!/usr/bin/env python3
"""Authenticated-read throughput and password sign-ins, on one core, against a bare tonic server.

The server under test is pinned to CPU 0 with `taskset`; the load generator (the `auth_load`
example, a Rust tonic client) runs on CPU 1. Measured in the same run:

- baseline: `bare_grpc`, a tonic server answering grpc.health.v1 Check, same runtime set-up;
- Helium: `GetProfile` with a valid access token on the `grpc` worker, which verifies the JWT,
  checks the session in Redis and reads the account from PostgreSQL;
- Helium: `SignIn` per second, with the argon2id parameters in use (argon2 crate defaults:
  19 MiB, 2 passes, 1 lane).

Budget (issue 3): the profile read reaches at least half of the baseline's rate.

Usage: bench/auth.py [--profile release|debug] [--seconds N] [--concurrency N]
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATABASE = "helium_bench_auth"
RATIO_BUDGET = 0.5


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process):
    for _ in range(600):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not listen within 30 s")


def wait_ready(health_port):
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{health_port}/readyz", timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("helium-server was not ready within 30 s")


def stop(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=15)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="release", choices=["release", "debug"])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    cargo_profile = "release" if args.profile == "release" else "dev"
    subprocess.run(["cargo", "build", "--profile", cargo_profile, "-p", "helium-server",
                    "-p", "helium-cli", "--bins", "--examples"], cwd=ROOT, check=True)
    target_root = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    target = os.path.join(target_root, args.profile)
    examples = os.path.join(target, "examples")

    server_url = "postgres://postgres@127.0.0.1:5432/postgres"
    subprocess.run(["psql", server_url, "-qc", f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"],
                   check=True)
    subprocess.run(["psql", server_url, "-qc", f"CREATE DATABASE {DATABASE}"], check=True)
    # Redis database 6 is the benchmark's own: start without last run's rate-limit counters.
    subprocess.run(["redis-cli", "-n", "6", "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "MQ_URL": "amqp://guest:guest@127.0.0.1:5672/%2f",
        "RUST_LOG": "warn",
    }
    subprocess.run([os.path.join(target, "helium-cli"), "init-config", "--force"], env=env,
                   check=True, stdout=subprocess.DEVNULL)

    def load(method, url, token, concurrency):
        output = subprocess.run(
            ["taskset", "-c", "1", os.path.join(examples, "auth_load"), method, url, token,
             str(concurrency), str(args.seconds)],
            env=env, check=True, capture_output=True, text=True)
        return float(output.stdout.strip())

    # Baseline: the bare tonic server on CPU 0.
    port = free_port()
    bare = subprocess.Popen(["taskset", "-c", "0", os.path.join(examples, "bare_grpc")],
                            env=dict(env, LISTEN_ADDR=f"127.0.0.1:{port}"))
    try:
        wait_for_port(port, bare)
        baseline = load("health", f"http://127.0.0.1:{port}", "-", args.concurrency)
    finally:
        stop(bare)

    # Helium's grpc worker on CPU 0.
    port, health_port = free_port(), free_port()
    helium = subprocess.Popen(
        ["taskset", "-c", "0", os.path.join(target, "helium-server")],
        env=dict(env, WORK_MODE="grpc", LISTEN_ADDR=f"127.0.0.1:{port}",
                 HEALTH_CHECK_PORT=str(health_port)))
    try:
        wait_ready(health_port)
        url = f"http://127.0.0.1:{port}"
        token = subprocess.run([os.path.join(examples, "auth_load"), "setup", url], env=env,
                               check=True, capture_output=True, text=True).stdout.strip()
        profile = load("profile", url, token, args.concurrency)
        sign_ins = load("sign-in", url, "-", 4)
    finally:
        stop(helium)

    ratio = profile / baseline
    print(f"bare tonic health check ({args.profile}, 1 core): {baseline:10.0f} calls/s")
    print(f"authenticated GetProfile:                {profile:10.0f} calls/s  "
          f"(x{ratio:.2f} of bare; budget x{RATIO_BUDGET})")
    print(f"password sign-ins (argon2id defaults):   {sign_ins:10.1f} per second")
    summary = {"profile": args.profile, "bare_rps": round(baseline, 1),
               "get_profile_rps": round(profile, 1), "ratio": round(ratio, 3),
               "sign_ins_per_second": round(sign_ins, 1)}
    with open(os.path.join(ROOT, "target", "bench-auth.json"), "w") as out:
        json.dump(summary, out, indent=2)
    sys.exit(0 if ratio >= RATIO_BUDGET else 1)


if __name__ == "__main__":
    main()
