"""The acting person of a page's use case: the signed-in user (who may open which page is web/permissions.py)."""
from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from engine import Actor
from models import Department, db


def actor() -> Actor:
    return Actor(current_user.full_name, user_id=current_user.id)


def headed_departments() -> list[str]:
    """Codes of the departments the signed-in user heads (their part of the weekly review)."""
    return list(db.session.scalars(select(Department.code).where(Department.head_user_id == current_user.id)
                                   .order_by(Department.code)))
