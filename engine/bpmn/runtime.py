"""How a use case runs: the transaction, starting, advancing and saving an instance with its projections."""
from __future__ import annotations

import copy
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import column_checks
from engine.bpmn import bounds, direct_writes, projection, walk, warm
from engine.bpmn import rows as instance_rows
from engine.bpmn.definitions import Definitions, Deployed
from engine.bpmn.persistence import dump_workflow, load_workflow
from engine.bpmn.running import StepError, open_incident, run_step
from engine.bpmn.scripting import make_script_engine
from engine.client import survey
from engine.client.conversation import Links
from engine.errors import ConcurrentUpdate, Deadlock, StepFailed
from engine.history import writer as history
from engine.intake import written_files
from engine.messages import Message
from engine.notify.notifications import Delivery
from engine.people import access
from engine.people.actor import Actor
from engine.settings import EngineSettings
from engine.time import calendar as work_calendar
from engine.time import deadlines, timers
from engine.time.deadlines import CalendarSource
from models import Complaint, Deadline, ProcessInstance, Task, User, utcnow

T = TypeVar("T")
# PostgreSQL's deadlock_detected and serialization_failure: the transaction can simply run again.
RETRYABLE_SQLSTATES = ("40P01", "40001")


def answer_date(planned: dict[str, Any]) -> str | None:
    return next((step["due_at"] for step in planned["steps"] if step["code"] == "1.3"), None)


