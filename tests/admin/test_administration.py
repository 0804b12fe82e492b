"""Administration use cases: every change audited with before and after, sessions ended, the calendar preview."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from engine import Actor, ProcessEngine
from engine.errors import InvalidInput
from models import AuditLog, Department, InstanceEvent, User, db
from tests.engine.test_deadlines import deadlines, local, msk

ADMIN = Actor("Администратор")


def audits(action: str) -> list[dict[str, Any]]:
    db.session.expire_all()
    return [a.data for a in db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def test_a_user_is_created_changed_deactivated_and_each_step_is_audited(engine: ProcessEngine) -> None:
    engine.create_user("ivanova", "Иванова А.", "long-password", ["operator"], ["ДКС"], "a@example.ru", "4711",
                       ADMIN)
    [created] = audits("user_created")[-1:]
    assert created == {"login": "ivanova", "before": None, "after": {
        "login": "ivanova", "full_name": "Иванова А.", "email": "a@example.ru", "telegram_chat_id": "4711",
        "roles": ["operator"], "departments": ["ДКС"], "active": True}}
    epoch = db.session.scalars(select(User.session_epoch).where(User.login == "ivanova")).one()

    engine.update_user("ivanova", "Иванова Анна", None, "4711", ["responsible", "operator"], ["ДКС", "ОПР"], True,
                       ADMIN)
    [changed] = audits("user_updated")
    assert changed["before"]["full_name"] == "Иванова А." and changed["after"]["full_name"] == "Иванова Анна"
    assert changed["after"]["roles"] == ["operator", "responsible"]
    assert changed["after"]["departments"] == ["ДКС", "ОПР"]
    assert changed["after"]["email"] is None
    engine.update_user("ivanova", "Иванова Анна", None, "4711", ["responsible", "operator"], ["ДКС", "ОПР"], False,
                       ADMIN)
    user = db.session.scalars(select(User).where(User.login == "ivanova")).one()
    assert user.active is False and user.session_epoch == epoch + 1
    last = audits("user_updated")[-1]
    assert last["before"]["active"] is True and last["after"]["active"] is False

    engine.reset_password("ivanova", "new-long-password", ADMIN)
    db.session.expire_all()
    assert db.session.scalars(select(User.session_epoch).where(User.login == "ivanova")).one() == epoch + 2
    assert audits("password_reset") == [{"login": "ivanova", "sessions_ended": True}]
    actors = {a.actor for a in db.session.scalars(select(AuditLog).where(AuditLog.action.like("user_%")))}
    assert "Администратор" in actors


def test_bad_user_changes_are_field_errors(engine: ProcessEngine) -> None:
    with pytest.raises(InvalidInput) as err:
        engine.create_user("admin", "", "long-password", ["boss"], ["НЕТ"], actor=ADMIN)
    assert set(err.value.fields) == {"login", "full_name", "roles", "departments"}
    with pytest.raises(InvalidInput) as err:
        engine.update_user("qms", "СМК", None, None, ["qms"], ["НЕТ"], True, ADMIN)
    assert err.value.fields == {"departments": ["Unknown departments: НЕТ."]}
    with pytest.raises(InvalidInput) as err:
        engine.reset_password("qms", "short", ADMIN)
    assert "password" in err.value.fields
    assert audits("user_updated") == [] and audits("password_reset") == []


def test_departments_are_created_and_given_a_head(engine: ProcessEngine) -> None:
    engine.create_department("ОЛ", "Отдел логистики", None, ADMIN)
    engine.update_department("ОЛ", "Отдел логистики и доставки", "head_dks", ADMIN)
    department = db.session.scalars(select(Department).where(Department.code == "ОЛ")).one()
    head = db.session.scalars(select(User).where(User.login == "head_dks")).one()
    assert department.name == "Отдел логистики и доставки" and department.head_user_id == head.id
    assert audits("department_added") == [{"department": "ОЛ", "before": None, "after": {
        "code": "ОЛ", "name": "Отдел логистики", "head": None}}]
    assert audits("department_updated") == [{"department": "ОЛ", "before": {
        "code": "ОЛ", "name": "Отдел логистики", "head": None}, "after": {
        "code": "ОЛ", "name": "Отдел логистики и доставки", "head": "head_dks"}}]
    with pytest.raises(InvalidInput) as err:
        engine.create_department("ОЛ", " ", "nobody", ADMIN)
    assert set(err.value.fields) == {"code", "name", "head"}


def test_the_responsibles_table_routes_new_complaints(engine: ProcessEngine, register: Any) -> None:
    first = register()
    from models import Complaint, Responsible

    current = db.session.scalars(select(Complaint).where(Complaint.number == first)).one().responsible
    assert current is not None and current.department.code == "ДКС"
    engine.save_responsible(current.id, "ДКС", current.position, current.person_name,
                            current.user.login if current.user else None, False, ADMIN)
    added = engine.save_responsible(None, "ДКС", "Заместитель", "Петров П.", "qms", True, ADMIN)
    second = register()
    db.session.expire_all()
    routed = db.session.scalars(select(Complaint).where(Complaint.number == second)).one().responsible_id
    assert routed == added.id
    assert audits("responsible_updated")[-1]["after"]["active"] is False
    assert audits("responsible_created")[-1]["after"] == {"department": "ДКС", "position": "Заместитель",
                                                          "person_name": "Петров П.", "user": "qms", "active": True}
    assert db.session.get(Responsible, added.id) is not None
    with pytest.raises(InvalidInput) as err:
        engine.save_responsible(None, "НЕТ", "", None, "nobody", True, ADMIN)
    assert set(err.value.fields) == {"department", "position", "user"}


def test_api_clients_are_audited_without_their_token(engine: ProcessEngine) -> None:
    client, token = engine.create_api_client("site", ["appeals:write"], None, ["site_form"], ADMIN)
    engine.revoke_api_client("site", ADMIN)
    created, revoked = audits("api_client_created"), audits("api_client_revoked")
    assert created[-1] == {"client": "site", "before": None,
                           "after": {"scopes": ["appeals:write"], "channels": ["site_form"], "user": None}}
    assert revoked == [{"client": "site", "before": {"revoked": False}, "after": {"revoked": True}}]
    assert token not in str(created) and client.revoked_at is not None


def test_template_preview_renders_sample_data_and_reports_a_broken_template(engine: ProcessEngine) -> None:
    preview = engine.preview_template("deadline_breach", "Просрочен шаг {{ step }} ({{ number }})",
                                      "Срок {{ due_at }}; {{ nonsense }}")
    assert preview["subject"] == "Просрочен шаг 1.3 (P2611270003)"
    assert preview["body"] == "Срок 01.12.2026 18:00; " and preview["unknown"] == ["nonsense"]
    with pytest.raises(InvalidInput) as err:
        engine.preview_template("deadline_breach", "Шаг {{ step }", "{% if %}")
    assert set(err.value.fields) == {"subject", "body"}
    assert err.value.fields["body"][0].startswith("Template error:")
    engine.set_template("deadline_breach", "Шаг {{ step }}", "Срок {{ due_at }}", ADMIN)
    [saved] = audits("template_set")
    assert saved["kind"] == "deadline_breach" and saved["after"] == {"subject": "Шаг {{ step }}",
                                                                       "body": "Срок {{ due_at }}"}
    assert saved["before"]["subject"] == "Просрочен шаг {{ step }} по претензии {{ number }}"


def test_the_calendar_preview_lists_the_moves_and_saves_nothing(engine: ProcessEngine, register: Any) -> None:
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False):
        number = register()
        before = local(deadlines(number)["1.1"].due_at)
        assert before == "2025-11-24 11:00"
        day = dt.date(2025, 11, 24)
        preview = engine.preview_calendar_override(day, "shortened", [("09:00", "10:30")], "учения", ADMIN)
        moved = {(m["number"], m["step"], m["deadline"]): (local(dt.datetime.fromisoformat(m["from"])),
                                                           local(dt.datetime.fromisoformat(m["to"])))
                 for m in preview}
        assert moved[(number, "1.1", "breach")] == ("2025-11-24 11:00", "2025-11-25 09:30")
        assert moved[(number, "1.2", "breach")] == ("2025-11-24 13:00", "2025-11-25 11:30")
        # Nothing of it was saved: the deadline, the history, the override and the audit are as they were.
        db.session.expire_all()
        assert local(deadlines(number)["1.1"].due_at) == "2025-11-24 11:00"
        assert db.session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "deadline_moved")).all() == []
        assert audits("calendar_override_set") == []
        assert local(dt.datetime.fromisoformat(engine.what_if(msk("2025-11-24T10:00"))["steps"][0]["due_at"])) \
            == "2025-11-24 11:00"

        since = engine.runtime.clock()
        engine.set_calendar_override(day, "shortened", [("09:00", "10:30")], "учения", ADMIN)
        after = engine.recent_moves(since, day=day)
        assert after == preview
        assert local(deadlines(number)["1.1"].due_at) == "2025-11-25 09:30"
        assert engine.preview_calendar_override(day, "", [], "", ADMIN, remove=True) == [
            {**m, "from": m["to"], "to": m["from"]} for m in preview]
        with pytest.raises(InvalidInput):
            engine.preview_calendar_override(day, "shortened", [], "", ADMIN)


def test_the_department_calendar_preview(engine: ProcessEngine, register: Any) -> None:
    with time_machine.travel(msk("2025-11-24T10:00"), tick=False):
        number = register()
        preview = engine.preview_department_calendar("ДКС", "Europe/Moscow", [("2025-11-24", "региональный")],
                                                     ADMIN)
        assert {(m["number"], m["step"]) for m in preview} >= {(number, "1.1"), (number, "1.2")}
        assert local(deadlines(number)["1.1"].due_at) == "2025-11-24 11:00"
        assert engine.preview_department_calendar("ОПР", "Europe/Moscow", [("2025-11-24", "")], ADMIN) == []


def test_the_last_active_administrator_keeps_the_role(engine: ProcessEngine) -> None:
    with pytest.raises(InvalidInput) as err:
        engine.update_user("admin", "Администратор", None, None, ["qms"], [], False, ADMIN)
    assert set(err.value.fields) == {"roles", "active"}
    with pytest.raises(InvalidInput):
        engine.deactivate_user("admin", ADMIN)
    engine.create_user("admin2", "Второй администратор", "long-password", ["admin"], [], actor=ADMIN)
    engine.update_user("admin", "Администратор", None, None, ["qms"], [], True, ADMIN)
    assert audits("user_updated")[-1]["after"]["roles"] == ["qms"]
