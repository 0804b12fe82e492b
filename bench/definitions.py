"""Benchmark: validating and deploying the shipped diagrams, the replay check over N closed complaints, and
the state of an instance on its diagram.

    .venv/bin/python bench/definitions.py [-n 50] [--runs 10] [--database-url postgresql+psycopg://...]

Prints a table, and as its last line one JSON object with the same figures (milliseconds).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bench.lifecycle import APPEAL, make_app  # noqa: E402

LATER = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # form dates about the future stay ahead of today
CLOSED_PATH = [
    ("accept", {"belongs_to_department": True}),
    ("first_contact", {"client_reached": True, "contact_summary": "Договорились"}),
    ("correction", {"justification": "justified", "importance": "high", "correction": "Настроить базу",
                    "agreed_with_client": True, "immediate": False, "implementation_date": LATER,
                    "compensation": "apology"}),
    ("implement", {"implemented_at": "2026-11-30T15:00:00+03:00", "implementation_note": "Сделано"}),
    ("verify", {"solution_works": True, "verification_note": "Работает"}),
    ("handover", {"satisfied": True, "loyal": True, "handover_summary": "Готово"}),
    ("qms_close_stage1", {"close_decision": "close"}),
    ("qms_analysis", {"participants": [{"department": "ДКС", "actions": "Разбор"}], "nonconformities": [],
                      "root_cause": "Единичный случай", "improvement_needed": False}),
    ("qms_close_stage2", {"stage2_decision": "close", "stage2_conclusion": "Закрыто"}),
]


def timed(runs: int, work: Callable[[int], Any]) -> list[float]:
    samples = []
    for i in range(runs):
        t0 = time.perf_counter()
        work(i)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 2), "p95": round(p95, 2), "max": round(ordered[-1], 2),
            "runs": len(ordered)}


def register(desk: Any) -> str:
    from engine import Actor
    from web.api.appeals import appeal_input

    _a, complaint = desk.register_appeal(appeal_input({**APPEAL, "importance": "normal", "kind": "external"}),
                                         Actor("bench"))
    return str(complaint.number)


def close_complaints(desk: Any, n: int) -> list[str]:
    from engine import Actor
    from models import Task, db

    numbers = []
    for _ in range(n):
        number = register(desk)
        for bpmn_id, data in CLOSED_PATH:
            task = db.session.scalars(select(Task).where(Task.business_key == number, Task.status == "open")).one()
            assert task.bpmn_id == bpmn_id, (task.bpmn_id, bpmn_id)
            desk.complete_task(task.id, data, Actor("bench"))
        numbers.append(number)
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="closed complaints to replay (default 50)")
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each measurement")
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    args = parser.parse_args()
    from engine import Actor, Bundle
    from engine.bpmn.definitions import check

    shipped = Bundle.from_directory(ROOT / "processes")
    draft = Bundle({**shipped.bpmn, "stage1_correction.bpmn": shipped.bpmn["stage1_correction.bpmn"].replace(
        "<bpmn:conditionExpression>solution_works</bpmn:conditionExpression>",
        "<bpmn:conditionExpression>solution_works and rounds &gt; 0</bpmn:conditionExpression>")}, shipped.forms)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/definitions.sqlite"
        app = make_app(url)
        desk = app.extensions["complaint_engine"]
        with app.app_context():
            validate = timed(args.runs, lambda _i: check(shipped, "complaint"))

            def deploy(i: int) -> None:
                # A changed label each run: a new version is parsed, checked, serialised, hashed and stored.
                xml = shipped.bpmn["complaint.bpmn"].replace('name="Претензия закрыта"', f'name="Закрыта {i}"')
                desk.deploy("complaint", Bundle({**shipped.bpmn, "complaint.bpmn": xml}, shipped.forms),
                            Actor("bench"), f"bench {i}")

            deploy_ms = timed(args.runs, deploy)
            t0 = time.perf_counter()
            numbers = close_complaints(desk, args.n)
            fill_s = time.perf_counter() - t0
            running = register(desk)
            outcomes: dict[str, int] = {}

            def replay_version(_i: int) -> None:
                outcomes.update(desk.replay_check("complaint", version=1, limit=args.n)["summary"])

            replay_v = timed(args.runs, replay_version)
            same = dict(outcomes)
            replay_d = timed(args.runs, lambda _i: outcomes.update(
                desk.replay_check("complaint", bundle=draft, limit=args.n)["summary"]))
            changed = dict(outcomes)
            diagram_open = timed(args.runs * 5, lambda _i: desk.instance_on_diagram(running))
            diagram_closed = timed(args.runs * 5, lambda _i: desk.instance_on_diagram(numbers[0]))
    figures = {
        "validate_shipped": stats(validate), "deploy_new_version": stats(deploy_ms),
        "replay_version": stats(replay_v), "replay_draft": stats(replay_d),
        "diagram_running": stats(diagram_open), "diagram_closed": stats(diagram_closed),
    }
    database = url.split(":")[0].split("+")[0]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"database: {database}; {args.n} closed complaints ({len(CLOSED_PATH)} tasks each, made in {fill_s:.1f} s)")
    print(f"{'measurement':44s} {'median ms':>10s} {'p95 ms':>9s} {'max ms':>9s} {'runs':>5s}")
    labels = {
        "validate_shipped": "validate the shipped diagrams (3 files)",
        "deploy_new_version": "deploy a new version (check, store)",
        "replay_version": f"replay {args.n} closed through version 1",
        "replay_draft": f"replay {args.n} closed through a draft",
        "diagram_running": "diagram state of a running instance",
        "diagram_closed": "diagram state of a closed instance",
    }
    for key, label in labels.items():
        f = figures[key]
        print(f"{label:44s} {f['median']:10.2f} {f['p95']:9.2f} {f['max']:9.2f} {f['runs']:5d}")
    per = figures["replay_version"]["median"] / max(args.n, 1)
    print(f"replay per complaint: {per:.2f} ms; version 1: {same}; "
          f"draft (verification needs a failed round first): {changed}")
    print(json.dumps({"machine": {"arch": platform.machine(), "cores": os.cpu_count(), "database": database},
                      "n": args.n, "replay_per_complaint_ms": round(per, 2), "outcomes_version": same,
                      "outcomes_draft": changed, **figures}, ensure_ascii=False))


if __name__ == "__main__":
    main()
