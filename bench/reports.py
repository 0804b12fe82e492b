"""Benchmark: the monthly report, the KPIs and a 10,000-row XLSX export over two years of complaints.

    .venv/bin/python bench/reports.py [--complaints 100000] [--database-url postgresql+psycopg://...]

The complaints are written straight into the tables (going through the process for 100,000 of them would
take hours), with deadlines from the real calendar: closed, open and overdue ones, loyal or not, across
the two years before the report month.
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bench.lifecycle import make_app  # noqa: E402

MONTH = "2026-10"
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CHANNELS = ["phone", "email", "site_form", "visit", "quality_call", "letter"]
JUSTIFICATION = ["justified", "justified", "partly_justified", "unjustified", None]
COMPENSATION = ["none", "apology", "discount_coupon", "price_reduction", None]
PROCESSES = ["Обратный звонок", "Продажа", "Обновление", "Сопровождение ИТС", "Договор"]
PRODUCTS = ["1С:БП", "1С:ЗУП", "1С:УТ", None]


def _complaint(i: int, rnd: random.Random, calendar: Any, departments: list[tuple[int, int]],
               counterparties: int, now: dt.datetime) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    registered = END - dt.timedelta(days=730) + dt.timedelta(seconds=rnd.randrange(730 * 86400))
    department_id, responsible_id = departments[i % len(departments)]
    number = f"B{i:09d}"
    limit, goal = calendar.end_of_working_day(registered, 14), calendar.end_of_working_day(registered, 5)
    plan = {"1.1": calendar.add_working_hours(registered, 1), "1.2": calendar.add_working_hours(registered, 3),
            "1.3": calendar.end_of_working_day(registered, 3), "1.6": limit}
    closed = None
    if limit < now or rnd.random() < 0.5:
        closed = registered + (limit - registered) * rnd.uniform(0.1, 1.15)
        closed = closed if closed < now else None
    deadlines = []
    for step, due in plan.items():
        late = rnd.random() < 0.2
        done = due + (due - registered) * 0.2 if late else registered + (due - registered) * rnd.uniform(0.2, 1)
        done = done if done < now and (closed is None or step != "1.6" or done <= closed) else None
        deadlines.append({"business_key": number, "step": step, "due_at": due,
                          "goal_at": goal if step == "1.6" else None, "started_at": registered,
                          "completed_at": done, "on_time": None if done is None else not late,
                          "working_minutes": None if done is None else int(
                              calendar.working_time_between(registered, done).total_seconds() // 60)})
    appeal = {"id": i + 1, "number": f"A{i:09d}", "received_at": registered, "type": "complaint",
              "channel": CHANNELS[i % len(CHANNELS)], "state": "processed", "importance": "normal",
              "kind": "internal" if i % 7 == 0 else "external", "subject": f"Жалоба {i}", "text": "…",
              "department_id": department_id, "responsible_id": responsible_id, "author": "bench",
              "counterparty_id": rnd.randrange(counterparties) + 1, "created_at": registered}
    complaint = {"id": i + 1, "number": number, "appeal_id": i + 1, "registered_at": registered,
                 "counterparty_id": appeal["counterparty_id"], "department_id": department_id,
                 "responsible_id": responsible_id, "kind": appeal["kind"], "importance": "normal",
                 "justification": rnd.choice(JUSTIFICATION), "stage": 2 if closed else 1,
                 "stage1_status": "closed" if closed else "open", "stage1_closed_at": closed,
                 "loyal": None if closed is None else rnd.random() < 0.7,
                 "satisfied": None if closed is None else rnd.random() < 0.6,
                 "compensation": rnd.choice(COMPENSATION) if closed else None,
                 "stage2_status": "closed" if closed and rnd.random() < 0.6 else None, "created_at": registered}
    complaint["stage2_closed_at"] = closed + dt.timedelta(days=7) if complaint["stage2_status"] else None
    return appeal, complaint, deadlines


def fill(app: Any, count: int) -> None:
    from models import Appeal, Complaint, Counterparty, Deadline, Nonconformity, Responsible, db

    desk = app.extensions["complaint_engine"]
    rnd, now = random.Random(7), END + dt.timedelta(days=10)
    with app.app_context():
        calendar = desk.calendars.current()
        departments = [(r.department_id, r.id) for r in db.session.scalars(select(Responsible))]
        counterparties = max(count // 20, 1)
        db.session.execute(insert(Counterparty), [{"id": n + 1, "name": f"Клиент {n}", "inn": None}
                                                  for n in range(counterparties)])
        for start in range(0, count, 5000):
            batch = [_complaint(i, rnd, calendar, departments, counterparties, now)
                     for i in range(start, min(start + 5000, count))]
            db.session.execute(insert(Appeal), [a for a, _c, _d in batch])
            db.session.execute(insert(Complaint), [c for _a, c, _d in batch])
            db.session.execute(insert(Deadline), [d for _a, _c, ds in batch for d in ds])
            db.session.execute(insert(Nonconformity), [
                {"complaint_id": c["id"], "department": "ДКС", "process": rnd.choice(PROCESSES),
                 "product": rnd.choice(PRODUCTS), "description": "…"} for _a, c, _d in batch if c["stage2_closed_at"]])
            db.session.commit()
            print(f"  {start + len(batch)} complaints", flush=True)


def existing(url: str) -> Any:
    from web.app import create_app
    from web.config import Config

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url

    return create_app(BenchConfig)


def timed(runs: int, work: Any) -> list[float]:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()
        samples.append(time.perf_counter() - t0)
    return samples


def measure(app: Any, runs: int) -> dict[str, list[float]]:
    from engine.reports.exports import write_xlsx
    from web import downloads

    desk = app.extensions["complaint_engine"]
    results = {}
    with app.app_context():
        results["monthly report"] = timed(runs, lambda: desk.monthly_report(MONTH))
        results["KPIs"] = timed(runs, lambda: desk.kpis(MONTH))
    with app.test_request_context("/complaints/export"):
        def export() -> None:
            table = downloads.complaint_table({})
            table.rows = (row for _, row in zip(range(10_000), table.rows, strict=False))
            with tempfile.TemporaryFile() as target:
                write_xlsx([table], desk.runtime.tz, target)

        results["XLSX export, 10,000 complaint rows"] = timed(runs, export)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", action="store_true", help="time the data an earlier run left in the database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/reports.sqlite"
        app, t0 = (existing(url) if args.reuse else make_app(url)), time.perf_counter()
        if not args.reuse:
            fill(app, args.complaints)
        filled = time.perf_counter() - t0
        results = measure(app, args.runs)
    print(f"machine: {platform.machine()}, python {platform.python_version()}, database: {url.split(':')[0]}; "
          f"{args.complaints} complaints loaded in {filled:.0f} s; report month {MONTH}")
    for name, samples in results.items():
        print(f"{name:38s} median {statistics.median(samples) * 1000:8.1f} ms   worst {max(samples) * 1000:8.1f} ms")


if __name__ == "__main__":
    main()
