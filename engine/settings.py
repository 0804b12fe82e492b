"""The engine's settings: plain values the composition root (web/app.py) reads from configuration."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.bpmn.bounds import ScriptLimits
from engine.intake.public import PublicRules
from engine.privacy.retention import RetentionRules
from engine.time.calendar import DEFAULT_WEEK, Period


@dataclass(frozen=True)
class EngineSettings:
    processes_dir: Path
    complaint_process: str = "complaint"
    qms_department: str = "СМК"
    lane_groups: dict[str, str] = field(default_factory=lambda: {"СМК": "СМК"})
    # Lanes whose tasks go to the complaint's own department (the `department` variable), not a fixed group.
    department_lanes: tuple[str, ...] = ("Ответственный подразделения",)
    max_reassignments: int = 3
    max_contact_attempts: int = 3
    max_rounds: int = 3
    timezone: str = "Europe/Moscow"
    week: dict[int, tuple[Period, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    warning_fraction: float = 0.75
    # Instances whose workflow and projection rows stay loaded in each process after a save (0: none). Each
    # holds some 800 objects the garbage collector walks at every full collection, stopping every thread:
    # 1,024 of them made pauses of up to a second; a use case's next step on the same instance needs few.
    warm_cache_size: int = 256
    # How long a web worker trusts the API client it read for a token; a revocation made elsewhere (another
    # worker, the CLI) takes effect within this many seconds, one made through the same engine at once.
    api_token_seconds: float = 5.0
    attachments_dir: Path = Path("instance/attachments")
    public: PublicRules = field(default_factory=PublicRules)
    script_limits: ScriptLimits = field(default_factory=ScriptLimits)
    retention: RetentionRules = field(default_factory=RetentionRules)
    # werkzeug's method string for new password hashes; a stored hash names its own, so changing it never
    # locks anyone out.
    password_hashing: str = "scrypt"
