"""Previews of notification templates: rendered with sample data, and a broken template reported by field."""
from __future__ import annotations

from typing import Any

from jinja2 import TemplateError, meta

from engine.errors import InvalidInput
from engine.messages import Message
from engine.notify.notifications import _JINJA, DEFAULTS

_STEP = {"number": "P2611270003", "step": "1.3", "due_at": "01.12.2026 18:00",
         "task": "1.3 Выработать и согласовать коррекцию"}
_WEEK = {"week": "2026-W48", "first_day": "23.11.2026", "last_day": "29.11.2026", "received": 12, "due": 7,
         "overdue": 2, "closed": 9,
         "groups": [{"department": "ДКС", "responsible": "Бадыштова К.", "received": 5, "due": 3, "overdue": 1,
                     "closed": 4, "overdue_numbers": "P2611240001"}]}

# What each notification is rendered with in the preview: the variables the real notices carry.
SAMPLES: dict[str, dict[str, Any]] = {
    "ack_client": {"number": "A2611270007", "complaint_number": "P2611270003", "answer_by": "02.12.2026",
                   "track_url": "https://desk.example.ru/track?number=P2611270003"},
    "deadline_warning": _STEP, "deadline_breach": _STEP, "deadline_goal": _STEP,
    "site_complaint": {"number": "A2611270007", "complaint_number": "P2611270003", "author": "Иванова Анна",
                       "contact": "anna@example.ru", "organisation": "ООО «Ромашка»",
                       "text": "Не работает обмен с банком."},
    "low_rating": {"rating": 2, "subject": "Оценка работы менеджера", "comment": "Долго не отвечали",
                   "number": "A2611270008"},
    "client_reply": {"number": "P2611270003", "subject": "Ответ по претензии P2611270003",
                     "text": "Обмен с банком восстановлен, проверьте, пожалуйста.",
                     "track_url": "https://desk.example.ru/track?number=P2611270003"},
    "client_message": {"number": "P2611270003", "sender": "anna@example.ru", "from_contact": True,
                       "subject": "Re: Ответ по претензии", "text": "Спасибо, всё работает.",
                       "card_url": "https://desk.example.ru/complaints/P2611270003"},
    "client_survey": {"number": "P2611270003", "survey_url": "https://desk.example.ru/survey/пример"},
    "calendar_provisional": {"year": 2028},
    "weekly_digest": _WEEK,
    "monthly_report": {"month": "2026-11", "received": 41, "closed_stage1": 37, "loyalty_percent": 86.5,
                       "satisfaction_percent": 91.9, "on_time_percent": 88.2, "closed_within_goal_percent": 70.3},
}


def preview(kind: str, subject: str, body: str) -> dict[str, Any]:
    """The subject and body rendered with the sample data of `kind`, and the variables they use that the
    notification does not carry (rendered empty). A template that does not parse or render is a field error."""
    if kind not in DEFAULTS:
        raise InvalidInput("Unknown notification.", {"kind": ["Known: " + ", ".join(DEFAULTS) + "."]})
    sample = SAMPLES.get(kind, {})
    rendered: dict[str, str] = {}
    unknown: set[str] = set()
    problems: dict[str, list[str]] = {}
    for name, text in (("subject", subject), ("body", body)):
        try:
            unknown |= meta.find_undeclared_variables(_JINJA.parse(text)) - sample.keys()
            rendered[name] = _JINJA.from_string(text).render(sample)
        except TemplateError as err:
            problems[name] = [Message("Template error: {error}", error=err)]
    if problems:
        raise InvalidInput("The template has errors.", problems)
    return {"subject": rendered["subject"].strip(), "body": rendered["body"], "unknown": sorted(unknown),
            "sample": sample}
