"""The Dockerfile's commands, read from the Dockerfile and run in a fresh virtual environment
(no Docker engine runs here): its install, its knowledge check, its start command and its
health check. compose.yaml is checked for what a production-like run needs."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from loopback import ROOT, free_port
from ruamel.yaml import YAML

VENV_IN_IMAGE = "/opt/venv"


def instructions(path: Path = ROOT / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        keyword, _, rest = line.partition(" ")
        found.append((keyword.upper(), rest.strip()))
    return found


def _one(kind: str, contains: str = "") -> str:
    matches = [args for k, args in instructions() if k == kind and contains in args]
    assert len(matches) == 1, f"expected one {kind} with {contains!r}, found {matches}"
    return matches[0]


def test_the_image_runs_as_a_user_with_a_health_check_and_a_knowledge_volume():
    bases = [args for k, args in instructions() if k == "FROM"]
    assert len(bases) == 2 and all("-slim" in base for base in bases)  # build, then run
    users = [args for k, args in instructions() if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert "/knowledge" in _one("VOLUME")
    assert "PROTOCOLBOT_KNOWLEDGE_DIR=/knowledge" in _one("ENV", "PROTOCOLBOT_KNOWLEDGE_DIR")
    assert _one("HEALTHCHECK").count("/healthz") == 1


@pytest.fixture(scope="module")
def image_venv(tmp_path_factory) -> Path:
    """The Dockerfile's install command, run as written, with the image's venv path replaced."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    command = _one("RUN", "pip install").replace(VENV_IN_IMAGE, str(venv))
    subprocess.run(command, shell=True, cwd=ROOT, check=True, timeout=900)
    return venv


def _env(venv: Path, tmp: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "MICROSOFT_", "TEAMS_", "PROTOCOLBOT_", "VIRTUAL_ENV"))
    }
    for item in [args for k, args in instructions() if k == "ENV"]:
        for pair in item.split():
            name, _, value = pair.partition("=")
            env[name] = value.replace("$PATH", env.get("PATH", "")).replace(
                VENV_IN_IMAGE, str(venv)
            )
    env["PROTOCOLBOT_KNOWLEDGE_DIR"] = str(ROOT / "knowledge")  # COPY knowledge /knowledge
    env["XDG_DATA_HOME"] = str(tmp / "data")  # the /data volume
    env.update(extra)
    return env


def test_the_dockerfile_install_check_start_and_health_check_work(image_venv, tmp_path):
    check = _one("RUN", "knowledge check")
    done = subprocess.run(
        check, shell=True, cwd=tmp_path, env=_env(image_venv, tmp_path), timeout=300
    )
    assert done.returncode == 0

    port = str(free_port())
    env = _env(image_venv, tmp_path, PORT=port, TEAMS_ALLOW_ANONYMOUS="true")
    start = json.loads(_one("CMD", "serve"))
    server = subprocess.Popen(start, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        healthcheck = json.loads(_one("HEALTHCHECK").split(" CMD ", 1)[1])
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run(healthcheck, cwd=tmp_path, env=env, timeout=30)
            if probe.returncode == 0:
                break
            assert time.monotonic() < deadline and server.poll() is None, "never healthy"
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as ready:
            assert json.loads(ready.read())["status"] == "ready"
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err


def test_compose_runs_the_image_on_postgresql():
    compose = YAML(typ="safe").load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    db, bot = services["db"], services["bot"]
    assert db["image"].startswith("postgres:") and "healthcheck" in db
    assert bot["build"] == "." or bot["build"]["context"] == "."
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    env = bot["environment"]
    assert (
        env["PROTOCOLBOT_DATABASE_URL"].startswith("postgresql://")
        and "@db:5432/" in (env["PROTOCOLBOT_DATABASE_URL"])
    )
    assert any(str(v).endswith(":/knowledge:ro") for v in bot["volumes"])
