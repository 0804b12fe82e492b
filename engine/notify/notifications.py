"""Notifications: templates QMS edits, rows in the outbox, and delivering them exactly once or saying why not."""
from __future__ import annotations

import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jinja2 import Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from engine.errors import InvalidInput
from engine.messages import Message
from engine.notify.transports import DeliveryError, SmtpTransport, TelegramTransport
from models import Department, NotificationTemplate, Outbox, Responsible, User

DEFAULTS: dict[str, tuple[str, str]] = {
    "ack_client": (
        "Ваше обращение {{ number }} зарегистрировано",
        "Благодарим Вас за обращение. Ваш запрос зарегистрирован под номером {{ complaint_number or number }} "
        "и передан в службу менеджмента качества компании. Ответ будет подготовлен и предоставлен Вам в течение "
        "трёх рабочих дней, не считая день получения обращения, — до {{ answer_by }}."
        "{% if track_url %}\n\nХод рассмотрения: {{ track_url }} (номер претензии и ваш e-mail или телефон)."
        "\nОтвечая на это письмо, сохраните номер в теме: ответ попадёт в вашу претензию.{% endif %}"),
    "deadline_warning": ("Скоро срок шага {{ step }} по претензии {{ number }}",
                         "Срок шага {{ step }}: {{ due_at }}.\nОткрытая задача: {{ task }}."),
    "deadline_breach": ("Просрочен шаг {{ step }} по претензии {{ number }}",
                        "Срок шага {{ step }} истёк {{ due_at }}.\nОткрытая задача: {{ task }}.\n"
                        "Задача остаётся открытой: работу нужно завершить."),
    "deadline_goal": ("Претензия {{ number }} не закрыта за 5 рабочих дней (цель)",
                      "Цель — закрыть этап коррекции к {{ due_at }}. Открытая задача: {{ task }}."),
    "site_complaint": ("Жалоба с сайта {{ number }}",
                       "Поступила жалоба через форму на сайте.\nНомер: {{ number }} (претензия {{ complaint_number }})"
                       "\nОт: {{ author }} {{ contact }}\nОрганизация: {{ organisation }}\n\n{{ text }}"),
    "low_rating": ("Низкая оценка {{ rating }} из 5: {{ subject }}",
                   "{{ subject }}\nОценка: {{ rating }} из 5\nКомментарий: {{ comment }}\nОбращение: {{ number }}"),
    "client_reply": ("{{ subject }}",
                     "{{ text }}\n\n—\nСлужба менеджмента качества\nХод рассмотрения претензии: {{ track_url }}"),
    "client_message": ("Клиент ответил по претензии {{ number }}",
                       "От: {{ sender }}{% if not from_contact %} (не контактный адрес претензии){% endif %}\n"
                       "Тема: {{ subject }}\n\n{{ text }}\n\nКарточка: {{ card_url }}"),
    "client_survey": ("Оцените решение по претензии {{ number }}",
                      "Работа по вашей претензии {{ number }} завершена. Помогло ли решение? Ответьте, пожалуйста, "
                      "на три коротких вопроса — это займёт минуту:\n{{ survey_url }}\n\nСсылка действует один раз."),
    "calendar_provisional": ("Производственный календарь на {{ year }} год предварительный",
                             "В данных календаря нет постановления о переносе выходных на {{ year }} год. Сроки "
                             "считаются по праздникам из Трудового кодекса; проверьте их и внесите переносы."),
    "appeal_reminder": ("Напоминание по обращению {{ number }}",
                        "Обращение {{ number }} от {{ received_at }} ждёт обработки.\nТема: {{ subject }}\n"
                        "Контрагент: {{ counterparty }}\n\nКарточка: {{ card_url }}"),
    "corrective_overdue": ("Просрочена корректирующая задача по претензии {{ number }}",
                           "Задача: {{ task }}\nИсполнитель: {{ assignee }}\nСрок: {{ deadline }}\n"
                           "Задача остаётся открытой: работу нужно завершить.\n\nРеестр: {{ register_url }}"),
    "weekly_digest": (
        "Еженедельный обзор претензий {{ week }} ({{ first_day }} — {{ last_day }})",
        "Поступило: {{ received }}; срок этапа коррекции на неделе: {{ due }}; просрочено: {{ overdue }}; "
        "закрыто: {{ closed }}.\n{% for g in groups %}\n{{ g.department }} — {{ g.responsible }}: поступило "
        "{{ g.received }}, срок {{ g.due }}, просрочено {{ g.overdue }}, закрыто {{ g.closed }}"
        "{% if g.overdue_numbers %}\n  просрочены: {{ g.overdue_numbers }}{% endif %}{% endfor %}"),
    "monthly_report": (
        "Ежемесячный отчёт по претензиям за {{ month }}",
        "Поступило претензий: {{ received }}. Закрыт этап коррекции: {{ closed_stage1 }}.\n"
        "Лояльность: {{ loyalty_percent if loyalty_percent is not none else '—' }} %. "
        "Удовлетворённость решением: {{ satisfaction_percent if satisfaction_percent is not none else '—' }} %.\n"
        "Шаги в срок: {{ on_time_percent if on_time_percent is not none else '—' }} %. Закрыто за 5 рабочих дней: "
        "{{ closed_within_goal_percent if closed_within_goal_percent is not none else '—' }} %.\n"
        "Полный отчёт — во вложении (XLSX)."),
}
_JINJA = SandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


