"""Messages the engine gives people: English text that keeps its gettext id and its values, so a page can
translate it at the source (the id) while the API shows the English text."""
from __future__ import annotations

from typing import Any


class Message(str):
    """A str (the English text, as the API answers it) that remembers `msgid` and the values put into it.

    `Message("Longer than {limit} characters.", limit=200)` reads "Longer than 200 characters."; a page
    looks up the msgid in the engine's catalogue and formats the translation with the same values."""

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, **values: Any) -> Message:
        text = super().__new__(cls, msgid.format(**values) if values else msgid)
        text.msgid = msgid
        text.values = values
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (self.msgid, self.values)


def _rebuild(msgid: str, values: dict[str, Any]) -> Message:
    return Message(msgid, **values)
