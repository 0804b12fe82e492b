"""The acting person of a page's use case: the signed-in user (who may open which page is web/permissions.py)."""
from __future__ import annotations

from flask_login import current_user

from engine import Actor


def actor() -> Actor:
    return Actor(current_user.full_name, user_id=current_user.id)
