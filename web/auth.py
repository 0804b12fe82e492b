"""API authentication: Bearer tokens of API clients (stored as SHA-256), scopes, and the acting person."""
from __future__ import annotations

from flask import current_app, g, request
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, Unauthorized

from engine import Actor
from engine.people.api_tokens import ClientCard
from engine.people.directory import hash_token
from models import User, db


def _client_from_header() -> ClientCard:
    """The request's API client (kept in `g.api_client` for the route); see `ApiTokens` for how long a
    revoked token may still be honoured by another worker."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an API client's token as 'Authorization: Bearer <token>'.")
    client = current_app.extensions["complaint_engine"].api_client(hash_token(token.strip()))
    if client is None:
        raise Unauthorized("Unknown or revoked API token.")
    g.api_client = client
    return client


def _person(client: ClientCard) -> User | None:
    """The person the call is made for: the user named in X-Act-As (scope act_as), else the client's own."""
    login = request.headers.get("X-Act-As")
    if not login:
        return db.session.get(User, client.user_id) if client.user_id is not None else None
    if not client.allows("act_as"):
        raise Forbidden("This API client may not act for users (scope act_as).")
    user = db.session.scalar(select(User).where(User.login == login, User.active.is_(True)))
    if user is None:
        raise Forbidden(f"No active user {login} to act for.")
    return user


def authenticate(scope: str, roles: tuple[str, ...]) -> Actor:
    """The acting person of an API call that needs `scope`; the person, if any, must hold one of `roles`."""
    client = _client_from_header()
    if not client.allows(scope):
        raise Forbidden(f"This API client lacks the scope {scope}.")
    user = _person(client)
    if user is None:
        return Actor(f"api:{client.name}", client_id=client.id)
    if not user.active:
        raise Forbidden(f"User {user.login} is not active.")
    if roles and not any(user.has_role(r) for r in roles):
        raise Forbidden(f"User {user.login} has no role that may do this ({', '.join(roles)}).")
    # Held until the request ends: the session's identity map keeps rows only while something refers to them,
    # so the engine's own check of this person (who may work on a task) would read the row a second time.
    g.api_person = user
    return Actor(f"{user.full_name} (api:{client.name})", user_id=user.id, client_id=client.id)


def forget_person(_exc: BaseException | None = None) -> None:
    g.pop("api_person", None)
