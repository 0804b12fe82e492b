"""People and access: departments, their complaint responsibles, users and API clients."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow

ROLES = ("operator", "responsible", "qms", "owner", "executive", "admin")

user_departments = Table(
    "user_department",
    Base.metadata,
    Column("user_id", ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("department.id", ondelete="CASCADE"), primary_key=True),
)


class Department(Base):
    """A company department (подразделение); `code` is what people and channels type, e.g. «ДКС»."""

    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_qms: Mapped[bool] = mapped_column(default=False)
    head_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    responsibles: Mapped[list[Responsible]] = relationship(
        back_populates="department", order_by="Responsible.id"
    )


class User(Base):
    """A person who signs in; Flask-Login reads the four attributes below."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    telegram_chat_id: Mapped[str | None] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session cookie's user id: raising it ends every session signed in before.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    departments: Mapped[list[Department]] = relationship(secondary=user_departments)

    def has_role(self, role: str) -> bool:
        return role in (self.roles or []) or "admin" in (self.roles or [])

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"


class Responsible(Base):
    """A designated complaints responsible of a department (REQUIREMENTS §7): data QMS edits."""

    __tablename__ = "responsible"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    position: Mapped[str] = mapped_column(String(200))
    person_name: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    active: Mapped[bool] = mapped_column(default=True)
    department: Mapped[Department] = relationship(back_populates="responsibles")
    user: Mapped[User | None] = relationship()

    @property
    def display_name(self) -> str:
        return self.person_name or self.position


class ApiClient(Base):
    """An intake channel or integration calling the API with a Bearer token (stored hashed)."""

    __tablename__ = "api_client"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    channels: Mapped[list[Any]] = mapped_column(default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    user: Mapped[User | None] = relationship()

    def allows(self, scope: str) -> bool:
        return not self.scopes or scope in self.scopes

    def allows_channel(self, channel: str) -> bool:
        return not self.channels or channel in self.channels
