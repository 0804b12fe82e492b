"""Engine messages in the language of the page: each is looked up by its gettext id in the `engine` catalogue
(English ids, as the API answers them) and filled with its own values, so nothing is parsed back out of text."""
from __future__ import annotations

from flask_babel import Domain

from engine.messages import Message

ENGINE = Domain(domain="engine")


def localized(message: str) -> str:
    """The message in the page's language; text that is not an engine `Message` is shown as it is."""
    if not isinstance(message, Message):
        return message
    return ENGINE.gettext(message.msgid).format(**message.values)


def localized_fields(fields: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [localized(m) for m in messages] for name, messages in fields.items()}
