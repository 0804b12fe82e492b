"""Corrective tasks past their deadline: the assignee and QMS are told once, like a breached stage-1 step."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.notify import notifications
from models import Complaint, CorrectiveAction


def notify_overdue(s: Session, now: dt.datetime, tz: ZoneInfo, qms_department: str, base_url: str) -> list[int]:
    """Queue a notice for each corrective task not done whose deadline day ended; the dedupe key (task,
    deadline, recipient) makes it once per deadline, also when QMS moves the deadline and it passes again."""
    today = now.astimezone(tz).date()
    rows = s.execute(select(CorrectiveAction, Complaint).join(Complaint, Complaint.id == CorrectiveAction.complaint_id)
                     .where(CorrectiveAction.status != "done", CorrectiveAction.deadline < today,
                            or_(Complaint.stage2_status.is_(None), Complaint.stage2_status != "closed"))
                     .order_by(CorrectiveAction.id).limit(500))
    noticed = []
    for action, complaint in rows:
        assert action.deadline is not None
        recipients = [f"group:{qms_department}"]
        if action.assignee_user is not None:
            recipients.insert(0, f"user:{action.assignee_user.login}")
        context = {"number": complaint.number, "task": action.description, "assignee": action.assignee,
                   "deadline": action.deadline.strftime("%d.%m.%Y"), "register_url": f"{base_url}/improvement"}
        queued = [notifications.enqueue(s, "corrective_overdue", recipient,
                                        f"corrective:{action.id}:{action.deadline.isoformat()}:{recipient}",
                                        context, now, complaint.number) for recipient in recipients]
        if any(queued):
            noticed.append(action.id)
    return noticed
