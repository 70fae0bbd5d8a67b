"""The console chat and the command line, as a person runs them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import Cli
from udx_bot.context import Services
from udx_bot.middleware import Next, Request
from udx_bot.platforms.console import ConsoleChat, press, render
from udx_bot.types import Actor, Button, Reply

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full_env.update(env or {})
    full_env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "udx_bot", *args],
        cwd=cwd, env=full_env, input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_buttons_are_numbered_and_pressed_by_number_or_label() -> None:
    reply = Reply.text("Pick one", buttons=[[Button("Deutsch", "x:de"), Button("English", "x:en")]])
    shown, choices = render(reply)
    assert "[1] Deutsch" in shown and "[2] English" in shown
    assert press("2", choices) == "x:en"
    assert press("deutsch", choices) == "x:de"
    assert press("3", choices) is None
    assert press("something else", choices) is None


def test_numbered_options_are_shown_under_their_own_number() -> None:
    from udx_bot.types import MultiSelect, Option

    goals = MultiSelect("ob:sdgs", (Option("11", "11 Cities"), Option("13", "13 Climate")))
    reply = Reply(multi_select=goals, buttons=[[Button("Done", "ob:done")]])
    shown, choices = render(reply)
    assert "[11] [ ] 11 Cities" in shown and "[13] [ ] 13 Climate" in shown
    assert "[14] Done" in shown
    assert press("13", choices) == "ob:sdgs:13"
    assert press("done", choices) == "ob:done"
    assert press("12", choices) is None  # not an option: typed text, as the wizard expects


async def test_console_chat_uses_the_router(services: Services) -> None:
    out = io.StringIO()
    chat = ConsoleChat(services, Actor("console", "ada", "ada", language_code="de"), stdout=out)
    await chat.send("/help")
    assert "Befehle" in out.getvalue()


async def test_a_middleware_answers_the_console_too(services: Services) -> None:
    async def closed(request: Request, next: Next) -> list[Reply]:
        return [Reply.text("Closed for maintenance.")]  # before identity: nothing is stored

    services.router.middleware.insert(0, closed)
    out = io.StringIO()
    chat = ConsoleChat(services, Actor("console", "bea", "bea"), stdout=out)
    await chat.send("/help")
    assert out.getvalue() == "Closed for maintenance.\n"
    assert await services.store.participants.by_identity("console", "bea") is None


def test_demo_creates_the_database_here_and_exits_cleanly_at_end_of_input(
    cli: Cli, tmp_path: Path
) -> None:
    result = run_cli("demo", "--as", "tester", cwd=tmp_path, stdin="/help\n")  # a real process
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "udx.sqlite3").exists()
    assert "37 cities" in result.stdout and "Commands" in result.stdout
    again = cli("demo", cwd=tmp_path, stdin="")  # stdin closed at once; seeding is idempotent
    assert again.returncode == 0 and "(0 new)" in again.stdout


def test_help_lists_the_commands(cli: Cli, tmp_path: Path) -> None:
    result = cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("demo", "console", "migrate", "import"):
        assert command in result.stdout


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_cli("migrate", cwd=tmp_path, env={"DATABASE_URL": "mysql://x/y"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DATABASE_URL" in result.stderr


def test_migrate_twice(cli: Cli, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'm.sqlite3'}"}
    first = cli("migrate", cwd=tmp_path, env=env)
    assert first.returncode == 0 and "upgraded from empty" in first.stdout
    second = cli("migrate", cwd=tmp_path, env=env)
    assert second.returncode == 0 and "up to date" in second.stdout


CITIES = "name,country,timezone,language\nBonn,DE,Europe/Berlin,de\nYork,GB,Europe/London,en\n"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "name,country,timezone,language,mayor\nBonn,DE,Europe/Berlin,de,x\n",
            "unknown column 'mayor'",
        ),
        ("name,country,timezone\nBonn,DE,Europe/Berlin\n", "missing column 'language'"),
        (
            "name,country,timezone,language\nBonn,XX,Europe/Berlin,de\n",
            "line 2: unknown country 'XX'",
        ),
        (
            "name,country,timezone,language\nBonn,DE,Europe/Bonn,de\n",
            "line 2: unknown timezone 'Europe/Bonn'",
        ),
        (
            "name,country,timezone,language\nBonn,DE,Europe/Berlin,fr\n",
            "line 2: unknown language 'fr'",
        ),
        (
            CITIES + "bonn,DE,Europe/Berlin,de\n",
            "line 4: duplicate row: 'bonn' is already on line 2",
        ),
    ],
)
def test_a_bad_cities_file_is_refused_whole(
    cli: Cli, tmp_path: Path, content: str, reason: str
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'i.sqlite3'}"}
    (tmp_path / "cities.csv").write_text(content)
    result = cli("import", "cities", "cities.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert reason in result.stderr and "nothing was imported" in result.stderr
    count = cli("import", "cities", "empty.csv", cwd=tmp_path, env=env)
    assert count.returncode == 1  # a missing file is an error too, with the reason
    assert "cannot read the file" in count.stderr
    (tmp_path / "ok.csv").write_text("name,country,timezone,language\n")
    ok = cli("import", "cities", "ok.csv", cwd=tmp_path, env=env)
    assert "0 cities added, 0 updated" in ok.stdout  # so nothing was written before


def test_cities_and_partnerships_import_and_reimport(cli: Cli, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'i.sqlite3'}"}
    (tmp_path / "cities.csv").write_text(CITIES)
    first = cli("import", "cities", "cities.csv", cwd=tmp_path, env=env)
    assert first.returncode == 0 and "2 cities added, 0 updated" in first.stdout
    again = cli("import", "cities", "cities.csv", cwd=tmp_path, env=env)
    assert "0 cities added, 2 updated" in again.stdout
    (tmp_path / "p.csv").write_text("city,partner_city,since\nBonn,York,1990\n")
    p1 = cli("import", "partnerships", "p.csv", cwd=tmp_path, env=env)
    assert p1.returncode == 0 and "1 partnerships added" in p1.stdout
    (tmp_path / "p2.csv").write_text("city,partner_city\nYork,Bonn\n")
    p2 = cli("import", "partnerships", "p2.csv", cwd=tmp_path, env=env)
    assert "0 partnerships added, 1 updated" in p2.stdout


@pytest.mark.parametrize(
    ("bad_row", "reason"),
    [
        ("Bonn,Atlantis,", "line 3: unknown city 'Atlantis' in partner_city"),
        ("York,Bonn,", "line 3: duplicate row: the same partnership is on line 2"),
        ("Bonn,Bonn,", "line 3: a city cannot be its own partner"),
        ("Bonn,Leeds,nineteen", "line 3: since must be a year"),
    ],
)
def test_a_bad_partnerships_file_is_refused_whole(
    cli: Cli, tmp_path: Path, bad_row: str, reason: str
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'i.sqlite3'}"}
    (tmp_path / "cities.csv").write_text(CITIES + "Leeds,GB,Europe/London,en\n")
    assert cli("import", "cities", "cities.csv", cwd=tmp_path, env=env).returncode == 0
    (tmp_path / "p.csv").write_text(f"city,partner_city,since\nBonn,York,1990\n{bad_row}\n")
    result = cli("import", "partnerships", "p.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1 and reason in result.stderr
    (tmp_path / "good.csv").write_text("city,partner_city,since\nBonn,York,1990\n")
    good = cli("import", "partnerships", "good.csv", cwd=tmp_path, env=env)
    assert "1 partnerships added" in good.stdout  # the refused file wrote nothing


def test_unknown_partnership_column(cli: Cli, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'i.sqlite3'}"}
    (tmp_path / "p.csv").write_text("town,partner_city\nBonn,York\n")
    result = cli("import", "partnerships", "p.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "line 1: unknown column 'town'" in result.stderr


def test_a_large_file_shows_progress(cli: Cli, tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'i.sqlite3'}"}
    rows = "".join(f"Town {n},DE,Europe/Berlin,de\n" for n in range(2500))
    (tmp_path / "big.csv").write_text("name,country,timezone,language\n" + rows)
    result = cli("import", "cities", "big.csv", cwd=tmp_path, env=env)
    assert result.returncode == 0
    assert "1000/2500 rows checked" in result.stderr and "2500/2500" in result.stderr
    assert "2500 cities added" in result.stdout


SIGN_UP = "".join(
    f"{line}\n"
    for line in ("/profile city Leeds", "/profile department planning", "/start", "English",
                 "Leeds", "planning", "13", "done")
)  # fmt: skip


def test_at_a_terminal_ctrl_c_discards_the_line_a_long_paste_stays_whole_ctrl_d_ends(
    cli: Cli, tmp_path: Path
) -> None:
    """One real terminal (a pty): readline reads the line, so a line past the terminal's
    4096-byte cooked-mode buffer arrives whole; Ctrl-C mid-line leaves the chat open."""
    pty = pytest.importorskip("pty")
    import selectors
    import time

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'tty.sqlite3'}"}
    demo = cli("demo", "--as", "Ada", cwd=tmp_path, env=env, stdin=SIGN_UP)
    assert "Your profile is saved" in demo.stdout  # "done" pressed "Done ✓"
    assert "Try an introduction: Sam Okafor (Sheboygan)" in demo.stdout

    fd, terminal = pty.openpty()
    # the console in a session of its own whose controlling terminal is the pty (so Ctrl-C
    # there is a SIGINT), started without fork() in this threaded process
    take_terminal = (
        "import fcntl, os, sys, termios; os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
        "os.execv(sys.executable, [sys.executable, '-m', 'udx_bot', 'console', '--as', 'Ada'])"
    )
    child_env = {
        **os.environ,
        **env,
        "PYTHONPATH": str(ROOT),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    child = subprocess.Popen(
        [sys.executable, "-c", take_terminal],
        stdin=terminal, stdout=terminal, stderr=terminal, env=child_env,
    )  # fmt: skip
    os.close(terminal)
    seen = b""

    def until(needle: str, *, prompt: bool = False) -> str:
        """Read until ``needle`` was shown; with ``prompt``, until the output ends in it and
        nothing follows for a moment (readline waits there: a "> " inside a message, or a
        prompt drawn while the console is still busy, is not the one to type at)."""
        nonlocal seen
        deadline = time.monotonic() + 60
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if prompt and seen.endswith(needle.encode()):
                    if not selector.select(0.3):
                        break  # quiet at the prompt
                elif not prompt and needle.encode() in seen:
                    break
                left = deadline - time.monotonic()
                assert left > 0, f"no {needle!r} in {seen[-500:]!r}"
                if selector.select(left):
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:  # the child closed the terminal
                        chunk = b""
                    assert chunk, f"the console ended before {needle!r}: {seen[-500:]!r}"
                    seen += chunk
        shown, seen = seen.decode(errors="replace"), b""
        return shown

    until("> ", prompt=True)
    os.write(fd, b"/hel\x03")  # Ctrl-C while typing
    assert "^C" in until("> ", prompt=True)
    os.write(fd, ("/note " + "x" * 5000 + "\r").encode())
    assert "That note has 5,000 characters" in until("Nothing was saved.")
    until("> ", prompt=True)
    os.write(fd, b"\x04")  # Ctrl-D
    assert until("\n") == "\r\n"  # the shell's prompt starts on a line of its own
    assert child.wait(60) == 0
    os.close(fd)
