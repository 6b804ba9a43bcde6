"""The Dockerfile and the systemd unit agree with the program: nothing is built here, the
files are read and every setting, command and path they use is checked against the code."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.cli import _parser
from bot.config import SETTINGS
from storage.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
UNIT = (ROOT / "deploy/careerbot.service").read_text()
OURS = re.compile(r"\b((?:CAREERBOT|TELEGRAM|DISCORD)_[A-Z_]+)\b")


def commands() -> set[str]:
    sub = next(a for a in _parser()._actions if a.dest == "command")
    return set(sub.choices)  # type: ignore[arg-type]


def docker_env() -> dict[str, str]:
    block = re.search(r"^ENV (.+?)(?<!\\)$", DOCKERFILE, re.M | re.S)
    assert block is not None
    return dict(pair.split("=", 1) for pair in shlex.split(block.group(1).replace("\\\n", " ")))


def unit_values(key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.splitlines() if line.startswith(f"{key}=")]


def test_env_example_lists_exactly_the_settings() -> None:
    example = (ROOT / ".env.example").read_text()
    names = [line.split("=", 1)[0] for line in example.splitlines() if re.match(r"^[A-Z_]+=", line)]
    assert sorted(names) == sorted(SETTINGS)
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{name}`" in readme for name in SETTINGS)


def test_every_variable_the_files_name_is_a_setting() -> None:
    for text in (DOCKERFILE, UNIT):
        named = set(OURS.findall(text))
        assert named, "the file sets no setting at all"
        assert named <= set(SETTINGS), named - set(SETTINGS)
    assert set(docker_env()) - {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED"} <= set(SETTINGS)
    unit_env = dict(v.split("=", 1) for v in unit_values("Environment"))
    assert set(unit_env) <= set(SETTINGS)


def test_the_image_runs_as_a_user_with_the_database_on_a_volume() -> None:
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert users and users[-1] not in {"root", "0"}
    volumes = re.findall(r"^VOLUME (\S+)$", DOCKERFILE, re.M)
    assert str(Path(docker_env()["CAREERBOT_DB"]).parent) in volumes
    assert re.search(r"^STOPSIGNAL SIGTERM$", DOCKERFILE, re.M)
    health = re.search(r"^HEALTHCHECK .*CMD (\[.+\])$", DOCKERFILE, re.M)
    cmd = re.search(r"^CMD (\[.+\])$", DOCKERFILE, re.M)
    assert health and cmd
    for exec_form in (health.group(1), cmd.group(1)):
        program, command = json.loads(exec_form)
        assert program == "careerbot" and command in commands()
    for copied in re.findall(r"^COPY (\S+) ", DOCKERFILE, re.M):
        assert (ROOT / copied).exists(), copied


def test_the_unit_restarts_on_failure_and_runs_real_commands() -> None:
    assert unit_values("Restart") == ["on-failure"]
    assert unit_values("KillSignal") == ["SIGTERM"]
    for line in unit_values("ExecStartPre") + unit_values("ExecStart"):
        program, command = line.split()
        assert program.endswith("/careerbot") and command in commands()
    state = unit_values("StateDirectory")[0]
    unit_env = dict(v.split("=", 1) for v in unit_values("Environment"))
    assert Path(unit_env["CAREERBOT_DB"]).parent == Path("/var/lib") / state


def test_health_fails_until_the_database_is_the_programs_own(tmp_path: Path) -> None:
    def health() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", "health"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT), "CAREERBOT_DB": "h.db"},
            timeout=30,
            check=False,
        )

    missing = health()
    assert missing.returncode == 1 and "does not exist yet" in missing.stderr
    assert not (tmp_path / "h.db").exists()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--db", "h.db", "--user", "ana"],
        input="/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT)},
        timeout=30,
        check=True,
    )
    ok = health()
    assert (ok.returncode, ok.stdout) == (0, "ok\n")
    with sqlite3.connect(tmp_path / "h.db") as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer = health()
    assert newer.returncode == 1 and f"expected {SCHEMA_VERSION}" in newer.stderr
