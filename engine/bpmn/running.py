"""Running a workflow step safely: errors become incidents and the last saved state stays untouched."""
from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy.orm import Session

from engine.bpmn.bounds import ScriptLimitExceeded
from engine.people.actor import Actor
from models import Incident


class StepError(Exception):
    """A failure inside the workflow, with the element that raised when Spiff knows it."""

    def __init__(self, message: str, element_id: str | None, kind: str) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.kind = kind


def _element_of(err: BaseException) -> str | None:
    task = getattr(err, "task", None)
    spec = getattr(task, "task_spec", None) or getattr(err, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(err, "id", None) or None


def run_step(workflow: BpmnWorkflow, step: Callable[[], Any]) -> None:
    """Run `step` then the engine steps; raise StepError for any failure, including uncaught BPMN errors."""
    try:
        step()
        workflow.do_engine_steps()
    except ScriptLimitExceeded as err:
        # Over its limits: the stop unwinds the whole step, so nothing of it is saved.
        raise StepError(err.message, err.element_id, "limit") from None
    except SpiffWorkflowException as err:
        raise StepError(str(err), _element_of(err), "script") from err
    except Exception as err:
        # A diagram can raise anything; every failure of it is an incident, never a crash.
        detail = "".join(traceback.format_exception_only(type(err), err)).strip()
        raise StepError(detail, _element_of(err), "engine") from err
    uncaught = [e for e in workflow.get_events() if isinstance(e.event_definition, ErrorEventDefinition)]
    if uncaught:
        name = uncaught[0].event_definition.name or uncaught[0].event_definition.code
        raise StepError(f"uncaught BPMN error {name}", None, "bpmn_error")


def open_incident(session: Session, instance_id: int | None, business_key: str | None, err: StepError,
                  actor: Actor, now: dt.datetime) -> Incident:
    incident = Incident(instance_id=instance_id, business_key=business_key, opened_at=now, kind=err.kind,
                        element_id=err.element_id, message=err.message[:4000], actor=actor.name)
    session.add(incident)
    session.flush()
    return incident
