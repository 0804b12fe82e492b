"""POST /api/v1/appeals: registration from channels, with clear errors that create nothing."""
from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import ProcessEngine
from models import Appeal, Complaint, Counterparty, ProcessInstance, db

GOOD: dict[str, Any] = {
    "type": "complaint", "channel": "phone", "received_at": "2026-11-24T10:15:00+03:00",
    "counterparty": {"name": "Союз молодежи и добровольцев Дона РРМОО", "inn": "6165456519"},
    "contact": {"name": "Лоськова Галина Николаевна", "position": "Бухгалтер", "phone": "(951) 5113523",
                "email": "loskova@example.ru"},
    "subject": "Долго загружается программа", "text": "Загрузка 3-4 минуты, уже обращалась.",
    "department": "ДКС", "importance": "high",
}


def post(client: FlaskClient, auth: dict[str, str], **changes: Any) -> Any:
    body = {**GOOD, **changes}
    return client.post("/api/v1/appeals", json={k: v for k, v in body.items() if v is not None}, headers=auth)


def counts() -> tuple[int, int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m))  # type: ignore[return-value]
                 for m in (Appeal, Complaint, Counterparty, ProcessInstance))


def test_complaint_appeal_opens_a_routed_complaint(client: FlaskClient, auth: dict[str, str],
                                                    engine: ProcessEngine) -> None:
    answer = post(client, auth)
    assert answer.status_code == 201
    body = answer.get_json()
    assert body["number"].startswith("RP261124") and body["complaint_number"].startswith("P261124")
    card = client.get(f"/api/v1/complaints/{body['complaint_number']}", headers=auth).get_json()
    assert card["appeal"] == body["number"] and card["status"] == "stage1_open"
    assert (card["department"], card["responsible"], card["responsible_user"]) == \
        ("ДКС", "Бадыштова К.", "responsible")
    assert card["registered_at"] == "2026-11-24T07:15:00+00:00"
    assert card["counterparty"] == {"name": GOOD["counterparty"]["name"], "inn": "6165456519"}
    assert card["contact"]["position"] == "Бухгалтер" and card["importance"] == "high"
    assert [s["code"] for s in card["steps"]] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6"]
    assert [s["status"] for s in card["steps"]] == ["open"] + ["pending"] * 5
    [task] = card["open_tasks"]
    assert (task["step"], task["bpmn_id"], task["assignee"]) == ("1.1", "accept", "responsible")
    assert task["form"]["properties"]["belongs_to_department"]["type"] == "boolean"


def test_other_appeal_types_are_registered_without_a_process(client: FlaskClient, auth: dict[str, str],
                                                             engine: ProcessEngine) -> None:
    for kind in ("objection", "request", "interest", "gratitude", "suggestion"):
        body = post(client, auth, type=kind).get_json()
        assert body["type"] == kind and body["complaint_number"] is None and body["state"] == "unprocessed"
    assert counts() == (5, 0, 1, 0)


def test_previous_appeals_of_the_counterparty_are_linked(client: FlaskClient, auth: dict[str, str],
                                                          engine: ProcessEngine) -> None:
    first = post(client, auth, type="request").get_json()["number"]
    second = post(client, auth).get_json()
    assert second["previous_appeals"] == [first]
    third = post(client, auth, counterparty={"inn": "6165456519"}).get_json()
    card = client.get(f"/api/v1/complaints/{third['complaint_number']}", headers=auth).get_json()
    assert card["counterparty_complaints"] == [second["complaint_number"]]
    assert set(card["previous_appeals"]) == {first, second["number"]}


