"""Use cases of the history: reading a complaint's events, checking the chains, exporting for an auditor."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.bpmn.runtime import Runtime
from engine.errors import InstanceNotFound, InvalidInput
from engine.history import export, vault, verify
from engine.messages import Message
from engine.people.actor import Actor
from engine.privacy import exports
from models import ProcessInstance


def history(rt: Runtime, business_key: str) -> list[vault.OpenedEvent]:
    """A complaint's events, oldest first, with their data opened (None and `erased` once shredded)."""
    return vault.events_of_business_key(rt.session, business_key)


def verify_history(rt: Runtime) -> verify.Report:
    """Check every instance's chain against its rows and head; the first broken link is named (read only)."""
    return verify.check_database(rt.session)


def verify_complaint_history(rt: Runtime, business_key: str) -> verify.Report:
    return verify.check_database(rt.session, _instance_ids(rt, business_key))


def verify_history_export(rt: Runtime, document: Any) -> verify.Report:
    """Check an exported file on its own: no database is read."""
    try:
        return verify.check_export(document)
    except verify.MalformedExport as err:
        raise InvalidInput("This is not a history export.", {"file": [str(err)]}) from err


def export_history(rt: Runtime, business_key: str, actor: Actor) -> dict[str, Any]:
    """One complaint's history with its chain, for an auditor. Every export of it goes through here."""
    with rt.transaction() as s:
        instances = list(s.scalars(select(ProcessInstance).where(ProcessInstance.business_key == business_key)
                                   .order_by(ProcessInstance.id)))
        if not instances:
            raise InstanceNotFound(Message("No process instance for {key}.", key=business_key))
        document = export.document(s, instances, business_key, actor.name, rt.clock())
        exports.note(s, actor, "history", "json", {"complaint": business_key},
                     sum(len(i["events"]) for i in document["instances"]), rt.clock())
        return document


def _instance_ids(rt: Runtime, business_key: str) -> list[int]:
    ids = list(rt.session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key == business_key)))
    if not ids:
        raise InstanceNotFound(Message("No process instance for {key}.", key=business_key))
    return ids
