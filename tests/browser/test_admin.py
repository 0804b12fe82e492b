"""Administration in Chromium: each /admin/ page creates or edits, and its audit entry shows on the page; the
calendar preview lists the deadlines a change would move; the template preview; the API token shown once."""
from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import select

from engine import ProcessEngine
from models import ApiClient, CalendarOverride, Deadline, Department, InstanceEvent, Responsible, User, db
from tests.browser.conftest import shot, sign_in

MSK = ZoneInfo("Europe/Moscow")


def audit_rows(page: Any) -> list[str]:
    return [row.inner_text() for row in page.locator("[data-test=audit] tr[data-action]").all()]


def test_admin_creates_edits_and_resets_a_user(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "admin")
    page.click("[data-test=nav-admin]")
    page.click("[data-test=admin-index] a:text-is('Пользователи')")
    form = page.locator("[data-test=new-user]")
    form.locator("input[name=login]").fill("sidorova")
    form.locator("input[name=full_name]").fill("Сидорова Мария")
    form.locator("input[name=password]").fill("short")
    form.locator("input[name=roles][value=operator]").check()
    form.locator("input[name=departments][value=ДКС]").check()
    form.locator("input[name=telegram_chat_id]").fill("777001")
    page.click("[data-test=create]")
    assert page.inner_text("[data-error-for=password]") == "Не короче 8 символов."
    assert page.input_value("input[name=full_name]") == "Сидорова Мария"
    assert page.is_checked("input[name=roles][value=operator]")
    page.fill("input[name=password]", "long-password")
    page.click("[data-test=create]")
    assert "Пользователь sidorova создан." in page.inner_text(".flash")
    assert "Сидорова Мария" in page.inner_text("[data-test=users] tr[data-login=sidorova]")
    assert "Пользователь создан" in audit_rows(page)[0] and "sidorova" in audit_rows(page)[0]

    page.click("[data-test=users] a:text-is('sidorova')")
    page.check("input[name=roles][value=responsible]")
    page.fill("input[name=full_name]", "Сидорова М. А.")
    page.click("[data-test=save]")
    assert "сохранены" in page.inner_text(".flash")
    latest = audit_rows(page)[0]
    assert "Пользователь изменён" in latest and "Сидорова Мария → Сидорова М. А." in latest
    assert "roles: operator → operator, responsible" in latest
    page.fill("input[name=new]", "another-password")
    page.fill("input[name=repeat]", "another-password")
    page.click("[data-test=reset]")
    assert "все его сеансы завершены" in page.inner_text(".flash")
    assert "Пароль сброшен" in audit_rows(page)[0]
    shot(page, "40-admin-user")
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.login == "sidorova")).one()
    assert user.roles == ["operator", "responsible"] and user.telegram_chat_id == "777001"
    assert user.session_epoch == 1

    page.uncheck("input[name=active]")
    page.click("[data-test=save]")
    sign_in_as = page.context.new_page()
    sign_in_as.goto(f"{live_server}/login")
    sign_in_as.fill("input[name=login]", "sidorova")
    sign_in_as.fill("input[name=password]", "another-password")
    sign_in_as.click("main button[type=submit]")
    assert "Неверный логин или пароль" in sign_in_as.inner_text("main")


