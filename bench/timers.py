"""Benchmark of the timers: one scheduler tick with 10,000 pending timers of which 1,000 are due, firing
lag (due → fired) through the real APScheduler alarm clock of timers that fall due while it clears a backlog
of 1,000 due timers, and calendar arithmetic calls per second.

    .venv/bin/python bench/timers.py [-n 2000] [--database-url postgresql+psycopg://...]

The last line printed is one JSON object for machines: fired_per_second, lag_p99_ms, tick_empty_ms.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import time_machine  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

from bench.figures import percentile  # noqa: E402
from bench.lifecycle import APPEAL, make_app  # noqa: E402
from web.process_memory import settle_after_start  # noqa: E402

MSK = ZoneInfo("Europe/Moscow")
WARM_UP_SECONDS = 8
# Probes fall due one by one across the time the backlog takes to clear (about two seconds here); each is an
# ordinary timer that loads its workflow, so probes much closer together would measure their own queue.
PROBE_SPACING = 0.2
PROBE = """<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions
 xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="bench">
 <bpmn:process id="lag_probe" isExecutable="true">
  <bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="wait"/>
  <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDate>received_at</bpmn:timeDate>
  </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="e"/><bpmn:endEvent id="e"/>
 </bpmn:process></bpmn:definitions>"""


def tick_with_backlog(app, complaints: int) -> tuple[int, int, float, float, float]:
    from engine import Actor
    from models import Timer, db
    from web.api.appeals import appeal_input

    desk = app.extensions["complaint_engine"]
    body = {**APPEAL, "importance": "normal", "kind": "external"}
    half = complaints // 2
    with app.app_context(), time_machine.travel(dt.datetime(2025, 11, 24, 9, 0, tzinfo=MSK), tick=False) as clock:
        for _ in range(half):
            desk.register_appeal(appeal_input(body), Actor("bench"))
        clock.move_to(dt.datetime(2025, 11, 24, 9, 50, tzinfo=MSK))
        for _ in range(complaints - half):
            desk.register_appeal(appeal_input(body), Actor("bench"))
        clock.move_to(dt.datetime(2025, 11, 24, 9, 59, tzinfo=MSK))
        now = dt.datetime.now(dt.UTC)
        pending = db.session.scalar(select(func.count()).where(Timer.status == "pending"))
        due = db.session.scalar(select(func.count()).where(Timer.status == "pending", Timer.due_at < now))
        db.session.commit()
        backends = server_processes(db.session)
        server0, t0, cpu0 = server_cpu(backends), time.perf_counter(), time.process_time()
        desk.fire_due_timers()
        took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        server = server_cpu(backends) - server0
    return pending, due, took, cpu, server


def server_processes(session) -> list[int]:
    """The PostgreSQL backends serving this database (none for SQLite, which runs in this process)."""
    if session.get_bind().dialect.name != "postgresql":
        return []
    return list(session.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")))


def server_cpu(pids: list[int]) -> float:
    """CPU seconds the database's backends have used (read from /proc: the server runs on this machine)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def empty_tick(app, repeats: int = 20) -> float:
    """Median time of a tick that finds nothing due: what the safety poll costs while idle."""
    desk = app.extensions["complaint_engine"]
    times = []
    with app.app_context():
        for _ in range(repeats):
            t0 = time.perf_counter()
            desk.fire_due_timers()
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def register_backlog(app, due: int) -> int:
    """Complaints registered three weeks ago with no scheduler running since: each has five deadline timers due
    (1.1's warning and breach, 1.6's goal, warning and breach). Returns how many timers are due."""
    from engine import Actor
    from models import Timer, db
    from web.api.appeals import appeal_input

    desk = app.extensions["complaint_engine"]
    body = {**APPEAL, "importance": "normal", "kind": "external"}
    with app.app_context():
        with time_machine.travel(dt.datetime.now(dt.UTC) - dt.timedelta(days=21), tick=False):
            for _ in range(-(-due // 5)):
                desk.register_appeal(appeal_input(body), Actor("bench"))
        db.session.commit()
        return db.session.scalar(select(func.count()).where(Timer.status == "pending",
                                                            Timer.due_at < dt.datetime.now(dt.UTC)))


def firing_lag(app, count: int, backlog: int) -> tuple[list[float], int, float]:
    """Lag (due -> fired) of `count` probe timers falling due, PROBE_SPACING apart, while the real scheduler clears a
    backlog of about `backlog` due timers it finds when it starts. Returns the lags, the backlog's size and the
    seconds of the scheduler's first tick, which clears it."""
    from engine import Actor, Bundle
    from models import Timer, db
    from web.scheduling import build_scheduler

    desk = app.extensions["complaint_engine"]
    with app.app_context():
        desk.deploy("lag_probe", Bundle({"lag_probe.bpmn": PROBE}), Actor("bench"))
    # A first run does the start-up work of a fresh database once (this week's digest, this month's report,
    # each claimed for its period), as a restarted server has it done already.
    warm_up = build_scheduler(app)
    warm_up.start()
    time.sleep(WARM_UP_SECONDS)
    warm_up.shutdown()
    time.sleep(1)
    waiting = register_backlog(app, backlog) if backlog else 0
    with app.app_context():
        first_due = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3 + 0.1 * count)
        for i in range(count):
            due = first_due + dt.timedelta(seconds=PROBE_SPACING * i)
            desk.start("lag_probe", f"LAG-{i}", {"received_at": due.isoformat()}, Actor("bench"))
        db.session.commit()
    # The scheduler starts just before the first probe falls due: the backlog is clearing when they do.
    time.sleep(max(0.0, (first_due - dt.datetime.now(dt.UTC)).total_seconds() - 0.2))
    ticks: list[float] = []
    tick = desk.fire_due_timers

    def timed(*args):
        t0 = time.perf_counter()
        fired = tick(*args)
        ticks.append(time.perf_counter() - t0)
        return fired

    desk.fire_due_timers = timed
    scheduler = build_scheduler(app)
    scheduler.start()
    try:
        with app.app_context():
            for _ in range(int(count * 0.1) + 120):
                db.session.commit()
                left = db.session.scalar(select(func.count()).where(Timer.status == "pending",
                                                                    Timer.due_at < dt.datetime.now(dt.UTC)))
                if left == 0 and dt.datetime.now(dt.UTC) > first_due + dt.timedelta(seconds=PROBE_SPACING * count):
                    break
                time.sleep(0.25)
            rows = db.session.scalars(select(Timer).where(Timer.business_key.like("LAG-%"))).all()
            lags = [(t.fired_at - t.due_at).total_seconds() for t in rows if t.fired_at]
            return lags, waiting, ticks[0] if ticks else 0.0  # the first tick, at start, clears the backlog
    finally:
        scheduler.shutdown()


def calendar_rate(seconds: float = 1.0) -> dict[str, float]:
    from engine.time.calendar import WorkCalendar

    cal = WorkCalendar()
    rng = random.Random(7)
    base = dt.datetime(2024, 1, 1, tzinfo=MSK)
    starts = [base + dt.timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60)) for _ in range(5000)]
    for s in starts:
        cal.add_working_hours(s, 3)  # warm the day cache, as a running server has it
    rates = {}
    for name, call in (("add_working_hours(+3 h)", lambda s: cal.add_working_hours(s, 3)),
                       ("end_of_working_day(+14 d)", lambda s: cal.end_of_working_day(s, 14)),
                       ("working_time_between(5 days)", lambda s: cal.working_time_between(
                           s, s + dt.timedelta(days=5)))):
        n, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            call(starts[n % len(starts)])
            n += 1
        rates[name] = n / (time.perf_counter() - t0)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--complaints", dest="complaints", type=int, default=2000,
                        help="complaints registered, 5 timers each (a tenth of them falls due)")
    parser.add_argument("--lag-timers", type=int, default=10, help="probe timers falling due while it clears")
    parser.add_argument("--lag-backlog", type=int, default=1000,
                        help="due timers the scheduler finds when it starts, cleared while the probes fall due")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/timers.sqlite"
        pending, due, took, cpu, server = tick_with_backlog(make_app(url), args.complaints)
        lag_app = make_app(url)
        idle = empty_tick(lag_app)
        # The probes are timed in a scheduler process as `complaint-desk scheduler` runs it: the tick's app above
        # is gone, and what start-up left is settled before the scheduler starts.
        settle_after_start()
        lags, backlog, cleared = firing_lag(lag_app, args.lag_timers, args.lag_backlog)
    print(f"machine: {platform.machine()}, python {platform.python_version()}, database: {url.split(':')[0]}")
    print(f"tick: {pending} pending timers, {due} due -> {took:.2f} s ({took / max(due, 1) * 1000:.1f} ms per "
          f"due timer)")
    print(f"  CPU: {cpu:.2f} s this process + {server:.2f} s the database server = {due / (cpu + server):,.0f} "
          f"timers per CPU second (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"scheduler start with {backlog} due timers: cleared in {cleared:.2f} s "
          f"({backlog / cleared if cleared else 0:.0f}/s, real APScheduler)")
    print(f"firing lag due -> fired over {len(lags)} timers falling due meanwhile: median "
          f"{statistics.median(lags) * 1000:.0f} ms, worst {max(lags) * 1000:.0f} ms")
    print(f"tick with nothing due: {idle * 1000:.2f} ms (median of 20)")
    for name, rate in calendar_rate().items():
        print(f"calendar {name}: {rate:,.0f} calls/s")
    print(json.dumps({"fired_per_second": round(due / took, 1) if took else None,
                      "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
                      "tick_empty_ms": round(idle * 1000, 2)}))


if __name__ == "__main__":
    main()
