"""The Russian taxpayer number (ИНН): 10 digits for an organisation, 12 for a person, with check digits."""
from __future__ import annotations

import unicodedata

from engine.messages import Message

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def normalised_inn(inn: str) -> str:
    """The INN as ASCII digits: other scripts' decimal digits (Arabic-Indic, full-width…) become their
    ASCII digit and spaces go, so one taxpayer never gets a second counterparty; anything else stays
    for `inn_problem` to refuse."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in inn if not c.isspace())


def inn_problem(inn: str) -> str | None:
    """None when the INN is valid, else what is wrong with it."""
    if not (inn.isascii() and inn.isdigit()) or len(inn) not in (10, 12):
        return Message("An INN has 10 digits (organisation) or 12 digits (individual).")
    d = [int(c) for c in inn]
    if len(inn) == 10:
        ok = _check_digit(d, _W10) == d[9]
    else:
        ok = _check_digit(d, _W12_1) == d[10] and _check_digit(d, _W12_2) == d[11]
    return None if ok else Message("The INN check digits do not match: check the number.")
