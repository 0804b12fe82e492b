"""Benchmark: appeals per second through POST /api/v1/appeals served by gunicorn, 4 concurrent clients,
with p50/p99 latency.

    .venv/bin/python bench/intake.py [-n 200] [--workers 4] [--database-url postgresql+psycopg://...]

The last line printed is one JSON object for machines: appeals_per_second, p50_ms, p99_ms, errors.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lifecycle import APPEAL, make_app  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(port: int, token: str, count: int, latencies: list[float], errors: list[str], tag: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for i in range(count):
        body = json.dumps({**APPEAL, "subject": f"Жалоба {tag}-{i}"})
        t0 = time.perf_counter()
        connection.request("POST", "/api/v1/appeals", body, headers)
        answer = connection.getresponse()
        payload = answer.read()
        latencies.append(time.perf_counter() - t0)
        if answer.status != 201:
            errors.append(f"{answer.status}: {payload[:200]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", dest="requests", type=int, default=200, help="appeals per client")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/intake.sqlite"
        app = make_app(url)
        with app.app_context():
            _client, token = app.extensions["complaint_engine"].create_api_client("bench-intake", [], None)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "COMPLAINT_DESK_INSTANCE": tmp,
               "SECRET_KEY": secrets.token_urlsafe(32)}
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", str(args.workers), "-b",
                                   f"127.0.0.1:{port}", "--log-level", "warning", "web.app:create_app()"],
                                  cwd=ROOT, env=env)
        try:
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            latencies: list[float] = []
            errors: list[str] = []
            threads = [threading.Thread(target=client, args=(port, token, args.requests, latencies, errors, i))
                       for i in range(args.clients)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - t0
        finally:
            server.terminate()
            server.wait(timeout=20)
    ordered = sorted(latencies)
    print(f"machine: {platform.machine()}, python {platform.python_version()}, database: {url.split(':')[0]}, "
          f"gunicorn {args.workers} workers, {args.clients} clients x {args.requests} complaints")
    print(f"{len(latencies) / took:.1f} appeals/s; latency p50 {statistics.median(ordered) * 1000:.0f} ms, "
          f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1000:.0f} ms; errors: {len(errors)}")
    for line in errors[:5]:
        print("  " + line)
    print(json.dumps({"appeals_per_second": round(len(latencies) / took, 1),
                      "p50_ms": round(statistics.median(ordered) * 1000, 1),
                      "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1), "errors": len(errors)}))


if __name__ == "__main__":
    main()
