"""API authentication: Bearer tokens of API clients (stored as SHA-256), scopes, and the acting person."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, Unauthorized

from engine import Actor
from engine.people.directory import hash_token
from models import ApiClient, User, db

F = TypeVar("F", bound=Callable[..., Any])


def _client_from_header() -> ApiClient:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an API client's token as 'Authorization: Bearer <token>'.")
    client = db.session.scalar(select(ApiClient).where(ApiClient.token_hash == hash_token(token.strip())))
    if client is None or client.revoked_at is not None:
        raise Unauthorized("Unknown or revoked API token.")
    return client


def _actor(client: ApiClient) -> Actor:
    login = request.headers.get("X-Act-As")
    user: User | None = client.user
    if login:
        if not client.allows("act_as"):
            raise Forbidden("This API client may not act for users (scope act_as).")
        user = db.session.scalar(select(User).where(User.login == login, User.active.is_(True)))
        if user is None:
            raise Forbidden(f"No active user {login} to act for.")
    if user is None:
        return Actor(f"api:{client.name}", client_id=client.id)
    return Actor(f"{user.full_name} (api:{client.name})", user_id=user.id, client_id=client.id)


def requires(scope: str) -> Callable[[F], F]:
    """Authenticate the API client, check `scope`, and put the acting person in `g.actor`."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            client = _client_from_header()
            if not client.allows(scope):
                raise Forbidden(f"This API client lacks the scope {scope}.")
            g.actor = _actor(client)
            return view(*args, **kwargs)
        return wrapper  # type: ignore[return-value]
    return decorate
