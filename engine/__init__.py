"""The process engine: the only package that imports SpiffWorkflow. Its front door is `ProcessEngine`.

Rooms: `bpmn/` (definitions, persistence, sandbox, running, forms, projections), `time/` (calendar,
deadlines, timers, scheduler), `intake/` (appeals from every channel), `notify/` (outbox and transports),
`people/` (actors, access, directory).
"""
from engine.bpmn.definitions import Bundle
from engine.front_door import ProcessEngine
from engine.intake.appeals import AppealInput, NewFile
from engine.people.actor import Actor
from engine.settings import EngineSettings

__all__ = ["Actor", "AppealInput", "Bundle", "EngineSettings", "NewFile", "ProcessEngine"]
