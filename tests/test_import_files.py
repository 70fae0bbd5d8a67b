"""``udx-bot import`` with files as spreadsheets save them: Excel's encodings and delimiters."""

from __future__ import annotations

import asyncio
import codecs
from pathlib import Path

import pytest

from storage import open_store
from tests.support import Cli

CITIES_DE = (
    "name;country;timezone;language\r\nKöln;DE;Europe/Berlin;de\r\nMünster;DE;Europe/Berlin;de\r\n"
)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp_path / 'i.sqlite3'}"}


def city_names(tmp_path: Path) -> list[str]:
    async def read() -> list[str]:
        store = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'i.sqlite3'}")
        try:
            return sorted(c.name for c in await store.cities.all())
        finally:
            await store.close()

    return asyncio.run(read())


def test_windows_1252_with_semicolons_is_read_with_a_notice(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    """What German Excel saves as "CSV (Trennzeichen-getrennt)": Windows-1252, ';', CRLF."""
    (tmp_path / "staedte.csv").write_bytes(CITIES_DE.encode("cp1252"))
    result = cli("import", "cities", "staedte.csv", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "2 cities added, 0 updated" in result.stdout
    assert "staedte.csv: not UTF-8, read as Windows-1252" in result.stderr
    assert 'save it from the spreadsheet as "CSV UTF-8"' in result.stderr
    assert city_names(tmp_path) == ["Köln", "Münster"]


@pytest.mark.parametrize(
    ("encoded", "label"),
    [
        (codecs.BOM_UTF8 + CITIES_DE.encode(), "UTF-8 with BOM, ;"),
        (CITIES_DE.replace(";", ",").encode(), "UTF-8, ,"),
        (codecs.BOM_UTF8 + CITIES_DE.replace(";", ",").encode(), "UTF-8 with BOM, ,"),
        ('"name";"country";"timezone";"language"\n"Köln";"DE";"Europe/Berlin";"de"\n'
         '"Münster";"DE";"Europe/Berlin";"de"\n'.encode(), "quoted, ;"),
    ],
)  # fmt: skip
def test_utf8_with_or_without_bom_and_either_delimiter(
    cli: Cli, tmp_path: Path, env: dict[str, str], encoded: bytes, label: str
) -> None:
    (tmp_path / "c.csv").write_bytes(encoded)
    result = cli("import", "cities", "c.csv", cwd=tmp_path, env=env)
    assert result.returncode == 0, (label, result.stderr)
    assert "2 cities added" in result.stdout and result.stderr == "", label
    assert city_names(tmp_path) == ["Köln", "Münster"], label


def test_semicolon_partnerships_and_participants_from_excel(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "c.csv").write_bytes(CITIES_DE.encode("cp1252"))
    assert cli("import", "cities", "c.csv", cwd=tmp_path, env=env).returncode == 0
    (tmp_path / "p.csv").write_bytes("city;partner_city;since\r\nKöln;Münster;1990\r\n".encode())
    partners = cli("import", "partnerships", "p.csv", cwd=tmp_path, env=env)
    assert partners.returncode == 0 and "1 partnerships added" in partners.stdout
    people = (
        "id;name;city;department;sdgs;language;role\r\n"
        "telegram:5;Jürgen Groß;Köln;Umweltamt;11 13;de;\r\n"
    )
    (tmp_path / "people.csv").write_bytes(people.encode("cp1252"))
    imported = cli("import", "participants", "people.csv", cwd=tmp_path, env=env)
    assert imported.returncode == 0, imported.stderr
    assert "1 participants added" in imported.stdout and "Windows-1252" in imported.stderr


def test_a_bad_row_still_refuses_the_whole_excel_file(
    cli: Cli, tmp_path: Path, env: dict[str, str]
) -> None:
    bad = CITIES_DE + "Zürich;XX;Europe/Zurich;de\r\n"
    (tmp_path / "c.csv").write_bytes(bad.encode("cp1252"))
    result = cli("import", "cities", "c.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert "line 4: unknown country 'XX'" in result.stderr
    assert "nothing was imported" in result.stderr and "Traceback" not in result.stderr
    assert city_names(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(40), "this is a spreadsheet workbook, not CSV"),
        (CITIES_DE.encode("utf-16"), "the file is UTF-16 text"),
        (b"name,country,timezone,language\nK\x81ln,DE,Europe/Berlin,de\n",
         "line 2: byte 0x81 is neither UTF-8 nor Windows-1252 text"),
        (b"name,country,timezone,language\nK\x00ln,DE,Europe/Berlin,de\n",
         "line 2: a NUL byte: this is not CSV text"),
        (b"", "line 1: the file is empty (no header)"),
    ],
)  # fmt: skip
def test_unreadable_files_are_refused_with_a_reason_never_a_traceback(
    cli: Cli, tmp_path: Path, env: dict[str, str], content: bytes, reason: str
) -> None:
    (tmp_path / "c.csv").write_bytes(content)
    result = cli("import", "cities", "c.csv", cwd=tmp_path, env=env)
    assert result.returncode == 1
    assert reason in result.stderr and "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
