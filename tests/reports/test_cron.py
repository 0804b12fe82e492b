"""The report cron jobs: the Monday digest and the monthly report go out once, even with two schedulers."""
from __future__ import annotations

import datetime as dt
import functools
import io
import threading
from typing import Any

import time_machine
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from engine import ProcessEngine
from engine.notify.notifications import Delivery
from engine.notify.transports import SmtpTransport
from models import CronRun, Department, Outbox, User, db
from tests.intake.test_outbox import smtp  # noqa: F401 — the SMTP server fixture
from tests.reports import october
from web.app import create_app
from web.scheduling import build_scheduler

MONDAY_9 = dt.datetime(2026, 10, 26, 9, 0, tzinfo=october.MSK)


def _make_ddks_head(login: str) -> None:
    department = db.session.scalar(select(Department).where(Department.code == "ДКС"))
    department.head_user_id = db.session.scalar(select(User.id).where(User.login == login))
    db.session.commit()


def _together(apps: list[Flask], job: Any) -> list[Any]:
    """Run `job(engine)` in each app (each its own engine and session, like two scheduler processes),
    released at the same moment."""
    db.session.commit()
    barrier, results = threading.Barrier(len(apps)), []

    def run(app: Flask) -> None:
        with app.app_context():
            barrier.wait()
            results.append(job(app.extensions["complaint_engine"]))
            db.session.remove()

    threads = [threading.Thread(target=run, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    db.session.expire_all()
    return results


def test_two_schedulers_send_the_weekly_digest_once(app: Flask, engine: ProcessEngine, config: Any) -> None:
    october.build()
    _make_ddks_head("responsible")
    second = create_app(config)
    results = _together([app, second], lambda desk: desk.send_weekly_digest(MONDAY_9))
    assert sorted(results, key=str) == ["2026-W43", None]
    runs = db.session.scalars(select(CronRun)).all()
    assert [(r.job, r.period) for r in runs] == [("weekly-digest", "2026-W43")]
    rows = {r.recipient: r for r in db.session.scalars(select(Outbox).where(Outbox.kind == "weekly_digest"))}
    assert set(rows) == {"group:СМК", "head:ДКС", "head:ОПР"}  # ОПР's head comes with the demo directory
    qms = rows["group:СМК"]
    assert qms.subject == "Еженедельный обзор претензий 2026-W43 (19.10.2026 — 25.10.2026)"
    assert "Поступило: 0; срок этапа коррекции на неделе: 2; просрочено: 1; закрыто: 1." in qms.body
    assert "ОПР — Агибалова А.: поступило 0, срок 1, просрочено 1, закрыто 0\n  просрочены: P2610010001" in qms.body
    head = rows["head:ДКС"].body
    assert "ДКС — Бадыштова К." in head and "ОПР" not in head  # the head gets only their department
    assert "ОПР — Агибалова А." in rows["head:ОПР"].body and "ДКС" not in rows["head:ОПР"].body
    assert engine.send_weekly_digest(MONDAY_9 + dt.timedelta(hours=1)) is None  # a later run that week: nothing


def test_the_schedulers_fire_the_digest_on_monday_at_nine_moscow_time(app: Flask, engine: ProcessEngine) -> None:
    scheduler = build_scheduler(app)
    saturday = dt.datetime(2026, 10, 24, 12, 0, tzinfo=october.MSK)
    runs = scheduler.next_cron_runs(saturday)
    assert runs["weekly-digest"] == MONDAY_9
    assert runs["monthly-report"] == dt.datetime(2026, 10, 25, 9, 0, tzinfo=october.MSK)  # daily; the job decides


def test_the_monthly_report_goes_out_on_the_first_working_day_with_the_xlsx(
        app: Flask, engine: ProcessEngine, config: Any, smtp: tuple[Any, int]) -> None:  # noqa: F811
    october.build()
    recipients = ["group:ceo", "group:commerce"]
    first_working_day = dt.datetime(2026, 11, 2, 9, 0, tzinfo=october.MSK)  # 1 November 2026 is a Sunday
    with time_machine.travel(first_working_day, tick=False):
        assert engine.send_monthly_report(recipients, first_working_day - dt.timedelta(days=1)) is None
        second = create_app(config)
        results = _together([app, second], lambda desk: desk.send_monthly_report(recipients, first_working_day))
        assert sorted(results, key=str) == ["2026-10", None]
        assert engine.send_monthly_report(recipients, first_working_day + dt.timedelta(days=1)) is None
    rows = db.session.scalars(select(Outbox).where(Outbox.kind == "monthly_report").order_by(Outbox.id)).all()
    assert [r.recipient for r in rows] == recipients
    assert rows[0].subject == "Ежемесячный отчёт по претензиям за 2026-10"
    assert "Лояльность: 66.7 %. Удовлетворённость решением: 33.3 %." in rows[0].body
    listed = app.test_client().get("/api/v1/outbox", headers={
        "Authorization": f"Bearer {engine.create_api_client('ops', [], None)[1]}"}).get_json()
    assert {r["attachment_name"] for r in listed if r["kind"] == "monthly_report"} == {"complaints-2026-10.xlsx"}
    engine.delivery = Delivery(smtp=SmtpTransport("127.0.0.1", smtp[1], "desk@company.example"),
                               group_emails={"ceo": "ceo@company.example", "commerce": "commerce@company.example"})
    assert engine.deliver_outbox()["sent"] == 2
    to, message = smtp[0].messages[0]
    [attachment] = list(message.iter_attachments())
    assert to == ["ceo@company.example"] and attachment.get_filename() == "complaints-2026-10.xlsx"
    book = load_workbook(io.BytesIO(attachment.get_content()), read_only=True)
    summary = {row[0]: row[1] for row in book["Сводка 2026-10"].iter_rows(min_row=2, values_only=True)}
    assert summary["Поступило претензий"] == 3 and summary["Лояльность, %"] == 66.7
    assert summary["Закрыт этап коррекции"] == 3


def test_january_waits_for_the_first_working_day_after_the_holidays(engine: ProcessEngine) -> None:
    holidays = dt.datetime(2027, 1, 5, 9, 0, tzinfo=october.MSK)
    assert engine.send_monthly_report(["group:ceo"], holidays) is None
    assert engine.send_monthly_report(["group:ceo"], holidays.replace(day=11)) == "2026-12"


def test_a_report_missed_on_its_day_goes_out_at_the_next_run(engine: ProcessEngine) -> None:
    second_working_day = dt.datetime(2026, 11, 3, 9, 0, tzinfo=october.MSK)
    assert engine.send_monthly_report(["group:ceo"], second_working_day) == "2026-10"
    assert engine.send_monthly_report(["group:ceo"], second_working_day + dt.timedelta(days=1)) is None


def test_two_schedulers_started_after_a_missed_monday_send_the_digest_once(app: Flask, engine: ProcessEngine,
                                                                          config: Any) -> None:
    october.build()
    db.session.commit()
    apps = [app, create_app(config)]
    schedulers = [build_scheduler(a) for a in apps]
    # Both jobs of both schedulers report here, so the test ends only when all four runs are over.
    done, results, monthly = threading.Barrier(5), [], []
    for a in apps:
        desk = a.extensions["complaint_engine"]

        def observed(original: Any, into: list[Any], *args: Any) -> str | None:
            into.append(original(*args))
            done.wait(20)
            return into[-1]

        desk.send_weekly_digest = functools.partial(observed, desk.send_weekly_digest, results)
        desk.send_monthly_report = functools.partial(observed, desk.send_monthly_report, monthly)
    tuesday = dt.datetime(2026, 10, 27, 15, 0, tzinfo=october.MSK)  # both were down on Monday at 09:00
    with time_machine.travel(tuesday, tick=False):
        for scheduler in schedulers:
            scheduler.start()
        try:
            done.wait(30)
        finally:
            for scheduler in schedulers:
                scheduler.shutdown(wait=True)  # its tick must not outlive the test
    db.session.expire_all()
    assert sorted(results, key=str) == ["2026-W43", None]
    assert sorted(monthly, key=str) == ["2026-09", None]  # the September report, missed on 1 October
    weekly = select(CronRun).where(CronRun.job == "weekly-digest")
    assert [r.period for r in db.session.scalars(weekly)] == ["2026-W43"]
    recipients = db.session.scalars(select(Outbox.recipient).where(Outbox.kind == "weekly_digest")).all()
    assert sorted(recipients) == ["group:СМК", "head:ДКС", "head:ОПР"]  # once each: QMS and the demo heads
