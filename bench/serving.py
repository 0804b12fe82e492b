"""The app served for a bench the way a user serves it: in a process of its own on 127.0.0.1."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _command(kind: str, port: int, workers: int) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if kind == "serve":  # what `make run` starts: werkzeug threaded, with the timer scheduler
        return [str(bin_dir / "complaint-desk"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if kind == "gunicorn":  # deploy/Procfile's web
        return [str(bin_dir / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "-w", str(workers),
                "-b", f"127.0.0.1:{port}", "--log-level", "warning", "web.app:create_app()"]
    raise ValueError(f"unknown server {kind}")


@contextmanager
def app_process(kind: str, database_url: str, secret_key: str, workers: int = 1) -> Iterator[
        tuple[subprocess.Popen[bytes], str]]:
    """The server process and its base URL, once it accepts connections; stopped when the block ends."""
    port = free_port()
    with tempfile.TemporaryDirectory() as instance:
        env = {**os.environ, "DATABASE_URL": database_url, "COMPLAINT_DESK_INSTANCE": instance,
               "SECRET_KEY": secret_key}
        server = subprocess.Popen(_command(kind, port, workers), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(150):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            yield server, f"http://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)