class Runtime:
    """The mechanics every use case shares: the session, clock, definitions, calendar and script engine,
    and the steps of a transaction. The use-case modules of each concern receive it."""

    def __init__(self, session: Session, settings: EngineSettings,
                 clock: Callable[[], dt.datetime] = utcnow, delivery: Delivery | None = None) -> None:
        column_checks.install()
        written_files.install()
        history.install()
        direct_writes.install()
        self.delivery = delivery or Delivery()
        self.session = session
        self.settings = settings
        self.clock = clock
        self.tz = ZoneInfo(settings.timezone)
        self.definitions = Definitions()
        self.calendars = CalendarSource(session, settings.timezone, settings.week)
        bounds.trust(deadlines.__file__, work_calendar.__file__)
        self.script_engine = make_script_engine(deadlines.helpers(self.calendars.current), settings.script_limits)
        self.warm = warm.WarmCache(settings.warm_cache_size)
        self.on_timer_armed: Callable[[dt.datetime], None] | None = None
        # Due times armed by the transaction running on each thread (requests and the scheduler's tick share
        # this runtime): one thread's transaction must neither clear nor take another's.
        self._local = threading.local()

    @property
    def _armed(self) -> list[dt.datetime]:
        armed: list[dt.datetime] | None = getattr(self._local, "armed", None)
        if armed is None:
            armed = self._local.armed = []
        return armed

    # --- steps of the use cases --------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Session]:
        s = self.session
        self._armed.clear()
        deadlines.ACTIVE_DEPARTMENT.set(None)
        instance_rows.forget(s)
        s.info[warm.IN_TRANSACTION] = True
        try:
            self.calendars.hold(self.clock().date())
            yield s
            direct_writes.write_changed(s)
            s.flush()
            leaving = self.warm.settle(s)
            s.commit()
            self.warm.keep(leaving)
            armed = list(self._armed)
            self._armed.clear()
            for due_at in armed:
                if self.on_timer_armed is not None:
                    self.on_timer_armed(due_at)
        except IntegrityError as err:
            s.rollback()
            if history.is_chain_race(err):
                raise ConcurrentUpdate("Someone else changed this process at the same moment; reload.") from err
            raise
        except (StaleDataError, OperationalError) as err:
            s.rollback()
            if getattr(getattr(err, "orig", None), "sqlstate", None) in RETRYABLE_SQLSTATES:
                raise Deadlock(Message("The database aborted this change to break a deadlock.")) from err
            if isinstance(err, OperationalError) and "locked" not in str(err):
                raise
            raise ConcurrentUpdate(Message("Someone else changed this process at the same moment; reload.")) from err
        except BaseException:
            s.rollback()
            raise
        finally:
            self.warm.drop(s)
            self.calendars.release()
            deadlines.ACTIVE_DEPARTMENT.set(None)

    def retrying(self, attempt: Callable[[], T], tries: int = 3) -> T:
        """Run a use case's transaction again when the database aborted it to break a deadlock."""
        for remaining in range(tries - 1, -1, -1):
            try:
                return attempt()
            except Deadlock:
                if remaining == 0:
                    raise
        raise AssertionError("unreachable")

    def start_in(self, s: Session, deployed: Deployed, business_key: str, variables: dict[str, Any],
               actor: Actor, now: dt.datetime, planned: list[Deadline] | None = None) -> ProcessInstance:
        """Start an instance; `planned` are its complaint's deadlines made in this transaction, not written yet
        (the first save writes them with the rest)."""
        def begun() -> BpmnWorkflow:
            workflow = BpmnWorkflow(deployed.spec, deployed.subprocess_specs, script_engine=self.script_engine)
            workflow.task_tree.data.update(copy.deepcopy(variables))  # a failed start must not have changed them
            return workflow

        workflow = begun()
        # The row goes in now (the history and the projections name it); its state is written by the save
        # below, or, should the first steps fail, is the workflow as it begins: what a retry runs from.
        instance = direct_writes.insert_instance(s, ProcessInstance(
            definition_id=deployed.id, business_key=business_key, status="active", state=b"", started_at=now,
            updated_at=now))
        # A new instance has no tasks or timers yet; its deadlines are the planned ones, if any.
        instance_rows.put(s, instance.id, instance_rows.InstanceRows(
            deadlines={d.step: d for d in planned or []}))
        projection.record(s, instance, actor, "started", now,
                          {"definition": deployed.key, "version": deployed.version, "variables": variables})
        try:
            run_step(workflow, lambda: None)
        except StepError as err:
            instance.status, instance.state = "incident", dump_workflow(begun())
            incident = open_incident(s, instance.id, business_key, err, actor, now)
            projection.record(s, instance, actor, "incident_opened", now,
                              {"incident": incident.id, "message": err.message})
            return instance
        self.save(s, instance, workflow, deployed, actor, now)
        return instance

    def advance(self, s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: Actor,
                 now: dt.datetime, step: Callable[[], Any]) -> None:
        """Run a step; on failure drop everything unsaved, open an incident and raise StepFailed."""
        try:
            run_step(workflow, step)
        except StepError as err:
            instance_id, key = instance.id, instance.business_key
            s.rollback()
            incident = open_incident(s, instance_id, key, err, actor, now)
            s.commit()
            raise StepFailed(f"The process failed at {err.element_id or 'a step'}: {err.message}",
                             incident.id) from err

    def save(self, s: Session, instance: ProcessInstance, workflow: BpmnWorkflow, deployed: Deployed,
              actor: Actor, now: dt.datetime, ready: list[Any] | None = None) -> None:
        """`ready`: the workflow's ready human tasks as it stands now, when the caller has them already."""
        with s.no_autoflush:
            ready = walk.ready_human_tasks(workflow) if ready is None else ready
            data = projection.current_data(workflow, ready)
            complaint = projection.complaint_of(s, instance)
            rows = instance_rows.of(s, instance)
            if complaint is not None:
                stage1_was = complaint.stage1_status
                projection.project_complaint(s, instance, complaint, data, actor, now)
                if stage1_was != "closed" and complaint.stage1_status == "closed":
                    survey.send(s, complaint, instance, now, Links.of(self.settings))
            projection.sync_tasks(s, instance, complaint, workflow, deployed, self.settings.lane_groups, actor,
                                  now, rows, ready)
            armed = timers.sync(s, instance, workflow, complaint, self.settings.qms_department, actor, now, rows)
            self._armed.extend(t.due_at for t in armed)
            timers.set_task_due_dates(s, instance, rows)
            if workflow.is_completed() and instance.status != "completed":
                instance.status, instance.ended_at = "completed", now
                projection.record(s, instance, actor, "completed", now)
            # The projection rows go out one statement per table; the instance row is written last, at the
            # commit's flush, with its history head riding along in the same UPDATE.
            instance_rows.write(s, rows)
            instance.state = dump_workflow(workflow)
            instance.updated_at = now
        self.warm.saved(s, instance, workflow)

    def load(self, instance: ProcessInstance, deployed: Deployed) -> BpmnWorkflow:
        """The instance's workflow, its timer expressions set to use its department's calendar. Inside a
        transaction the warm cache may hand it over (with its projection rows) instead of reading it."""
        complaint = projection.complaint_of(self.session, instance)
        deadlines.ACTIVE_DEPARTMENT.set(complaint.department.code if complaint and complaint.department else None)
        workflow = self.warm.take(self.session, instance)
        if workflow is None:
            workflow = load_workflow(instance.state, deployed.spec, deployed.subprocess_specs)
        workflow.script_engine = self.script_engine
        return workflow

    def set_assignee(self, s: Session, row: Task, user: User, actor: Actor, kind: str,
                      reason: str | None) -> Task:
        instance = access.lock_instance(s, row.instance_id)
        before = row.assignee.login if row.assignee else None
        row.assignee_id = user.id
        complaint = s.scalar(select(Complaint).where(Complaint.number == row.business_key))
        if complaint is not None and row.lane not in self.settings.lane_groups:
            complaint.responsible_user_id = user.id
        instance.updated_at = self.clock()
        projection.record(s, instance, actor, kind, instance.updated_at,
                          {"from": before, "to": user.login, "reason": reason}, row)
        s.flush()
        return row

    def note_armed(self, dues: list[dt.datetime]) -> None:
        """Due times armed or moved in this transaction: the scheduler is woken for them after commit."""
        self._armed.extend(dues)

    def answer_by(self, received_at: dt.datetime, department: str | None = None) -> dt.datetime | None:
        """The moment promised to the client for an appeal received then: the end of step 1.3."""
        deployed = self.definitions.latest(self.session, self.settings.complaint_process)
        with deadlines.department_calendar(department):
            planned = deadlines.what_if(deployed, self.script_engine, received_at, self.calendars.current(),
                                        self.settings.warning_fraction)
        due = answer_date(planned)
        return dt.datetime.fromisoformat(due) if due else None

    def local_date(self, iso: str | None, department: str | None = None) -> str:
        if not iso:
            return "—"
        tz = self.calendars.of_department(department).tz
        return dt.datetime.fromisoformat(iso).astimezone(tz).strftime("%d.%m.%Y")
