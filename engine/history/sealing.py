"""Sealing of event data with a case key (pure: no database, shared with the migration).

The data is packed (compact JSON, deflated when that is shorter: engine/history/packing.py) and bound to its
event's place (instance id and seq) as associated data, so a value moved to another event or case does not open.
The case key says how:
- 33 bytes starting with SIV (the keys `new_key` makes): AES-256-GCM-SIV (RFC 8452) under the other 32 bytes,
  the nonce being the event's seq, so the value is ciphertext ‖ tag and stores no nonce. A seq is sealed twice
  under one key only when a transaction that sealed it rolled back (its value may linger in a database's log);
  GCM-SIV is built for a repeated nonce: it then shows at most whether the two data were equal, where plain GCM
  would give away both and the key to forge with.
- 32 bytes (cases keyed before): AES-256-GCM, a random 12-byte nonce ‖ ciphertext ‖ tag.
"""
from __future__ import annotations

import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESGCMSIV

from engine.history import packing

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # GCM: random per value, a case seals a few hundred values at most, far from any nonce limit
SIV = b"\x02"  # the first byte of a case key that seals with AES-256-GCM-SIV


class UnreadableData(Exception):
    """Sealed data that does not open with the key given: it was changed, moved, or the key is wrong."""


def new_key() -> bytes:
    return SIV + AESGCMSIV.generate_key(bit_length=KEY_BYTES * 8)


def _place(instance_id: int, seq: int) -> bytes:
    return f"instance_event:{instance_id}:{seq}".encode("ascii")


def _siv(key: bytes) -> AESGCMSIV | None:
    return AESGCMSIV(key[1:]) if len(key) == KEY_BYTES + 1 and key[:1] == SIV else None


def _nonce(seq: int) -> bytes:
    return seq.to_bytes(NONCE_BYTES, "big")


def seal(key: bytes, instance_id: int, seq: int, data: dict[str, Any]) -> bytes:
    packed, place = packing.pack(data), _place(instance_id, seq)
    if (siv := _siv(key)) is not None:
        return siv.encrypt(_nonce(seq), packed, place)
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, packed, place)


def open_sealed(key: bytes, instance_id: int, seq: int, sealed: bytes) -> dict[str, Any]:
    place = _place(instance_id, seq)
    try:
        if (siv := _siv(key)) is not None:
            plain = siv.decrypt(_nonce(seq), sealed, place)
        else:
            plain = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], place)
    except (InvalidTag, ValueError) as err:
        raise UnreadableData(f"the sealed data of instance {instance_id} seq {seq} does not open") from err
    value = packing.unpack(plain)
    return value if isinstance(value, dict) else {"value": value}