def test_the_answer_lists_the_newest_previous_appeals_up_to_the_cards_limit(
        client: FlaskClient, auth: dict[str, str], engine: ProcessEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.queries.PREVIOUS_APPEALS", 2)
    earlier = [post(client, auth, type="request", subject=f"Вопрос {i}").get_json()["number"] for i in range(3)]
    answer = post(client, auth).get_json()
    assert answer["previous_appeals"] == [earlier[2], earlier[1]]


def test_without_department_the_complaint_goes_to_qms(client: FlaskClient, auth: dict[str, str],
                                                       engine: ProcessEngine) -> None:
    number = post(client, auth, department=None).get_json()["complaint_number"]
    card = client.get(f"/api/v1/complaints/{number}", headers=auth).get_json()
    assert card["department"] == "СМК" and card["open_tasks"][0]["candidate_group"] == "СМК"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"type": None}, "type", "Missing data"),
    ({"subject": None, "text": None}, "text", "Missing data"),
    ({"type": "rant"}, "type", "Must be one of"),
    ({"channel": 5}, "channel", "Not a valid string"),
    ({"importance": "urgent"}, "importance", "Must be one of"),
    ({"counterparty": {"name": "X", "inn": "6165456518"}}, "counterparty.inn", "check digits"),
    ({"counterparty": {"inn": "12345"}}, "counterparty.inn", "10 digits"),
    ({"contact": {"name": "A", "email": "not-an-email"}}, "contact.email", "Not a valid email"),
    ({"received_at": "2026-11-24T10:00:00"}, "received_at", "timezone"),
    ({"received_at": "2099-01-01T10:00:00+03:00"}, "received_at", "future"),
    ({"department": "НЕТТАКОГО"}, "department", "Unknown department"),
    ({"surprise": 1}, "surprise", "Unknown field"),
])
def test_bad_input_is_422_with_field_messages_and_creates_nothing(
        client: FlaskClient, auth: dict[str, str], engine: ProcessEngine,
        changes: dict[str, Any], field: str, message: str) -> None:
    before = counts()
    answer = post(client, auth, **changes)
    assert answer.status_code == 422 and answer.content_type == "application/problem+json"
    problem = answer.get_json()
    assert problem["status"] == 422 and message in " ".join(problem["errors"][field])
    assert counts() == before


def test_malformed_json_is_a_problem_not_a_crash(client: FlaskClient, auth: dict[str, str],
                                                 engine: ProcessEngine) -> None:
    answer = client.post("/api/v1/appeals", data="{not json", headers={**auth, "Content-Type": "application/json"})
    assert answer.status_code in (400, 422) and answer.content_type == "application/problem+json"


def test_tokens_and_scopes(client: FlaskClient, engine: ProcessEngine, auth: dict[str, str]) -> None:
    assert post(client, {}).status_code == 401
    assert post(client, {"Authorization": "Bearer nope"}).get_json()["detail"] == "Unknown or revoked API token."
    _c, reader = engine.create_api_client("reader", ["complaints:read"], None)
    denied = post(client, {"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403 and "appeals:write" in denied.get_json()["detail"]
    _c, site = engine.create_api_client("site", ["appeals:write"], None)
    assert post(client, {"Authorization": f"Bearer {site}"}).status_code == 201
    engine.revoke_api_client("site")
    assert post(client, {"Authorization": f"Bearer {site}"}).status_code == 401
    assert counts()[0] == 1


def test_simultaneous_appeals_from_a_new_counterparty_all_land(app: Any, client: FlaskClient, auth: dict[str, str],
                                                               engine: ProcessEngine) -> None:
    from tests.conftest import race

    statuses = race(app, 4, lambda own, i: post(own, auth, subject=f"Жалоба {i}", counterparty={
        "name": "Новый клиент", "inn": "500100732259"}).status_code)
    assert statuses == [201] * 4
    assert db.session.scalar(select(func.count()).select_from(Counterparty)) == 1
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 4


def test_an_inn_in_other_digits_is_normalised_and_letters_are_refused(client: FlaskClient, auth: dict[str, str],
                                                                      engine: ProcessEngine) -> None:
    first = client.post("/api/v1/appeals", json=GOOD, headers=auth)
    assert first.status_code == 201
    arabic = "".join(chr(0x0660 + int(d)) for d in GOOD["counterparty"]["inn"])
    again = client.post("/api/v1/appeals", json={**GOOD, "counterparty": {**GOOD["counterparty"], "inn": arabic}},
                        headers=auth)
    assert again.status_code == 201, again.get_json()
    assert [c.inn for c in db.session.scalars(select(Counterparty))] == [GOOD["counterparty"]["inn"]]
    bad = client.post("/api/v1/appeals", json={**GOOD, "counterparty": {**GOOD["counterparty"],
                                                                        "inn": "77O7083893"}}, headers=auth)
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "counterparty.inn": ["An INN has 10 digits (organisation) or 12 digits (individual)."]}
    assert db.session.scalar(select(func.count()).select_from(Counterparty)) == 1