@functools.lru_cache(maxsize=128)
def _compiled(source: str) -> Template:
    """A template's text compiled once per process (a compile costs more than a render): keyed by the text
    itself, so a template changed by QMS is compiled anew and never served stale."""
    return _JINJA.from_string(source)
MAX_ATTEMPTS = 6
STUCK_AFTER = dt.timedelta(minutes=10)
# How long a claimed row is left to its sender before another may take it.
LEASE = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Delivery:
    """Where notifications go: transports, and the addresses of the groups recipients name."""

    smtp: SmtpTransport | None = None
    telegram: TelegramTransport | None = None
    group_emails: dict[str, str] = field(default_factory=dict)  # e.g. {"СМК": "smk@…", "ceo": "ceo@…"}
    message_domain: str = "complaint-desk.local"


def template(s: Session, kind: str) -> tuple[str, str]:
    row = s.scalar(select(NotificationTemplate).where(NotificationTemplate.kind == kind))
    return (row.subject, row.body) if row is not None else DEFAULTS[kind]


def render(s: Session, kind: str, context: dict[str, Any]) -> tuple[str, str]:
    subject, body = template(s, kind)
    try:
        return _compiled(subject).render(context).strip(), _compiled(body).render(context)
    except TemplateError as err:
        return f"[{kind}] {context.get('number', '')}", f"Шаблон {kind} не сработал ({err}); данные: {context}"


def enqueue(s: Session, kind: str, recipient: str, dedupe_key: str, context: dict[str, Any], now: dt.datetime,
            business_key: str | None = None, attachment: tuple[str, bytes] | None = None) -> Outbox | None:
    """Add a notification once: a second call with the same dedupe key adds nothing."""
    if s.scalar(select(Outbox.id).where(Outbox.dedupe_key == dedupe_key)) is not None:
        return None
    subject, body = render(s, kind, context)
    if business_key:
        subject = tagged(subject, business_key)
    row = Outbox(dedupe_key=dedupe_key, kind=kind, recipient=recipient, business_key=business_key,
                 subject=subject, body=body, created_at=now, next_attempt_at=now)
    if attachment is not None:
        row.attachment_name, row.attachment = attachment
    s.add(row)
    return row


def renderer(s: Session, kind: str) -> Callable[[dict[str, Any]], tuple[str, str]]:
    """`render` for many notifications of one kind: the template is read and compiled once, not per message."""
    subject, body = template(s, kind)
    try:
        compiled = _compiled(subject), _compiled(body)
    except TemplateError:
        return lambda context: render(s, kind, context)

    def apply(context: dict[str, Any]) -> tuple[str, str]:
        try:
            return compiled[0].render(context).strip(), compiled[1].render(context)
        except TemplateError as err:
            return f"[{kind}] {context.get('number', '')}", f"Шаблон {kind} не сработал ({err}); данные: {context}"

    return apply


def tagged(subject: str, business_key: str) -> str:
    """The subject with the complaint number in brackets, which is how a reply finds its complaint."""
    return subject if f"[{business_key}]" in subject else f"[{business_key}] {subject}"[:300]


NUMBER_TAG = re.compile(r"\[(P\d{10,})\]")


def new_message_id(domain: str) -> str:
    return f"<desk-{secrets.token_hex(12)}@{domain}>"


def set_template(s: Session, kind: str, subject: str, body: str, actor: str, now: dt.datetime) -> NotificationTemplate:
    if kind not in DEFAULTS:
        raise InvalidInput("Unknown notification.", {"kind": [Message("Known: {names}.", names=", ".join(DEFAULTS))]})
    problems = {}
    for name, text in (("subject", subject), ("body", body)):
        try:
            _JINJA.parse(text)
        except TemplateError as err:
            problems[name] = [Message("Template error: {error}", error=err)]
    if problems:
        raise InvalidInput("The template has errors.", problems)
    row = s.scalar(select(NotificationTemplate).where(NotificationTemplate.kind == kind))
    if row is None:
        row = NotificationTemplate(kind=kind)
        s.add(row)
    row.subject, row.body, row.updated_by, row.updated_at = subject, body, actor, now
    return row


