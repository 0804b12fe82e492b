"""Starting and stopping the real `complaint-desk` and gunicorn processes for the deployment tests."""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(database_url: str, instance: Path, smtp_port: int, **extra: str) -> dict[str, str]:
    """What a production process reads: its database, key, instance folder and SMTP server; fast polls."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=database_url, COMPLAINT_DESK_INSTANCE=str(instance), SECRET_KEY=secrets.token_urlsafe(32),
               SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp_port), SMTP_SENDER="complaints@company.example",
               QMS_EMAIL="smk@company.example", CEO_EMAIL="ceo@company.example",
               COMMERCIAL_DIRECTOR_EMAIL="commerce@company.example",
               SCHEDULER_POLL_SECONDS="0.5", OUTBOX_POLL_SECONDS="0.5", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process of its own session (so a kill reaches its children), its output in `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_for(condition: Callable[[], Any], what: str, seconds: float = 30, logs: tuple[Path, ...] = ()) -> Any:
    """Poll `condition` until it gives something true; the processes' logs explain a time-out."""
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        if time.monotonic() > deadline:
            output = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in logs if p.exists())
            raise AssertionError(f"{what}: not within {seconds} s\n{output}")
        time.sleep(0.1)
    return found


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process started here, by its own id, and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
