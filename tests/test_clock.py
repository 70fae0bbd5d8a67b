"""One clock: nothing below the wiring reads the wall clock (the suite also runs with the process
clock moved years away, see conftest.py). ``time.monotonic`` paces sends; it tells no date."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
PACKAGES = ("udx_bot", "handlers", "storage")
# the one place that may read the wall clock; only entry points hand it in
ALLOWED = {Path("udx_bot/clock.py")}
WALL_CLOCK = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
    ("time", "time"), ("time", "time_ns"), ("time", "localtime"), ("time", "gmtime"),
}  # fmt: skip


def wall_clock_reads(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in WALL_CLOCK:
                found.append((node.lineno, f"{name}.{node.func.attr}()"))
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    source = "import datetime as dt\nx = dt.datetime.now(UTC)\ny = date.today()\nz = time.time()\n"
    assert [call for _, call in wall_clock_reads(source)] == [
        "datetime.now()", "date.today()", "time.time()",
    ]  # fmt: skip
    assert wall_clock_reads("now = clock()\nt = time.monotonic()\n") == []


@pytest.mark.parametrize("package", PACKAGES)
def test_nothing_below_the_wiring_reads_the_wall_clock(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {call}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT) not in ALLOWED
        for line, call in wall_clock_reads(path.read_text("utf-8"))
    ]
    assert offenders == [], "take the time from the injected clock instead"
