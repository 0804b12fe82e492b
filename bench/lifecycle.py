"""Benchmark: N complaints through the whole of stage 1, (a) SpiffWorkflow alone in memory, (b) through the
engine with persistence, (c) through the HTTP API on a local server. Prints medians and the ratios.

    .venv/bin/python bench/lifecycle.py [-n 200] [--database-url postgresql+psycopg://...]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bench.figures import percentile  # noqa: E402
from bench.serving import app_process  # noqa: E402
from engine.time.calendar import WorkCalendar  # noqa: E402
from engine.time.deadlines import helpers  # noqa: E402

STAGE1 = [
    ("accept", {"belongs_to_department": True}),
    ("first_contact", {"client_reached": True, "contact_summary": "Договорились"}),
    ("correction", {"justification": "justified", "importance": "high", "correction": "Настроить базу",
                    "agreed_with_client": True, "immediate": False, "implementation_date": "2026-12-01",
                    "compensation": "apology"}),
    ("implement", {"implemented_at": "2026-11-30T15:00:00+03:00", "implementation_note": "Сделано"}),
    ("verify", {"solution_works": True, "verification_note": "Работает"}),
    ("handover", {"satisfied": True, "loyal": True, "handover_summary": "Готово"}),
    ("qms_close_stage1", {"close_decision": "close"}),
]
STAGE2 = [
    ("qms_analysis", {"participants": [{"department": "ДКС", "actions": "Разбор звонков"}], "nonconformities": [],
                      "root_cause": "Единичный случай", "improvement_needed": False}),
    ("qms_close_stage2", {"stage2_decision": "close", "stage2_conclusion": "Причина устранена"}),
]
APPEAL = {"type": "complaint", "channel": "phone", "subject": "Медленно работает", "text": "Загрузка 4 минуты",
          "counterparty": {"name": "РРМОО", "inn": "6165456519"}, "contact": {"name": "Лоськова Г. Н."},
          "department": "ДКС"}
START = {"department": "ДКС", "received_at": "2026-11-24T10:00:00+03:00", "importance": "normal",
         "max_reassignments": 3, "max_contact_attempts": 3, "max_rounds": 3, "warning_fraction": 0.75}


def bare(n: int) -> list[float]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files(sorted(str(p) for p in (ROOT / "processes").glob("*.bpmn")))
    spec, subs = parser.get_spec("complaint"), parser.get_subprocess_specs("complaint")
    # Plain eval with the same calendar functions the timers call: SpiffWorkflow's own script engine.
    calendar = WorkCalendar()
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment(helpers(lambda: calendar)))
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
        wf.task_tree.data.update(START, step_completed_at={"1.3": "2026-11-24T12:00:00+03:00"})
        wf.do_engine_steps()
        for bpmn_id, data in STAGE1:
            [task] = wf.get_tasks(state=TaskState.READY, manual=True)
            assert task.task_spec.bpmn_id == bpmn_id
            task.set_data(**data)
            task.run()
            wf.do_engine_steps()
        times.append(time.perf_counter() - t0)
    return times


def make_app(url: str) -> Any:
    from flask_migrate import upgrade

    from engine import Actor
    from models import Base, db
    from web.app import create_app
    from web.config import Config
    from web.demo import seed_directory

    class BenchConfig(Config):
        SQLALCHEMY_DATABASE_URI = url
        SECRET_KEY = secrets.token_urlsafe(32)  # a real deployment refuses to start without one

    app = create_app(BenchConfig)
    with app.app_context():
        Base.metadata.drop_all(db.engine)
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        desk = app.extensions["complaint_engine"]
        seed_directory(desk)
        desk.deploy_processes(Actor.system())
    return app


class StatementCounter:
    """Counts the SQL statements the application sends (COMMIT is not a statement: the driver commits)."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def measure(self, call: Any) -> tuple[Any, int]:
        before = self.count
        result = call()
        return result, self.count - before


