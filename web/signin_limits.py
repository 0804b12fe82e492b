"""Sign-in attempt limits, per account and per address, in storage all workers share (Flask-Limiter)."""
from __future__ import annotations

from flask import Flask, current_app, request
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


def leave_out_the_per_request_check(app: Flask, limits: Limiter = limiter) -> None:
    """Flask-Limiter's before-request hook looks on every request for default, application, meta and
    blueprint limits; this app has none (the sign-in limits sit on their view, whose decorator checks them,
    and the after-request hook, kept, counts the failed attempts), so the hook only cost every API call
    ~0.05 ms. Called once every blueprint is registered: an app-wide or blueprint limit keeps the hook."""
    manager = limits.limit_manager
    if (manager.application_limits or manager.default_limits or limits._meta_limits
            or any(manager.blueprint_limits(app, name) for name in app.blueprints)):
        return
    hooks = app.before_request_funcs.get(None, [])
    if limits._check_request_limit in hooks:
        hooks.remove(limits._check_request_limit)
