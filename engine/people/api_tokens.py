"""Which API client a Bearer token belongs to, remembered for a few seconds so a request does not read it."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import ApiClient


@dataclass(frozen=True)
class ClientCard:
    """What a request needs of its API client; a copy, so it outlives the session that read it."""

    id: int
    name: str
    scopes: tuple[str, ...]
    channels: tuple[str, ...]
    user_id: int | None

    def allows(self, scope: str) -> bool:
        return not self.scopes or scope in self.scopes

    def allows_channel(self, channel: str) -> bool:
        return not self.channels or channel in self.channels


class ApiTokens:
    """Active clients by token hash, each kept `ttl` seconds after it was read. Revoking a client through
    this process's engine forgets it at once; a revocation made by another process (another web worker, the
    CLI) takes effect here within `ttl` seconds. Unknown and revoked tokens are never remembered, so a new
    client works at once and a refused token is read again every time."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._cards: dict[str, tuple[float, ClientCard]] = {}

    def find(self, s: Session, token_hash: str) -> ClientCard | None:
        now = self.clock()
        kept = self._cards.get(token_hash)
        if kept is not None and now - kept[0] < self.ttl:
            return kept[1]
        client = s.scalar(select(ApiClient).where(ApiClient.token_hash == token_hash))
        if client is None or client.revoked_at is not None:
            self._cards.pop(token_hash, None)
            return None
        card = ClientCard(client.id, client.name, tuple(client.scopes or ()), tuple(client.channels or ()),
                          client.user_id)
        if self.ttl > 0:
            self._cards[token_hash] = (now, card)
        return card

    def forget(self, token_hash: str) -> None:
        self._cards.pop(token_hash, None)