def through_engine(app: Any, n: int) -> tuple[list[float], list[int], list[int], list[int], list[int], list[str]]:
    from engine import Actor
    from engine.bpmn.persistence import state_to_dict
    from models import ProcessInstance, Task, db
    from web.api.appeals import appeal_input

    desk = app.extensions["complaint_engine"]
    times, stored, raw, per_registration, per_completion, numbers = [], [], [], [], [], []
    with app.app_context():
        counter = StatementCounter(db.engine)
        body = {**APPEAL, "importance": "normal", "kind": "external"}
        for _ in range(n):
            t0 = time.perf_counter()
            (_a, complaint), count = counter.measure(
                lambda: desk.register_appeal(appeal_input(body), Actor("bench")))
            per_registration.append(count)
            number = complaint.number  # what the registration answers; the tasks are fetched by it
            for bpmn_id, data in STAGE1:
                task = db.session.scalars(select(Task).where(Task.business_key == number,
                                                             Task.status == "open")).one()
                assert task.bpmn_id == bpmn_id
                _row, count = counter.measure(
                    lambda task_id=task.id, data=data: desk.complete_task(task_id, data, Actor("bench")))
                per_completion.append(count)
            times.append(time.perf_counter() - t0)
            numbers.append(number)
            state = db.session.scalars(select(ProcessInstance.state).where(
                ProcessInstance.business_key == number)).one()
            stored.append(len(state))
            raw.append(len(json.dumps(state_to_dict(state), separators=(",", ":"))))
        event.remove(db.engine, "before_cursor_execute", counter._seen)
    return times, stored, raw, per_registration, per_completion, numbers


def database_bytes(app: Any) -> int:
    """Bytes the whole database takes: every table and index (SQLite: pages in use after a checkpoint)."""
    from models import db

    with app.app_context(), db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar()
            return (pages - free) * conn.exec_driver_sql("PRAGMA page_size").scalar()
        return int(conn.exec_driver_sql(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public'"
        ).scalar())


def close_stage2(app: Any, numbers: list[str]) -> None:
    """Take complaints that closed stage 1 through the short stage 2 (analysis, no improvement, close)."""
    from engine import Actor
    from models import Task, db

    desk = app.extensions["complaint_engine"]
    with app.app_context():
        for number in numbers:
            for bpmn_id, data in STAGE2:
                task = db.session.scalars(select(Task).where(Task.business_key == number,
                                                             Task.status == "open")).one()
                assert task.bpmn_id == bpmn_id
                desk.complete_task(task.id, data, Actor("bench"))


SERVERS = {
    "thread": "werkzeug threaded, in the bench's own process (shares its GIL with the client)",
    "serve": "`complaint-desk serve` in its own process: werkzeug threaded, as `make run` starts it",
    "gunicorn": "gunicorn, one sync worker in its own process, as deploy/Procfile's web (there: 4)",
}


