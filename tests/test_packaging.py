"""The distribution is a complete product: the wheel carries the catalogs, the reference data and
the migrations; missing catalogs stop the bot at start-up; ``udx-bot --version`` works.

Cheap checks only: .ci/run builds the wheel, installs it outside the checkout and checks that
German /help is German there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

import pytest

from udx_bot import i18n
from udx_bot.cli import main
from udx_bot.i18n import CatalogError, Translator, check_catalogs, load_translations

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]


def test_the_german_catalogs_are_package_resources() -> None:
    root = resources.files("locales")
    assert root.joinpath("de", "LC_MESSAGES", "help.po").is_file()
    assert Path(str(i18n.catalog_root())) == ROOT / "locales"
    assert load_translations(root, "de").gettext("Commands") == "Befehle"
    check_catalogs()  # the checkout's catalogs are complete


def _files(directory: Path) -> set[Path]:
    return {p for p in directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.parametrize(
    ("package", "runtime_files"),
    [
        ("locales", {p for p in _files(ROOT / "locales") if p.suffix == ".po"}),
        ("udx_bot", _files(ROOT / "udx_bot" / "data")),
        ("storage", _files(ROOT / "storage" / "migrations")),
    ],
)
def test_package_data_ships_every_runtime_file(package: str, runtime_files: set[Path]) -> None:
    include = SETUPTOOLS["packages"]["find"]["include"]
    assert any(fnmatch(package, pattern) for pattern in include)
    assert runtime_files
    shipped: set[Path] = set()
    for pattern in SETUPTOOLS["package-data"][package]:
        shipped |= set((ROOT / package).glob(pattern))
    missing = runtime_files - shipped
    assert not missing, f"not in [tool.setuptools.package-data] {package}: {sorted(missing)}"


def _catalogs(tmp_path: Path, layout: dict[str, list[str]]) -> Path:
    for language, domains in layout.items():
        directory = tmp_path / language / "LC_MESSAGES"
        directory.mkdir(parents=True)
        for domain in domains:
            source = ROOT / "locales" / language / "LC_MESSAGES" / f"{domain}.po"
            (directory / f"{domain}.po").write_bytes(source.read_bytes())
    return tmp_path


def test_missing_catalogs_are_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"locales/en/LC_MESSAGES/\*\.po, locales/de/"):
        check_catalogs(_catalogs(tmp_path / "none", {}))
    with pytest.raises(CatalogError, match=r"missing: locales/de/LC_MESSAGES/help\.po \("):
        check_catalogs(_catalogs(tmp_path / "one", {"en": ["help", "notes"], "de": ["notes"]}))
    with pytest.raises(CatalogError, match=r"no translation catalogs for 'de'"):
        load_translations(_catalogs(tmp_path / "en", {"en": ["help"]}), "de")
    check_catalogs(_catalogs(tmp_path / "ok", {"en": ["help"], "de": ["help"]}))


def test_no_catalog_package_is_an_error_not_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "CATALOG_PACKAGE", "udx_no_such_catalogs")
    with pytest.raises(CatalogError, match="catalogs are not installed"):
        check_catalogs()
    i18n.translations.cache_clear()
    try:
        with pytest.raises(CatalogError):
            Translator("de")
    finally:
        i18n.translations.cache_clear()


def test_the_command_line_refuses_to_start_without_catalogs(tmp_path: Path) -> None:
    """What an install without catalogs looks like: a ``locales`` package with no .po in it."""
    (tmp_path / "locales").mkdir()
    (tmp_path / "locales" / "__init__.py").write_text("")
    database = tmp_path / "m.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PYTHON"))}
    env.update(
        DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)])
    )
    result = subprocess.run(
        [sys.executable, "-m", "udx_bot", "migrate"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "locales/de/LC_MESSAGES/*.po" in result.stderr and "reinstall" in result.stderr
    assert not database.exists()


def test_version_is_the_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"udx-bot {PYPROJECT['project']['version']}\n"
