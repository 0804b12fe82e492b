"""Installing a diagram past deploy-time validation, as one deployed before that validation existed would be:
tests of the runtime's own guards (limits, incidents, sandbox) need diagrams validation now refuses."""
from __future__ import annotations

from engine import Bundle, ProcessEngine
from models import ProcessDefinition


def deploy_unchecked(engine: ProcessEngine, key: str, bundle: Bundle, actor: str = "owner",
                     comment: str | None = None) -> ProcessDefinition:
    """Parsed and compiled only (the checks of the earlier releases), then committed."""
    row = engine.definitions.deploy(engine.session, key, bundle, actor, comment)
    engine.session.commit()
    return row