@contextlib.contextmanager
def serving(app: Any, url: str, kind: str) -> Any:
    """The base URL of the app served the chosen way, for as long as the block runs."""
    if kind != "thread":
        with app_process(kind, url, app.config["SECRET_KEY"]) as (_server, base_url):
            yield base_url
        return
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def through_http(app: Any, url: str, n: int, kind: str) -> tuple[list[float], list[float]]:
    desk = app.extensions["complaint_engine"]
    with app.app_context():
        _client, token = desk.create_api_client("bench-http", [], None)
    auth = {"Authorization": f"Bearer {token}"}
    times, completions = [], []
    with serving(app, url, kind) as base_url:
        base = f"{base_url}/api/v1"

        def call(method: str, path: str, body: Any = None) -> Any:
            # A body is declared only when one is sent: the API refuses a JSON content type with no JSON.
            data = json.dumps(body).encode() if body is not None else None
            headers = {**auth, "Content-Type": "application/json"} if data is not None else auth
            with urllib.request.urlopen(urllib.request.Request(base + path, data, headers, method=method)) as r:
                return json.loads(r.read())

        for _ in range(n):
            t0 = time.perf_counter()
            number = call("POST", "/appeals", APPEAL)["complaint_number"]
            for bpmn_id, data in STAGE1:
                [task] = call("GET", f"/tasks?complaint={number}")
                assert task["bpmn_id"] == bpmn_id
                t1 = time.perf_counter()
                call("POST", f"/tasks/{task['id']}/complete", {"data": data})
                completions.append(time.perf_counter() - t1)
            times.append(time.perf_counter() - t0)
    return times, completions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200, help="complaints per variant")
    parser.add_argument("--database-url", help="default: an SQLite file in a temporary folder")
    parser.add_argument("--server", choices=sorted(SERVERS), default="serve",
                        help="how (c) is served: " + "; ".join(f"{k}: {v}" for k, v in SERVERS.items()))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite"
        app = make_app(url)
        a = bare(args.n)
        size_before = database_bytes(app)
        b, stored, raw, per_registration, per_completion, numbers = through_engine(app, args.n)
        close_stage2(app, numbers)
        bytes_per_complaint = (database_bytes(app) - size_before) / args.n
        c, completions = through_http(app, url, args.n, args.server)
    steps = len(STAGE1)
    # The first lifecycle fills the per-process caches (calendar, definitions): counts are taken after it.
    per_registration = per_registration[1:] or per_registration
    per_completion = per_completion[steps:] or per_completion
    med = {k: statistics.median(v) * 1000 for k, v in {"a": a, "b": b, "c": c}.items()}
    complete_ms = statistics.median(completions) * 1000
    print(f"machine: {platform.machine()}, {platform.processor() or platform.system()}, "
          f"python {platform.python_version()}, database: {url.split(':')[0]}")
    print(f"complaints per variant: {args.n}; stage 1 = registration + {steps} task completions")
    print(f"(c) served by {SERVERS[args.server]}; one client, a new connection per request (urllib)")
    for key, label in (("a", "SpiffWorkflow alone, in memory"), ("b", "engine with persistence"),
                       ("c", f"HTTP API ({args.server})")):
        print(f"({key}) {label:38s} {med[key]:8.2f} ms/lifecycle  {med[key] / steps:7.2f} ms/task")
    print(f"POST /tasks/{{id}}/complete over HTTP: median {complete_ms:.2f} ms, "
          f"p90 {percentile(completions, 0.9) * 1000:.2f} ms")
    print(f"SQL statements (COMMIT excluded): per registration median {statistics.median(per_registration):.0f} "
          f"(max {max(per_registration)}), per task completion median {statistics.median(per_completion):.0f} "
          f"(max {max(per_completion)})")
    print(f"stored bytes per instance after stage 1: median {statistics.median(stored):.0f} "
          f"({statistics.median(raw):.0f} as plain JSON), max {max(stored)}")
    print(f"database bytes per complaint closed through both stages (all tables and indexes): "
          f"{bytes_per_complaint:,.0f}")
    print(f"ratio (b)/(a) = {med['b'] / med['a']:.2f}   ratio (c)/(a) = {med['c'] / med['a']:.2f}   "
          f"ratio (c)/(b) = {med['c'] / med['b']:.2f}")
    print(json.dumps({
        "bare_ms": round(med["a"], 2), "engine_ms": round(med["b"], 2), "api_ms": round(med["c"], 2),
        "ratio_engine_bare": round(med["b"] / med["a"], 2), "ratio_api_bare": round(med["c"] / med["a"], 2),
        "complete_ms": round(complete_ms, 2), "sql_per_completion": max(per_completion),
        "sql_per_registration": max(per_registration), "bytes_per_complaint": round(bytes_per_complaint),
    }))


if __name__ == "__main__":
    main()
