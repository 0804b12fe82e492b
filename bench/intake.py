"""Benchmark: appeals per second through POST /api/v1/appeals served by gunicorn, 4 concurrent clients,
with p50/p99 latency.

    .venv/bin/python bench/intake.py [-n 200] [--workers 4] [--warmup 10] [--database-url postgresql+psycopg://...]

Each client first sends `--warmup` appeals that are not timed (every gunicorn worker loads the process
definition and the calendar on its first appeal). Afterwards every appeal must have its complaint and its
process instance; one that has not counts as an error. The last line printed is one JSON object for
machines: appeals_per_second, p50_ms, p99_ms, errors.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import percentile  # noqa: E402
from bench.lifecycle import APPEAL, make_app  # noqa: E402
from bench.serving import app_process  # noqa: E402


def client(port: int, token: str, count: int, latencies: list[float], errors: list[str], tag: str,
           start: threading.Barrier | None = None) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if start is not None:
        start.wait()
    for i in range(count):
        body = json.dumps({**APPEAL, "subject": f"Жалоба {tag}-{i}"})
        t0 = time.perf_counter()
        connection.request("POST", "/api/v1/appeals", body, headers)
        answer = connection.getresponse()
        payload = answer.read()
        latencies.append(time.perf_counter() - t0)
        if answer.status != 201:
            errors.append(f"{answer.status}: {payload[:200]!r}")


def cpu_seconds(pids: set[int] | None = None, parent: int | None = None) -> float:
    """CPU seconds (user + system) used so far by the processes `pids`, or by the children of `parent`
    (Linux /proc; a process this user may not read counts 0)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if (pids is not None and int(stat.parent.name) in pids) or (parent is not None and int(fields[1]) == parent):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def database_backends(app: Any, url: str) -> set[int]:
    """The PostgreSQL server processes serving the workers' connections (when the server runs here)."""
    if not url.startswith("postgresql"):
        return set()
    from models import db

    with app.app_context(), db.engine.connect() as conn:
        return set(conn.exec_driver_sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                        "AND pid <> pg_backend_pid()").scalars())


def not_started(app: Any, expected: int) -> list[str]:
    """Every appeal posted must be stored with its complaint and an active process instance."""
    from sqlalchemy import func, select

    from models import Appeal, Complaint, ProcessInstance, db

    with app.app_context():
        counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Appeal, Complaint)]
        counts.append(db.session.scalar(select(func.count()).select_from(ProcessInstance)
                                        .where(ProcessInstance.status == "active")))
    return [] if counts == [expected] * 3 else [f"expected {expected} appeals, complaints and active processes, "
                                                f"found {counts}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--requests", dest="requests", type=int, default=200, help="appeals per client")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=10, help="untimed appeals per client first")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/intake.sqlite"
        app = make_app(url)
        with app.app_context():
            _client, token = app.extensions["complaint_engine"].create_api_client("bench-intake", [], None)
        with app_process("gunicorn", url, secrets.token_urlsafe(32), args.workers) as (server, base_url):
            port = int(base_url.rsplit(":", 1)[1])
            errors: list[str] = []
            warm = [threading.Thread(target=client, args=(port, token, args.warmup, [], errors, f"w{i}"))
                    for i in range(args.clients)]
            for t in warm:
                t.start()
            for t in warm:
                t.join()
            latencies: list[float] = []
            start = threading.Barrier(args.clients + 1)
            threads = [threading.Thread(target=client, args=(port, token, args.requests, latencies, errors, str(i),
                                                             start)) for i in range(args.clients)]
            for t in threads:
                t.start()
            backends = database_backends(app, url)
            cpu0, db_cpu0 = cpu_seconds(parent=server.pid), cpu_seconds(pids=backends)
            start.wait()
            t0 = time.perf_counter()
            for t in threads:
                t.join()
            took = time.perf_counter() - t0
            cpu_ms = (cpu_seconds(parent=server.pid) - cpu0) * 1000 / max(len(latencies), 1)
            db_cpu_ms = (cpu_seconds(pids=backends) - db_cpu0) * 1000 / max(len(latencies), 1)
        errors += not_started(app, args.clients * (args.requests + args.warmup))
    ordered = sorted(latencies)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load_before:.1f} before the run, "
          f"python {platform.python_version()}, database: {url.split(':')[0]}, gunicorn {args.workers} sync workers, "
          f"{args.clients} clients x {args.requests} complaints after {args.warmup} untimed each")
    print(f"{len(latencies) / took:.1f} appeals/s; latency p50 {statistics.median(ordered) * 1000:.0f} ms, "
          f"p99 {percentile(ordered, 0.99) * 1000:.0f} ms; errors: {len(errors)}")
    print(f"CPU per appeal: gunicorn workers {cpu_ms:.1f} ms, PostgreSQL backends {db_cpu_ms:.1f} ms "
          f"({len(backends)} connections; 0 on SQLite or a remote server); on {os.cpu_count()} idle cores that "
          f"would allow at most {(os.cpu_count() or 1) * 1000 / max(cpu_ms + db_cpu_ms, 0.001):.0f} appeals/s")
    for line in errors[:5]:
        print("  " + line)
    print(json.dumps({"appeals_per_second": round(len(latencies) / took, 1),
                      "p50_ms": round(statistics.median(ordered) * 1000, 1),
                      "p99_ms": round(percentile(ordered, 0.99) * 1000, 1), "errors": len(errors)}))


if __name__ == "__main__":
    main()
