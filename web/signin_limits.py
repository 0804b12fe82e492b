"""Sign-in attempt limits, per account and per address, in storage all workers share (Flask-Limiter)."""
from __future__ import annotations

from flask import current_app, request
from flask_limiter import Limiter
from werkzeug.wrappers import Response

limiter = Limiter(key_func=lambda: request.remote_addr or "unknown", default_limits=[])


def account_key() -> str:
    return "account:" + (request.form.get("login") or "").strip().casefold()


def address_key() -> str:
    return "address:" + (request.remote_addr or "unknown")


def failed(response: Response) -> bool:
    """Only attempts that did not sign in count (success redirects)."""
    return response.status_code != 302


def per_account() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def per_address() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ADDRESS"])
