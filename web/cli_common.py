"""What the command line's commands share: an engine error told as a command's error, field by field."""
from __future__ import annotations

import click

from engine.errors import EngineError


def fail(err: EngineError) -> None:
    details = "; ".join(f"{k}: {' '.join(v)}" for k, v in getattr(err, "fields", {}).items())
    raise click.ClickException(f"{err.message} {details}".strip())