def test_admin_creates_a_department_and_names_its_head(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/departments")
    page.fill("input[name=code]", "ДКС")
    page.fill("input[name=name]", "Отдел логистики")
    page.click("[data-test=create]")
    assert page.inner_text("[data-error-for=code]") == "Подразделение ДКС уже есть."
    assert page.input_value("input[name=name]") == "Отдел логистики"
    page.fill("input[name=code]", "ОЛ")
    page.click("[data-test=create]")
    page.click("[data-test=departments] a:text-is('ОЛ')")
    page.select_option("select[name=head]", "head_dks")
    page.click("[data-test=save]")
    latest = audit_rows(page)[0]
    assert "Подразделение изменено" in latest and "head: — → head_dks" in latest
    shot(page, "41-admin-department")
    db.session.expire_all()
    department = db.session.scalars(select(Department).where(Department.code == "ОЛ")).one()
    head = db.session.scalars(select(User).where(User.login == "head_dks")).one()
    assert department.head_user_id == head.id and department.name == "Отдел логистики"


def test_qms_edits_the_responsibles_table(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "qms")
    page.click("[data-test=nav-admin]")
    page.click("[data-test=admin-index] a:text-is('Ответственные')")
    page.select_option("[data-test=new-responsible] select[name=department]", "ОПР")
    page.fill("[data-test=new-responsible] input[name=position]", "Менеджер по претензиям")
    page.fill("[data-test=new-responsible] input[name=person_name]", "Петров П.")
    page.select_option("[data-test=new-responsible] select[name=user]", "head_opr")
    page.click("[data-test=create]")
    assert "Ответственный добавлен." in page.inner_text(".flash")
    row = page.locator("[data-test=responsibles] tr", has_text="Менеджер по претензиям")
    assert "Петров П." in row.inner_text() and "head_opr" in row.inner_text()
    assert "Ответственный добавлен" in audit_rows(page)[0]
    row.locator("[data-test=edit]").click()
    page.uncheck("input[name=active]")
    page.click("[data-test=save]")
    assert "не действует" in page.locator("[data-test=responsibles] tr", has_text="Менеджер по претензиям").inner_text()
    assert "active: да → нет" in audit_rows(page)[0]
    shot(page, "42-admin-responsibles")
    db.session.expire_all()
    added = db.session.scalars(select(Responsible).where(Responsible.person_name == "Петров П.")).one()
    assert added.active is False and added.department.code == "ОПР"


def test_the_calendar_preview_lists_the_deadlines_the_override_moves(page: Any, live_server: str,
                                                                     engine: ProcessEngine, register: Any) -> None:
    number = register()
    due = db.session.scalars(select(Deadline).where(Deadline.business_key == number, Deadline.step == "1.1")).one()
    before = due.due_at.astimezone(MSK)
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/admin/calendar")
    page.fill("input[name=day]", before.date().isoformat())
    page.select_option("select[name=kind]", "day_off")
    page.fill("input[name=note]", "внеплановый выходной")
    page.click("[data-test=preview]")
    moves = page.locator("[data-test=moves]")
    assert moves.get_attribute("data-outcome") == "preview"
    assert "Что сдвинется (не сохранено)" in moves.inner_text()
    row = moves.locator(f"tr[data-number='{number}'][data-step='1.1']")
    assert before.strftime("%d.%m.%Y %H:%M") in row.inner_text()
    assert page.input_value("input[name=note]") == "внеплановый выходной"
    shot(page, "43-admin-calendar-preview")
    db.session.expire_all()
    assert db.session.scalars(select(CalendarOverride)).all() == []
    assert db.session.scalars(select(InstanceEvent).where(InstanceEvent.kind == "deadline_moved")).all() == []

    page.click("[data-test=save]")
    assert page.locator("[data-test=moves]").get_attribute("data-outcome") == "saved"
    db.session.expire_all()
    after = db.session.scalars(select(Deadline).where(Deadline.business_key == number, Deadline.step == "1.1")
                               ).one().due_at.astimezone(MSK)
    assert after.date() > before.date()
    saved = page.locator(f"[data-test=moves] tr[data-number='{number}'][data-step='1.1']").inner_text()
    assert before.strftime("%d.%m.%Y %H:%M") in saved and after.strftime("%d.%m.%Y %H:%M") in saved
    expect(page.locator(f"[data-test=overrides] tr[data-day='{before.date().isoformat()}']")).to_have_count(1)
    assert "Исключение календаря задано" in audit_rows(page)[0]


def test_the_department_calendar_preview(page: Any, live_server: str, engine: ProcessEngine, register: Any) -> None:
    number = register()
    due = db.session.scalars(select(Deadline).where(Deadline.business_key == number, Deadline.step == "1.1")).one()
    day = due.due_at.astimezone(MSK).date()
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/calendar/departments/ДКС")
    page.fill("input[name=timezone]", "Europe/Moscow")
    page.fill("textarea[name=holidays]", f"{day.isoformat()} региональный праздник")
    page.click("[data-test=preview]")
    expect(page.locator(f"[data-test=moves] tr[data-number='{number}'][data-step='1.1']")).to_have_count(1)
    assert "Календарь компании" in page.inner_text("[data-test=calendar-state]")
    page.click("[data-test=save]")
    assert page.locator("[data-test=moves]").get_attribute("data-outcome") == "saved"
    expect(page.locator(f"[data-test=moves] tr[data-number='{number}'][data-step='1.1']")).to_have_count(1)
    assert "Свой календарь" in page.inner_text("[data-test=calendar-state]")


def test_qms_previews_and_saves_a_template(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "qms")
    page.goto(f"{live_server}/admin/templates")
    page.click("[data-test=templates] a:text-is('deadline_breach')")
    assert "Просрочен шаг 1.3 по претензии P2611270003" in page.inner_text("[data-test=preview-subject]")
    page.fill("textarea[name=body]", "Срок шага {{ step }} истёк {{ due_at }}{% if task %}")
    page.click("[data-test=preview]")
    assert page.inner_text("[data-error-for=body]").startswith("Ошибка в шаблоне:")
    assert page.input_value("textarea[name=body]") == "Срок шага {{ step }} истёк {{ due_at }}{% if task %}"
    page.fill("textarea[name=body]", "Срок шага {{ step }} истёк {{ due_at }}. Ответственный: {{ who }}")
    page.click("[data-test=preview]")
    assert page.inner_text("[data-test=preview-body]") == "Срок шага 1.3 истёк 01.12.2026 18:00. Ответственный: "
    assert "who" in page.inner_text("[data-test=preview-unknown]")
    shot(page, "44-admin-template-preview")
    page.click("[data-test=save]")
    assert "Шаблон сохранён." in page.inner_text(".flash")
    assert "Шаблон изменён" in audit_rows(page)[0]
    assert page.input_value("textarea[name=body]").endswith("Ответственный: {{ who }}")


def test_admin_creates_an_api_client_sees_the_token_once_and_revokes_it(page: Any, live_server: str,
                                                                         engine: ProcessEngine) -> None:
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/admin/api-clients")
    page.fill("input[name=name]", "1c-connect")
    page.check("input[name=scopes][value='appeals:write']")
    page.check("input[name=channels][value='1c_connect']")
    page.click("[data-test=create]")
    token = page.inner_text("[data-test=token]").strip()
    assert token.startswith("cd_") and len(token) > 30
    shot(page, "45-admin-api-token")
    answer = page.request.post(f"{live_server}/api/v1/appeals", headers={"Authorization": f"Bearer {token}"},
                               data={"type": "gratitude", "channel": "phone", "subject": "Спасибо", "text": "Спасибо",
                                     "department": "ДКС", "contact": {"phone": "+7 900 000-00-00"},
                                     "counterparty": {"name": "ООО Проверка"}})
    assert answer.status == 403 and "channel phone" in answer.text()  # limited to its channel
    page.goto(f"{live_server}/admin/api-clients")
    assert token not in page.content()
    expect(page.locator("[data-test=token]")).to_have_count(0)
    assert "API-клиент создан" in audit_rows(page)[0]
    page.locator("[data-test=api-clients] tr[data-client='1c-connect'] [data-test=revoke]").click()
    assert "отозван" in page.inner_text("[data-test=api-clients] tr[data-client='1c-connect']")
    assert "API-клиент отозван" in audit_rows(page)[0]
    db.session.expire_all()
    assert db.session.scalars(select(ApiClient).where(ApiClient.name == "1c-connect")).one().revoked_at is not None
    assert page.request.get(f"{live_server}/api/v1/complaints",
                            headers={"Authorization": f"Bearer {token}"}).status == 401


def test_each_role_sees_only_the_administration_it_may(page: Any, live_server: str, engine: ProcessEngine) -> None:
    sign_in(page, live_server, "responsible")
    expect(page.locator("[data-test=nav-admin]")).to_have_count(0)
    for path in ("/admin/", "/admin/users", "/admin/responsibles", "/admin/calendar", "/admin/templates"):
        assert page.goto(f"{live_server}{path}").status == 403, path
    sign_in(page, live_server, "qms")
    page.click("[data-test=nav-admin]")
    links = page.locator("[data-test=admin-index] a").all_inner_texts()
    assert "Ответственные" in links and "Пользователи" not in links and "API-клиенты" not in links
    assert page.goto(f"{live_server}/admin/users").status == 403
    assert page.goto(f"{live_server}/admin/api-clients").status == 403
    sign_in(page, live_server, "admin")
    page.click("[data-test=nav-admin]")
    links = page.locator("[data-test=admin-index] a").all_inner_texts()
    assert {"Пользователи", "Подразделения", "API-клиенты", "Ответственные", "Журнал изменений"} <= set(links)
