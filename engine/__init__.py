"""The process engine: the only package that imports SpiffWorkflow."""
from engine.actor import Actor
from engine.definitions import Bundle
from engine.intake import AppealInput, NewFile
from engine.process_engine import EngineSettings, ProcessEngine

__all__ = ["Actor", "AppealInput", "Bundle", "EngineSettings", "NewFile", "ProcessEngine"]
