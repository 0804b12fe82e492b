"""The real command line end to end: migrate, seed, serve with the in-process scheduler, answer HTTP."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "complaint-desk"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not BIN.exists(), reason="complaint-desk console script is not installed")
def test_fresh_instance_migrates_seeds_and_serves(tmp_path: Path) -> None:
    env = {**os.environ, "COMPLAINT_DESK_INSTANCE": str(tmp_path), "DATABASE_URL": ""}
    env.pop("TEST_DATABASE_URL", None)
    env.pop("SECRET_KEY", None)

    refused = subprocess.run([str(BIN), "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "SECRET_KEY is not set" in refused.stderr
    assert not (tmp_path / "complaint_desk.sqlite").exists()
    (tmp_path / "secret_key").write_text("a-demo-key-written-the-way-make-run-does-it\n")

    def run(*args: str) -> str:
        done = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("db", "upgrade")
    assert "user qms / demo" in run("seed-demo")
    token = run("create-api-client", "probe").strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/tasks",
                                                 headers={"Authorization": f"Bearer {token}"})
                with urllib.request.urlopen(request, timeout=2) as answer:
                    tasks = json.loads(answer.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not answer within 30 s"
                time.sleep(0.2)
        assert sorted(t["step"] for t in tasks) == ["1.1", "1.1"]
        assert all(t["due_at"] for t in tasks)
        assert (tmp_path / "complaint_desk.sqlite").exists()
    finally:
        server.terminate()
        server.wait(timeout=10)
