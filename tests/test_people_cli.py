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
    assert bad.returncode == 1
    assert "'123456789' is not PLATFORM:ID, like telegram:123456789" in bad.stderr


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
        "line 4: id 'foo' is not PLATFORM:ID, like telegram:123456789",
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


@pytest.mark.parametrize(
    ("person", "reason"),
    [
        ("telegram:abc", "Telegram user ids are whole numbers, like telegram:123456789"),
        ("telegram:-5", "Telegram user ids are whole numbers"),
        ("slack:123", "Slack user ids start with U or W"),
        ("slack:", "Slack user ids start with U or W"),
        ("console:", "a console name is 1 to 64 printable characters"),
        ("console:" + "x" * 65, "a console name is 1 to 64 printable characters"),
        ("discord:1", "is not PLATFORM:ID, like telegram:123456789, slack:U024BE7LH or console:"),
        ("123456789", "is not PLATFORM:ID"),
    ],
)
def test_ids_are_checked_per_platform(
    cli: Cli, tmp_path: Path, env: dict[str, str], person: str, reason: str
) -> None:
    result = cli("grant", "coordinator", person, cwd=tmp_path, env=env)
    assert result.returncode == 1 and reason in result.stderr, result.stderr
    assert "nothing changed" in result.stderr
    preview = cli("digest", "preview", person, cwd=tmp_path, env=env)
    assert preview.returncode == 1 and reason in preview.stderr


def test_console_and_slack_ids_as_the_platforms_write_them(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    granted = cli("grant", "coordinator", "console:Mike Johnson", cwd=tmp_path, env=env)
    assert granted.returncode == 0, granted.stderr
    assert "console:Mike Johnson is now a coordinator" in granted.stdout
    slack = cli("grant", "admin", "Slack:w012enterprise", cwd=tmp_path, env=env)
    assert slack.returncode == 0 and "slack:W012ENTERPRISE is now an admin" in slack.stdout
    revoked = cli("revoke", "coordinator", "console:Mike Johnson", cwd=tmp_path, env=env)
    assert "console:Mike Johnson is a participant again" in revoked.stdout
    usage = cli("grant", "--help", cwd=tmp_path, env=env)
    assert "console:Mike Johnson" in usage.stdout


def test_grant_coordinator_never_demotes_an_admin(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    assert cli("grant", "admin", "telegram:42", cwd=tmp_path, env=env).returncode == 0
    kept = cli("grant", "coordinator", "telegram:42", cwd=tmp_path, env=env)
    assert kept.returncode == 0
    assert "telegram:42 is an admin, which includes everything a coordinator may do" in kept.stdout
    assert "nothing changed" in kept.stdout and "udx-bot revoke admin telegram:42" in kept.stdout
    still = cli("revoke", "coordinator", "telegram:42", cwd=tmp_path, env=env)
    assert still.returncode == 1 and "is an admin, not a coordinator" in still.stderr


def test_the_participants_file_checks_ids_per_platform(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "people.csv").write_text(
        HEADER
        + "telegram:abc,Tele Bad,Leeds,planning,,,\n"
        + "slack:u1ab,Slack Lower,Leeds,planning,,,\n"
        + "console:Mike Johnson,Mike Johnson,Leeds,planning,,,\n"
        + "slack:U1AB,Slack Again,Leeds,planning,,,\n"
    )
    result = cli("import", "participants", "people.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "line 2: id 'telegram:abc': Telegram user ids are whole numbers" in result.stderr
    assert "line 5: duplicate row: 'slack:U1AB' is already on line 3" in result.stderr
    assert "line 4" not in result.stderr  # the console name is fine


def test_udx_admins_uses_the_same_ids() -> None:
    from udx_bot.config import ConfigError, Settings

    settings = Settings.from_env({"UDX_ADMINS": "telegram:1, slack:u024be7lh,console:Mike Johnson"})
    assert settings.admins == ("telegram:1", "slack:U024BE7LH", "console:Mike Johnson")
    with pytest.raises(ConfigError, match=r"UDX_ADMINS .*Telegram user ids are whole numbers"):
        Settings.from_env({"UDX_ADMINS": "telegram:abc"})
