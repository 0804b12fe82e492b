"""The client's side in a real browser: the conversation on the card, the status page and the survey."""
from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from engine import Actor, ProcessEngine
from models import ClientSurvey, db
from tests.browser.conftest import shot, sign_in
from tests.client.conftest import smtp, wired  # noqa: F401  (fixtures)
from tests.client.helpers import close_stage1, reply
from tests.conftest import complaint_input
from tests.intake.test_outbox import Inbox


def test_the_responsible_answers_the_client_from_the_card(
        page: Any, live_server: str, wired: ProcessEngine) -> None:  # noqa: F811
    _appeal, complaint = wired.register_appeal(complaint_input(contact_email="loskova@example.ru"), Actor("operator"))
    number = complaint.number
    wired.deliver_outbox()
    wired.ingest_mail(reply("12-from-another-address.eml", number), "smk")
    wired.ingest_mail(reply("11-subject-tag-only.eml", number), "smk")
    sign_in(page, live_server, "responsible")
    page.goto(f"{live_server}/complaints/{number}")
    incoming = page.locator("[data-test=conversation] li[data-direction=in]")
    expect(incoming).to_have_count(2)
    assert "Прошу ускорить решение" in incoming.nth(0).inner_text()
    expect(incoming.nth(0).locator("[data-test=other-address]")).to_have_count(1)
    expect(incoming.nth(1).locator("[data-test=other-address]")).to_have_count(0)
    page.fill("input[name=subject]", "Перенос базы")
    page.click("[data-test=send-to-client]")
    assert "Напишите сообщение." in page.inner_text("[data-error-for=text]")
    assert page.input_value("input[name=subject]") == "Перенос базы"
    page.fill("textarea[name=text]", "Завтра в 10:00 перенесём базу на быстрый диск.")
    page.click("[data-test=send-to-client]")
    outgoing = page.locator("[data-test=conversation] li[data-direction=out]")
    assert "Завтра в 10:00 перенесём базу" in outgoing.inner_text()
    assert outgoing.locator("[data-test=delivery]").inner_text() == "ожидает отправки"
    assert wired.deliver_outbox()["sent"] >= 1
    page.reload()
    assert page.locator("[data-test=conversation] li[data-direction=out] [data-test=delivery]").inner_text() \
        .startswith("отправлено")
    assert "Письмо клиенту" in page.inner_text("[data-test=history]")
    shot(page, "30-card-conversation")


def test_the_client_follows_the_complaint_and_answers_the_survey(
        page: Any, live_server: str,
        wired: ProcessEngine,  # noqa: F811
        smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    _appeal, complaint = wired.register_appeal(complaint_input(contact_email="loskova@example.ru"), Actor("operator"))
    number = complaint.number
    page.goto(f"{live_server}/track?number={number}")
    page.fill("input[name=contact]", "someone@example.ru")
    page.click("main button[type=submit]")
    assert "Не нашли претензию" in page.inner_text("[data-test=track-message]")
    page.fill("input[name=contact]", "loskova@example.ru")
    page.click("main button[type=submit]")
    assert "мы работаем над решением" in page.inner_text("[data-test=track-stage]")
    shot(page, "31-track-status")
    close_stage1(wired, number)
    wired.deliver_outbox()
    [mail] = [m for _to, m in smtp[0].messages if "Оцените решение" in m["Subject"]]
    path = re.search(r"/survey/[\w-]+", mail.get_content()).group(0)
    page.goto(f"{live_server}{path}")
    page.check("input[name=solved][value=yes]")
    page.check("input[name=satisfaction][value='4']")
    page.fill("textarea[name=comment]", "Стало быстрее")
    shot(page, "32-client-survey")
    page.click("main button[type=submit]")
    assert number in page.inner_text("[data-test=survey-thanks]")
    page.goto(f"{live_server}{path}")
    assert "ссылка действует один раз" in page.inner_text("[data-test=survey-used]")
    db.session.expire_all()
    survey = db.session.scalars(select(ClientSurvey)).one()
    assert (survey.solved, survey.satisfaction, survey.comment) == (True, 4, "Стало быстрее")
