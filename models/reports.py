"""What QMS control keeps: the runs of the report cron jobs and the KPI weights QMS sets."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class CronRun(Base):
    """One run of a cron job for one period (e.g. weekly-digest, 2026-W48): the unique pair is the claim
    that lets exactly one of several scheduler processes do the job."""

    __tablename__ = "cron_run"
    __table_args__ = (UniqueConstraint("job", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(String(300), default="")


class KpiWeight(Base):
    """The weight of one KPI indicator in a responsible's score (REQUIREMENTS §8.3), set by QMS."""

    __tablename__ = "kpi_weight"
    id: Mapped[int] = mapped_column(primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40), unique=True)
    weight: Mapped[int]
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
