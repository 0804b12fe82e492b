"""Benchmark: page response times with 10,000 complaints in the database, over HTTP on 127.0.0.1, signed in.

    .venv/bin/python bench/pages.py [--complaints 10000] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import http.cookiejar
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.figures import percentile  # noqa: E402
from bench.lifecycle import make_app  # noqa: E402

CLIENTS = [("ООО «Ромашка»", "7707083893"), ("РРМОО", "6165456519"), ("ИП Иванов", "500100732259")]


def fill(app, count: int) -> str:
    from engine import Actor, AppealInput
    from models import Task, db

    desk = app.extensions["complaint_engine"]
    departments = ["ДКС", "ОПР", "ОК", "ОМиР"]
    with app.app_context():
        for i in range(count):
            name, inn = CLIENTS[i % len(CLIENTS)]
            _a, complaint = desk.register_appeal(AppealInput(
                type="complaint", channel="phone", subject=f"Жалоба {i}", text=f"Текст жалобы номер {i}",
                counterparty_name=name, inn=inn, contact_name="Контакт", department=departments[i % 4]),
                Actor("bench"))
            if i % 3 == 0:
                task = db.session.scalars(select(Task).where(Task.business_key == complaint.number)).one()
                desk.complete_task(task.id, {"belongs_to_department": True}, Actor("bench"))
            if i % 1000 == 999:
                print(f"  {i + 1} complaints", flush=True)
        return complaint.number


def measure(base: str, login: str, paths: list[str], repeat: int) -> dict[str, list[float]]:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    opener.open(f"{base}/login", urllib.parse.urlencode(
        {"login": login, "password": "demo", "csrf_token": token}).encode()).read()
    times: dict[str, list[float]] = {}
    for path in paths:
        path = urllib.parse.quote(path, safe="/?=&")
        opener.open(base + path).read()
        for _ in range(repeat):
            t0 = time.perf_counter()
            with opener.open(base + path) as answer:
                answer.read()
                assert answer.status == 200, path
            times.setdefault(urllib.parse.unquote(path) + f" ({login})", []).append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/pages.sqlite"
        app = make_app(url)
        t0 = time.perf_counter()
        last = fill(app, args.complaints)
        filled = time.perf_counter() - t0
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            results = measure(base, "responsible", ["/inbox", "/complaints", "/complaints?q=7707083893",
                                                    "/complaints?department=ДКС&state=open", f"/complaints/{last}",
                                                    "/appeals", "/appeals/new"], args.repeat)
            results.update(measure(base, "qms", ["/inbox"], args.repeat))
        finally:
            server.shutdown()
    print(f"machine: {platform.machine()}, python {platform.python_version()}, database: {url.split(':')[0]}; "
          f"{args.complaints} complaints loaded in {filled:.0f} s")
    for path, samples in results.items():
        print(f"{path:45s} median {statistics.median(samples) * 1000:7.1f} ms   "
              f"p90 {percentile(samples, 0.9) * 1000:7.1f} ms")


if __name__ == "__main__":
    main()
