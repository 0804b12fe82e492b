"""Engine errors: what went wrong in domain words, with no HTTP in them (web/errors.py maps them)."""
from __future__ import annotations


class EngineError(Exception):
    """Base of every error a use case raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(EngineError):
    pass


class TaskNotFound(NotFound):
    pass


class InstanceNotFound(NotFound):
    pass


class ComplaintNotFound(NotFound):
    pass


class SurveyNotFound(NotFound):
    pass


class AppealNotFound(NotFound):
    pass


class DefinitionNotFound(NotFound):
    pass


class IncidentNotFound(NotFound):
    pass


class VersionNotFound(NotFound):
    """A version asked for by number that was never deployed (unlike DefinitionNotFound, not a setup fault)."""


class Conflict(EngineError):
    """The request no longer fits the current state: someone else got there first."""


class TaskNotOpen(Conflict):
    pass


class TaskAssignedToOther(Conflict):
    pass


class SurveyAnswered(Conflict):
    """A survey link is used once."""


class AppealProcessed(Conflict):
    """An appeal already marked processed (or turned into a complaint) is not handled a second time."""


class ConcurrentUpdate(Conflict):
    pass


class Deadlock(ConcurrentUpdate):
    """The database broke a deadlock (or a serialization conflict) by aborting this transaction."""


class InvalidInput(EngineError):
    """Input that breaks a rule; `fields` maps a field path to its messages."""

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class InvalidDefinition(EngineError):
    """A diagram that cannot be deployed; `problems` names the file and element of each."""

    def __init__(self, message: str, problems: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.problems = problems


class StepFailed(EngineError):
    """A script, expression or timer raised: the instance was left as it was and an incident opened."""

    def __init__(self, message: str, incident_id: int) -> None:
        super().__init__(message)
        self.incident_id = incident_id


class NotAllowed(EngineError):
    """The actor may not do this (a role or department rule)."""


class RateLimited(EngineError):
    """Too many submissions from one address in a short time."""
