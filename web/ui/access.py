"""Who may see what: role checks for pages and the acting person for use cases."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select

from engine import Actor
from models import Department, db

F = TypeVar("F", bound=Callable[..., Any])

READERS = ("operator", "responsible", "qms", "owner", "executive")
WORKERS = ("responsible", "qms")
REGISTRARS = ("operator", "responsible", "qms")
REPORT_READERS = ("qms", "owner", "executive")  # the monthly report, the KPIs and the whole weekly review


def roles_required(*roles: str) -> Callable[[F], F]:
    """Signed in, and holding one of `roles` (admin holds all): otherwise 403."""
    def decorate(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not any(current_user.has_role(r) for r in roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate


def actor() -> Actor:
    return Actor(current_user.full_name, user_id=current_user.id)


def headed_departments() -> list[str]:
    """Codes of the departments the signed-in user heads (their part of the weekly review)."""
    return list(db.session.scalars(select(Department.code).where(Department.head_user_id == current_user.id)
                                   .order_by(Department.code)))
