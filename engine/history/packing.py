"""Event data as it is sealed: compact JSON, deflated with a preset dictionary when that is shorter.

Event data is small (a form, what it changed, a task's group): deflate alone saves little on a hundred
bytes, but primed with the phrases events repeat (`{"form":{`, the step timestamps, the start variables)
a value shrinks to about half. The packed value starts with DEFLATED (0x01), a byte JSON text never
starts with, so values sealed as plain JSON before (or now, when deflating does not pay) open as before.
DICTIONARY is part of the stored format: never change it; to improve it, add another first byte and
keep this one readable. The history export carries it, so an auditor can open the values offline.
"""
from __future__ import annotations

import json
import zlib
from typing import Any

DEFLATED = b"\x01"
# Phrases of the events the engine writes, the most frequent last (deflate reaches near ones in fewer bits).
DICTIONARY = (
    '{"timer":"","step":"","due_at":"2026-{"step":"","deadline":"breach","from":"2026-","to":"2026-'
    '"reason":"calendar","day":"{"from_department":"","department":"","responsible":"'
    '{"to":"","subject":"{"definition":"complaint","version":1,"variables":{"complaint_number":"P'
    '","department":"","received_at":"2026-","importance":"normal","kind":"external","max_reassignments":3,'
    '"max_contact_attempts":3,"max_rounds":3,"warning_fraction":0.75}}'
    '"justification":"justified","importance":"high","correction":"","agreed_with_client":true,'
    '"immediate":false,"implementation_date":"2026-","compensation":"apology"'
    '"implemented_at":"2026-","implementation_note":"'
    '"solution_works":true,"verification_note":"'
    '"satisfied":true,"loyal":true,"handover_summary":"'
    '"participants":[{"department":"","actions":"'
    '"nonconformities":[],"root_cause":"","improvement_needed":false'
    '"stage2_decision":"close","stage2_conclusion":"'
    '{"form":{"close_decision":"close"},"changed":{"stage1_status":"closed","stage2_status":"open"}}'
    '"stage2_status":"closed"'
    '{"form":{"belongs_to_department":true},"changed":{"step_completed_at":{"1.1":"2026-'
    '{"form":{"client_reached":true,"contact_summary":"'
    '"},"changed":{"step_completed_at":{"1.1":"2026-'
    '+00:00","1.2":"2026-+00:00","1.3":"2026-+00:00","1.4":"2026-+00:00","1.5":"2026-+00:00","1.6":"2026-'
    '+00:00"}}}'
    '{"candidate_group":"ДКС"}{"candidate_group":"СМК"}{"candidate_group":"'
).encode()


def pack(data: Any) -> bytes:
    plain = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
    packed = DEFLATED + packer.compress(plain) + packer.flush()
    return packed if len(packed) < len(plain) else plain


def unpack(value: bytes) -> Any:
    if value[:1] == DEFLATED:
        unpacker = zlib.decompressobj(-15, DICTIONARY)
        value = unpacker.decompress(value[1:]) + unpacker.flush()
    return json.loads(value)
