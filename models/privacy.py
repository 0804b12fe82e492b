"""What the handling of personal data leaves behind: the record of every export of client data."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class DataExport(Base):
    """One download of client data (a list export, an attachment, a history export): who, when, what, how many
    rows. The filters are kept as typed; the rows themselves are not."""

    __tablename__ = "data_export"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    what: Mapped[str] = mapped_column(String(60))  # complaints, appeals, attachment, monthly_report, history
    format: Mapped[str] = mapped_column(String(10))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rows: Mapped[int]