def _address(s: Session, recipient: str, delivery: Delivery) -> tuple[str, str]:
    """(channel, address) for a recipient like user:LOGIN, head:DEPT, group:СМК, email:…, telegram:…"""
    scheme, _, rest = recipient.partition(":")
    if scheme in ("email", "telegram"):
        return scheme, rest
    if scheme == "group":
        if rest in delivery.group_emails:
            return "email", delivery.group_emails[rest]
        raise DeliveryError(f"no e-mail address configured for group {rest}", permanent=True)
    user: User | None = None
    if scheme == "user":
        user = s.scalar(select(User).where(User.login == rest))
    elif scheme == "head":
        department = s.scalar(select(Department).where(Department.code == rest))
        user = s.get(User, department.head_user_id) if department and department.head_user_id else None
        if user is None and f"head:{rest}" in delivery.group_emails:
            return "email", delivery.group_emails[f"head:{rest}"]
    elif scheme == "responsible":
        responsible = s.get(Responsible, int(rest)) if rest.isdigit() else None
        user = responsible.user if responsible else None
    if user is None:
        raise DeliveryError(f"no user behind {recipient}", permanent=True)
    if user.telegram_chat_id and delivery.telegram is not None:
        return "telegram", user.telegram_chat_id
    if user.email:
        return "email", user.email
    raise DeliveryError(f"{user.login} has neither an e-mail nor a Telegram chat", permanent=True)


def claim_batch(s: Session, now: dt.datetime, limit: int = 50) -> list[Outbox]:
    """Lease the rows due for sending: they stay `pending` but are not due again until the lease ends, so a
    sender that dies before it starts a send leaves them for the next one. Each claim raises `attempts`, which is
    the claim's token (see start_sending). SKIP LOCKED on PostgreSQL; SQLite locks no rows and its driver reads
    outside the write transaction, so the raise is a compare-and-set on the attempts read: of two senders that
    read the same row, one holds it."""
    stuck = Outbox.status == "sending", Outbox.next_attempt_at < now - STUCK_AFTER
    if s.scalar(select(Outbox.id).where(*stuck).limit(1)) is not None:  # a write only when there is one to make
        s.execute(update(Outbox).where(*stuck)
                  .values(status="failed",
                          last_error="outcome unknown: the sender stopped while sending; check and resend by hand")
                  .execution_options(synchronize_session=False))
    due = list(s.scalars(select(Outbox).where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
                         .order_by(Outbox.id).limit(limit).with_for_update(skip_locked=True)))
    claimed = []
    for row in due:
        leased = s.execute(update(Outbox).where(Outbox.id == row.id, Outbox.status == "pending",
                                                Outbox.attempts == row.attempts)
                           .values(attempts=row.attempts + 1, next_attempt_at=now + LEASE)
                           .execution_options(synchronize_session=False))
        if leased.rowcount == 1:  # type: ignore[attr-defined]
            set_committed_value(row, "attempts", row.attempts + 1)
            set_committed_value(row, "next_attempt_at", now + LEASE)
            claimed.append(row)
    return claimed


def start_sending(s: Session, row_id: int, token: int, now: dt.datetime, message_domain: str) -> bool:
    """Mark a leased row `sending` just before the transport is called, if the lease is still this sender's
    (a slow sender whose lease ran out finds the row claimed again, with another token, and leaves it). One
    conditional UPDATE decides, so of two senders holding the same claim only one starts. The Message-ID is
    fixed here, and committed before the send: a copy sent again (a retry after an error the server may have
    stored the message behind, a resend of a row whose outcome is unknown) carries the same one, and the
    receiver can tell it is a duplicate."""
    started = s.execute(update(Outbox).where(Outbox.id == row_id, Outbox.status == "pending",
                                             Outbox.attempts == token)
                        .values(status="sending", next_attempt_at=now,
                                message_id=func.coalesce(Outbox.message_id, new_message_id(message_domain)))
                        .execution_options(synchronize_session=False))
    return started.rowcount == 1  # type: ignore[attr-defined]


def send(s: Session, row: Outbox, delivery: Delivery) -> None:
    """Send one row that start_sending marked (it holds its Message-ID); raises DeliveryError."""
    channel, address = _address(s, row.recipient, delivery)
    transport = delivery.smtp if channel == "email" else delivery.telegram
    if transport is None:
        raise DeliveryError(f"no {channel} transport configured", permanent=True)
    if row.message_id is None:
        raise DeliveryError("not marked for sending: no Message-ID", permanent=True)
    attachment = (row.attachment_name, row.attachment) if row.attachment_name and row.attachment else None
    transport.send(address, row.subject, row.body, row.message_id, tuple((row.thread_references or "").split()),
                   attachment)


# Links that act for the client (the one-time survey) must not stay readable in the outbox once delivered.
ONE_TIME_LINKS: dict[str, re.Pattern[str]] = {"client_survey": re.compile(r"(/survey/)[\w-]+")}


def settle(row: Outbox, error: DeliveryError | None, now: dt.datetime) -> None:
    if error is None:
        row.status, row.sent_at, row.last_error = "sent", now, None
        if row.kind in ONE_TIME_LINKS:
            row.body = ONE_TIME_LINKS[row.kind].sub(r"\1…", row.body)
    elif error.permanent or row.attempts >= MAX_ATTEMPTS:
        row.status, row.last_error = "failed", str(error)[:2000]
    else:
        row.status, row.last_error = "pending", str(error)[:2000]
        row.next_attempt_at = now + min(dt.timedelta(seconds=30 * 2 ** (row.attempts - 1)), dt.timedelta(hours=1))
