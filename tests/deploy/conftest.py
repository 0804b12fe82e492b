"""Deployment tests: the real command-line processes against the test database and a real SMTP server."""
from __future__ import annotations

from tests.client.conftest import smtp

__all__ = ["smtp"]
