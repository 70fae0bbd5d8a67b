"""``udx-bot grant|revoke`` and ``udx-bot import participants`` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Cli

HEADER = "id,name,city,department,sdgs,language,role\n"
GOOD = (
    HEADER
    + "telegram:5,Anna Weber,Tuebingen,Umweltamt,11 13,de,\n"
    + "slack:U1,Bob Smith,Leeds,planning,,en,coordinator\n"
)


@pytest.fixture
def env(cli: Cli, tmp_path: Path) -> dict[str, str]:
    db = {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"}
    (tmp_path / "cities.csv").write_text(
        "name,country,timezone,language\nTübingen,DE,Europe/Berlin,de\nLeeds,GB,Europe/London,en\n"
    )
    assert cli("import", "cities", "cities.csv", cwd=tmp_path, env=db).returncode == 0
    return db


def test_grant_and_revoke(cli: Cli, tmp_path: Path, env: dict[str, str]) -> None:
    granted = cli("grant", "coordinator", "telegram:123456789", cwd=tmp_path, env=env)
    assert granted.returncode == 0
    assert "telegram:123456789 is now a coordinator (not registered yet)" in granted.stdout
    wrong = cli("revoke", "admin", "telegram:123456789", cwd=tmp_path, env=env)
    assert wrong.returncode == 1 and "is a coordinator, not an admin" in wrong.stderr
    revoked = cli("revoke", "coordinator", "telegram:123456789", cwd=tmp_path, env=env)
    assert revoked.returncode == 0 and "is a participant again" in revoked.stdout
    bad = cli("grant", "admin", "123456789", cwd=tmp_path, env=env)
    assert bad.returncode == 1 and "is not an id like telegram:123456789" in bad.stderr


def test_import_participants_then_reimport(cli: Cli, tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "people.csv").write_text(GOOD)
    first = cli("import", "participants", "people.csv", cwd=tmp_path, env=env)
    assert first.returncode == 0 and "2 participants added, 0 updated" in first.stdout
    again = cli("import", "participants", "people.csv", cwd=tmp_path, env=env)
    assert "0 participants added, 2 updated" in again.stdout
    already = cli("grant", "coordinator", "slack:U1", cwd=tmp_path, env=env)
    assert "was already a coordinator" in already.stdout and "not registered" not in already.stdout


def test_a_bad_participants_file_is_refused_whole(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "bad.csv").write_text(
        GOOD + "foo,X,Tuebingn,Zauberamt,18,fr,boss\ntelegram:5,Dup,Leeds,planning,,,\n"
    )
    result = cli("import", "participants", "bad.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "nothing was imported" in result.stderr
    for reason in (
        "line 4: id 'foo' must look like telegram:123456789",
        "line 4: unknown city 'Tuebingn' (did you mean Tübingen",
        "line 4: unknown department 'Zauberamt'",
        "line 4: SDG '18' is not a number from 1 to 17",
        "line 4: unknown language 'fr'",
        "line 4: unknown role 'boss'",
        "line 5: duplicate row: 'telegram:5' is already on line 2",
    ):
        assert reason in result.stderr
    (tmp_path / "ok.csv").write_text(HEADER)
    empty = cli("import", "participants", "ok.csv", cwd=tmp_path, env=env)
    assert "0 participants added, 0 updated" in empty.stdout  # nothing was written before
