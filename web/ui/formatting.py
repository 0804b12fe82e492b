"""How values read on a page: Moscow time in Russian formats, labels of codes, working hours left."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, g
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

LABELS: dict[str, Any] = {
    "complaint": _l("Жалоба"), "objection": _l("Возражение"), "request": _l("Обращение/запрос"),
    "interest": _l("Интерес"), "gratitude": _l("Благодарность"), "suggestion": _l("Предложение"),
    "phone": _l("Телефонный звонок"), "visit": _l("Визит в офис"), "via_specialist": _l("Через специалиста"),
    "quality_call": _l("Обзвон по качеству"), "site_1c_order": _l("Сайт 1С при заказе"),
    "site_form": _l("Форма на сайте"), "letter": _l("Письмо"), "email": _l("Электронная почта"),
    "1c_connect": _l("1С-Коннект"), "rate_manager": _l("Оценка менеджера"),
    "delivery_rating": _l("Рейтинг доставки"), "social": _l("Социальные сети"),
    "internal": _l("Внутренняя"), "external": _l("Внешняя"),
    "high": _l("Высокая"), "normal": _l("Средняя"),
    "justified": _l("Обоснованная"), "unjustified": _l("Необоснованная"),
    "partly_justified": _l("Частично обоснованная"), "undetermined": _l("Не определена"),
    "open": _l("Открыт"), "closed": _l("Закрыт"), "done": _l("Выполнен"), "pending": _l("Ожидает"),
    "skipped": _l("Пропущен"), "unprocessed": _l("Не обработан"), "processed": _l("Обработан"),
    "completed": _l("Выполнена"), "cancelled": _l("Отменена"),
    "planned": _l("Запланирована"), "in_progress": _l("В работе"),
    "none": _l("Без компенсации"), "price_reduction": _l("Снижение цены"), "apology": _l("Извинение"),
    "free_product": _l("Бесплатный продукт или подарок"), "discount_coupon": _l("Купон на скидку"),
    "guarantee": _l("Гарантия принятых мер"),
    "started": _l("Процесс запущен"), "task_created": _l("Создана задача"), "task_completed": _l("Задача выполнена"),
    "task_claimed": _l("Задача взята в работу"), "task_assigned": _l("Задача переназначена"),
    "responsible_assigned": _l("Назначен ответственный"), "timer_warning": _l("Предупреждение о сроке"),
    "timer_breach": _l("Срок нарушен"),
    "deadline_moved": _l("Срок пересчитан по календарю"), "timer_goal": _l("Цель 5 дней пропущена"),
    "incident_opened": _l("Инцидент"), "incident_resolved": _l("Инцидент устранён"),
    "incident_retried": _l("Инцидент: повтор выполнен"),
    "stage1_open": _l("Этап коррекции"), "stage2_open": _l("Этап улучшения"),
}


EVENTS: dict[str, Any] = {"completed": _l("Процесс завершён"), "task_completed": _l("Задача выполнена")}
EVENTS.update({  # the client's side of the complaint
    "client_message_received": _l("Письмо клиента"), "client_message_sent": _l("Письмо клиенту"),
    "client_survey_sent": _l("Клиенту отправлен опрос"), "client_survey_answered": _l("Клиент ответил на опрос"),
})
EVENTS["history_erased"] = _l("Персональные данные удалены")  # the case key was shredded (engine/history)


def event_label(kind: str) -> Any:
    return EVENTS.get(kind) or label(kind)


def label(code: Any) -> Any:
    if code is None:
        return "—"
    if code is True:
        return _l("да")
    if code is False:
        return _l("нет")
    return LABELS.get(str(code), code)


def local_calendar() -> Any:
    """The working calendar, looked up once per request (it asks the database for overrides)."""
    if "work_calendar" not in g:
        g.work_calendar = current_app.extensions["complaint_engine"].calendars.company()
    return g.work_calendar


def use_department_time(code: str | None) -> None:
    """The rest of this request shows times and working time on the department's calendar (a branch's zone)."""
    g.work_calendar = current_app.extensions["complaint_engine"].calendars.of_department(code)


def page_zone() -> str:
    """The zone the page shows times in, with its offset now: «Asia/Yekaterinburg (UTC+05:00)»."""
    tz = local_calendar().tz
    offset = dt.datetime.now(tz).strftime("%z")
    return f"{tz.key} (UTC{offset[:3]}:{offset[3:]})"


def local_time(moment: dt.datetime | None, pattern: str = "%d.%m.%Y %H:%M") -> str:
    if moment is None:
        return "—"
    return moment.astimezone(local_calendar().tz).strftime(pattern)


def hours_left(due: dt.datetime | None, department: str | None = None) -> tuple[str, bool]:
    """Working time from now to `due`, e.g. ("2 ч 15 мин", False), or how long overdue."""
    if due is None:
        return "—", False
    calendar = _department_calendar(department) if department else local_calendar()
    now = dt.datetime.now(dt.UTC)
    overdue = now > due
    span = calendar.working_time_between(*(due, now) if overdue else (now, due))
    minutes = int(span.total_seconds() // 60)
    text = f"{minutes // 60} ч {minutes % 60:02d} мин"
    return (f"−{text}" if overdue else text), overdue


def _department_calendar(code: str) -> Any:
    return current_app.extensions["complaint_engine"].calendars.of_department(code)


def local_for(moment: dt.datetime | None, department: str | None) -> str:
    """A moment in its department's time zone (inbox rows of several departments), its offset marked when
    that zone is not the page's."""
    if moment is None or not department:
        return local_time(moment)
    tz = _department_calendar(department).tz
    shown = moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")
    if tz.key == local_calendar().tz.key:
        return shown
    offset = moment.astimezone(tz).strftime("%z")
    return f"{shown} (UTC{offset[:3]}:{offset[3:]})"


def local_iso(value: str | None) -> str:
    """An ISO date-time kept in event data, shown like every other moment on the page."""
    if not value:
        return "—"
    try:
        return local_time(dt.datetime.fromisoformat(value))
    except ValueError:
        return value


def number(value: float | None) -> str:
    """A report figure in Russian notation (decimal comma), «—» when there is none."""
    return "—" if value is None else f"{value:g}".replace(".", ",")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{number(value)} %"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["event_label"] = event_label
    app.jinja_env.filters["label_pair"] = lambda code: (code, label(code))
    app.jinja_env.filters["pair"] = lambda code: (code, code)
    app.jinja_env.filters["local"] = local_time
    app.jinja_env.filters["local_iso"] = local_iso
    app.jinja_env.filters["local_for"] = local_for
    app.jinja_env.filters["day_iso"] = lambda v: dt.date.fromisoformat(v).strftime("%d.%m.%Y") if v else "—"
    # Texts that come from the diagrams and forms (task, lane and step names): their Russian is the msgid.
    app.jinja_env.filters["msg"] = lambda text: gettext(text) if text else text
    app.jinja_env.filters["date_only"] = lambda m: local_time(m, "%d.%m.%Y")
    app.jinja_env.globals["hours_left"] = hours_left
    app.jinja_env.globals["page_zone"] = page_zone


def whole_number(text: str | None, default: int | None = None, limit: int = 10**9) -> int | None:
    """A typed ASCII number within `limit`, else `default` (`"²".isdigit()` is true, `int("²")` raises)."""
    text = (text or "").strip()
    if text.isascii() and text.isdigit() and len(text) <= len(str(limit)) and int(text) <= limit:
        return int(text)
    return default
