"""Retention: a daily job anonymises what is past its kind's period, keeps the month's figures exactly, leaves
open cases alone, and runs once a day even with two scheduler processes."""
from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from engine.privacy.retention import RetentionRules
from engine.privacy.scrub import ERASED
from models import (
    Appeal,
    AuditLog,
    ClientMessage,
    ClientSurvey,
    Complaint,
    Contact,
    CronRun,
    Outbox,
    Review,
    TrackAttempt,
    db,
)
from tests.privacy.people import complaint_of
from tests.reports import october
from tests.reports.test_cron import _together
from web.app import create_app
from web.scheduling import build_scheduler

# Five years after October 2026 plus a little: every closed October complaint is past its period.
LATER = dt.datetime(2031, 12, 1, 4, 0, tzinfo=october.MSK)


def _with_people() -> None:
    """October's complaints get their contact persons, texts, a conversation, a survey and sent letters."""
    for index, complaint in enumerate(db.session.scalars(select(Complaint).order_by(Complaint.id))):
        contact = Contact(full_name=f"Клиент {index}", phone=f"+7 900 000-00-0{index}", email=f"c{index}@example.ru")
        complaint.contact = complaint.appeal.contact = contact
        complaint.appeal.text = f"Пишет клиент {index}: телефон +7 900 000-00-0{index}"
        db.session.add(ClientMessage(complaint=complaint, direction="in", sender_name=f"Клиент {index}",
                                     sender_email=f"c{index}@example.ru", subject="Вопрос", body="Когда?",
                                     author="почта", at=complaint.registered_at))
        db.session.add(ClientSurvey(complaint_id=complaint.id, token_hash=f"{index:064d}", solved=True, satisfaction=4,
                                    comment=f"Спасибо, клиент {index}", sent_at=complaint.registered_at))
        db.session.add(Outbox(dedupe_key=f"ack:{index}", kind="ack_client", recipient=f"email:c{index}@example.ru",
                              business_key=complaint.number, subject="Принято", body=f"Клиент {index}, принято",
                              status="sent", created_at=complaint.registered_at))
    db.session.add(Review(kind="delivery", rating=5, author_name="Оценщик", author_contact="r@example.ru",
                          comment="Быстро", created_at=october.at(2026, 10, 3, 12)))
    db.session.add(TrackAttempt(ip="203.0.113.9", at=october.at(2026, 10, 3, 12)))
    db.session.commit()


def _figures(engine: ProcessEngine) -> tuple[Any, ...]:
    return tuple((engine.monthly_report(m), engine.kpis(m)) for m in ("2026-09", "2026-10", "2026-11"))


def test_the_job_anonymises_what_is_past_its_period_and_keeps_the_figures(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    _with_people()
    with time_machine.travel(october.NOW, tick=False):
        before = _figures(engine)
    done = engine.apply_retention(LATER)
    assert done is not None
    # Closed: C1 (stage 2 closed), C2 (no stage 2), C4, C6, C7; C3 and C5 are open; the gratitude is another appeal.
    assert (done["complaints"], done["appeals"], done["reviews"], done["track_attempts"]) == (5, 1, 1, 1)
    db.session.expire_all()
    with time_machine.travel(october.NOW, tick=False):
        assert _figures(engine) == before  # the monthly reports and KPIs of those months do not change
    by_number = {c.number: c for c in db.session.scalars(select(Complaint))}
    closed = by_number["P2610050001"]
    assert closed.appeal.text == ERASED and closed.appeal.anonymised_at is not None
    assert (closed.contact.full_name, closed.contact.phone, closed.contact.email) == (ERASED, None, None)
    [message] = db.session.scalars(select(ClientMessage).where(ClientMessage.complaint_id == closed.id)).all()
    assert (message.sender_email, message.body) == (None, ERASED)
    survey = db.session.scalars(select(ClientSurvey).where(ClientSurvey.complaint_id == closed.id)).one()
    assert (survey.comment, survey.solved, survey.satisfaction) == (None, True, 4)
    letter = db.session.scalars(select(Outbox).where(Outbox.business_key == closed.number)).one()
    assert (letter.recipient, letter.body) == (f"email:{ERASED}", ERASED)
    still_open = by_number["P2610010001"]  # stage 1 never closed
    assert still_open.appeal.text.startswith("Пишет клиент") and still_open.contact.full_name.startswith("Клиент")
    assert db.session.scalars(select(Review)).one().author_contact is None
    assert db.session.scalars(select(TrackAttempt)).all() == []
    gratitude = db.session.scalars(select(Appeal).where(Appeal.number == "A2610090002")).one()
    assert gratitude.text == ERASED
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "personal_data_anonymised")).one()
    assert audit.data["done"]["complaints"] == 5 and audit.data["periods"]["complaints"] == 1825
    assert engine.apply_retention(LATER + dt.timedelta(hours=1)) is None  # once a day


