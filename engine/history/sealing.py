"""AES-256-GCM sealing of event data with a case key (pure: no database, shared with the migration).

A sealed value is nonce ‖ ciphertext ‖ tag of the data packed (compact JSON, deflated when that is shorter:
engine/history/packing.py), bound to its event's place (instance id and seq) as associated data, so a value
moved to another event or case does not open.
"""
from __future__ import annotations

import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from engine.history import packing

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # random per value: a case seals a few hundred values at most, far from any nonce limit


class UnreadableData(Exception):
    """Sealed data that does not open with the key given: it was changed, moved, or the key is wrong."""


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _place(instance_id: int, seq: int) -> bytes:
    return f"instance_event:{instance_id}:{seq}".encode("ascii")


def seal(key: bytes, instance_id: int, seq: int, data: dict[str, Any]) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, packing.pack(data), _place(instance_id, seq))


def open_sealed(key: bytes, instance_id: int, seq: int, sealed: bytes) -> dict[str, Any]:
    try:
        plain = AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _place(instance_id, seq))
    except (InvalidTag, ValueError) as err:
        raise UnreadableData(f"the sealed data of instance {instance_id} seq {seq} does not open") from err
    value = packing.unpack(plain)
    return value if isinstance(value, dict) else {"value": value}
