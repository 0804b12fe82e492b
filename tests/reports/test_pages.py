"""The report pages through the test client: who may see what, the figures on the page, the weights form."""
from __future__ import annotations

import re

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from engine import ProcessEngine
from models import Department, KpiWeight, User, db
from tests.reports import october
from tests.test_ui_pages import signed_in, token

PAGES = ("/review/weekly?week=2026-W43", "/reports/monthly?month=2026-10", "/reports/kpi?month=2026-10",
         "/reports/monthly/export?month=2026-10&format=csv", "/reports/kpi/export?month=2026-10&format=xlsx")


@pytest.mark.parametrize("url", PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, engine: ProcessEngine, url: str) -> None:
    answer = app.test_client().get(url)
    assert answer.status_code == 401 and 'name="login"' in answer.get_data(as_text=True)


@pytest.mark.parametrize("login", ["operator", "responsible"])
@pytest.mark.parametrize("url", PAGES)
def test_operators_and_responsibles_are_refused(app: Flask, engine: ProcessEngine, login: str, url: str) -> None:
    assert signed_in(app, login).get(url).status_code == 403


@pytest.mark.parametrize("login", ["qms", "owner", "executive", "admin"])
def test_qms_owner_executives_and_admin_read_the_reports(app: Flask, engine: ProcessEngine, login: str) -> None:
    october.build()
    client = signed_in(app, login)
    with time_machine.travel(october.NOW, tick=False):
        pages = [client.get(url) for url in PAGES[:3]]
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert 'data-test="nav-monthly"' in pages[0].get_data(as_text=True)


def test_the_monthly_page_shows_each_figure_with_its_definition(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    with time_machine.travel(october.NOW, tick=False):
        html = signed_in(app, "qms").get("/reports/monthly?month=2026-10").get_data(as_text=True)

    def figure(key: str) -> str:
        block = html.split(f'data-figure="{key}"')[1].split('<div class="figure"')[0]
        return re.search(r'class="value">([^<]*)<', block).group(1).strip()

    assert figure("received") == "3" and figure("closed_stage1") == "3"
    assert figure("loyalty_percent") == "66,7 %" and figure("satisfaction_percent") == "33,3 %"
    assert figure("on_time_percent") == "60 %" and figure("median_hours_to_close_stage1") == "97,5 ч"
    assert "доля клиентов, лояльных по итогу, среди претензий с этапом коррекции, закрытым в месяце" in html
    assert "АО «Бета»" in html.split('data-test="repeats"')[1]
    assert "/vendor/chart.js/dist/chart.umd.min.js" in html


def test_a_bad_month_is_shown_kept_and_explained(app: Flask, engine: ProcessEngine) -> None:
    html = signed_in(app, "qms").get("/reports/monthly?month=2026-13").get_data(as_text=True)
    assert 'value="2026-13"' in html
    assert 'data-error-for="month">Укажите месяц в виде ГГГГ-ММ, например 2026-11; показан прошлый месяц.' in html


def test_a_department_head_sees_only_their_department_in_the_review(app: Flask, engine: ProcessEngine) -> None:
    october.build()
    department = db.session.scalar(select(Department).where(Department.code == "ОПР"))
    department.head_user_id = db.session.scalar(select(User.id).where(User.login == "responsible"))
    db.session.commit()
    client = signed_in(app, "responsible")
    with time_machine.travel(october.NOW, tick=False):
        html = client.get("/review/weekly?week=2026-W43").get_data(as_text=True)
        assert client.get("/reports/monthly?month=2026-10").status_code == 403
    assert set(re.findall(r'data-number="(P\d+)"', html)) == {"P2610010001"}
    assert 'href="/complaints/P2610010001"' in html and "P2610050001" not in html


def test_qms_sets_the_weights_and_a_bad_value_comes_back_with_what_was_typed(app: Flask,
                                                                             engine: ProcessEngine) -> None:
    client = signed_in(app, "qms")
    page = client.get("/reports/kpi?month=2026-10").get_data(as_text=True)
    assert 'data-test="weights-form"' in page
    form = {"csrf_token": token(page), "month": "2026-10", "on_time": "abc", "goal": "20", "loyalty": "30",
            "volume": "10"}
    refused = client.post("/reports/kpi/weights", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'name="on_time" min="0" max="100" value="abc"' in html
    assert 'data-error-for="on_time">Целое число от 0 до 100.' in html
    assert db.session.scalars(select(KpiWeight)).all() == []
    saved = client.post("/reports/kpi/weights", data={**form, "on_time": "50"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/reports/kpi?month=2026-10")
    db.session.expire_all()
    assert {w.indicator: w.weight for w in db.session.scalars(select(KpiWeight))} == {
        "on_time": 50, "goal": 20, "loyalty": 30, "volume": 10}


def test_executives_read_the_weights_but_may_not_change_them(app: Flask, engine: ProcessEngine) -> None:
    client = signed_in(app, "executive")
    page = client.get("/reports/kpi?month=2026-10").get_data(as_text=True)
    assert 'data-test="weights-form"' not in page and "вес 40" in page
    answer = client.post("/reports/kpi/weights", data={"csrf_token": token(page), "on_time": "100", "goal": "0",
                                                       "loyalty": "0", "volume": "0"})
    assert answer.status_code == 403
    assert db.session.scalars(select(KpiWeight)).all() == []


def test_the_report_pages_speak_english_one_click_away(app: Flask, engine: ProcessEngine) -> None:
    from flask import g

    client = signed_in(app, "qms")
    page = client.get("/reports/monthly?month=2026-10").get_data(as_text=True)
    client.post("/lang/en", data={"csrf_token": token(page), "next": "/reports/monthly"})
    g.pop("_flask_babel", None)  # Flask-Babel caches the locale per app context, which this test keeps open
    english = client.get("/reports/monthly?month=2026-10").get_data(as_text=True)
    assert "Monthly complaints report" in english
    assert "a client who gave no answer counts as not loyal" in english
    assert "Weekly complaints review" in client.get("/review/weekly?week=2026-W43").get_data(as_text=True)
    assert "How the score is computed" in client.get("/reports/kpi?month=2026-10").get_data(as_text=True)