def test_an_expired_process_case_loses_its_history_data_and_the_chain_holds(engine: ProcessEngine) -> None:
    number = complaint_of(engine, closed=True)
    events_before = len(engine.history(number))
    assert any(e.data for e in engine.history(number))
    done = engine.apply_retention(dt.datetime.now(dt.UTC) + dt.timedelta(days=5 * 365 + 1))
    assert done is not None and done["complaints"] == 1 and done["history_keys_destroyed"] == 1
    db.session.expire_all()
    events = engine.history(number)
    assert len(events) == events_before + 1 and all(e.erased and e.data is None for e in events)
    assert engine.verify_history().ok


def test_nothing_is_touched_before_its_period(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    _with_people()
    done = engine.apply_retention(october.NOW)
    assert done is not None
    # Only the status-page look-up of 3 October is past its 30 days; every case is within its years.
    assert (done["complaints"], done["appeals"], done["reviews"], done["track_attempts"]) == (0, 0, 0, 1)
    db.session.expire_all()
    assert all(a.text != ERASED for a in db.session.scalars(select(Appeal)))


def test_the_periods_come_from_configuration(config: Any) -> None:
    class Shorter(config):  # type: ignore[misc, valid-type]
        RETENTION_DAYS = {**config.RETENTION_DAYS, "complaints": 400}

    app = create_app(Shorter)
    assert app.extensions["complaint_engine"].settings.retention == RetentionRules(complaints=400)
    with app.app_context():
        page = app.test_client()
        assert page.get("/privacy/retention").status_code == 401


def test_the_retention_page_shows_the_periods_and_runs(app: Flask, engine: ProcessEngine, qms_client: Any) -> None:
    engine.apply_retention(LATER)
    page = qms_client.get("/privacy/retention").get_data(as_text=True)
    assert 'data-test="period-complaints"><td>Претензии (с закрытия)</td><td>1825</td>' in page
    assert "2031-12-01" in page and "30 3 * * *" in page


def test_two_schedulers_run_the_retention_job_once(app: Flask, engine: ProcessEngine, config: Any) -> None:
    october.build()
    _with_people()
    results = _together([app, create_app(config)], lambda desk: desk.apply_retention(LATER))
    assert results.count(None) == 1 and [r["complaints"] for r in results if r is not None] == [5]
    assert [r.period for r in db.session.scalars(select(CronRun).where(CronRun.job == "privacy-retention"))] == \
        ["2031-12-01"]
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "personal_data_anonymised")).all()) == 1


def test_the_scheduler_runs_the_job_daily_at_half_past_three(app: Flask, engine: ProcessEngine) -> None:
    runs = build_scheduler(app).next_cron_runs(dt.datetime(2026, 10, 24, 12, 0, tzinfo=october.MSK))
    assert runs["privacy-retention"] == dt.datetime(2026, 10, 25, 3, 30, tzinfo=october.MSK)
