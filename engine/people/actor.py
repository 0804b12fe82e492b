"""Who performs a use case: a signed-in user, an API client, or an API client acting for a user."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    name: str
    user_id: int | None = None
    client_id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system")
