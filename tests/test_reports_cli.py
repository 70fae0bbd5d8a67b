"""``udx-bot report``: every format written, CSV and JSON read back, bad input refused with a
message in the chosen language and no file written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from storage import open_store
from tests.conftest import run_in_thread
from tests.reports_support import build_network
from tests.support import Cli


@pytest.fixture
def db(sqlite_url: str) -> dict[str, str]:
    async def seed() -> None:
        store = await open_store(sqlite_url)
        await build_network(store)
        await store.close()

    run_in_thread(seed)
    return {"DATABASE_URL": sqlite_url}


def report(cli: Cli, db: dict[str, str], out: Path, *extra: str) -> tuple[int, str, str]:
    result = cli("report", "--from", "2026-10-01", "--to", "2026-11-30", "--output", str(out),
                 *extra, env=db)  # fmt: skip
    return result.returncode, result.stdout, result.stderr


def test_csv_round_trips(cli: Cli, db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    code, stdout, stderr = report(cli, db, out, "--format", "csv")
    assert code == 0 and stdout.strip() == str(out)
    assert "report: counted in" in stderr  # progress on the command line
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    by_key = {(r["city"], r["partner_city"], r["month"]): r for r in rows}
    es = by_key[("Esslingen am Neckar", "Sheboygan", "2026-10")]
    assert (es["notes"], es["active"], es["intro_requested"], es["intro_accepted"]) == (
        "2", "1", "1", "1",
    )  # fmt: skip
    assert es["intro_met"] == "0" and es["intro_outcome"] == "0"  # no follow-up answers yet
    nov = by_key[("", "", "2026-11")]  # the whole network
    assert (nov["notes"], nov["announcement_recipients"], nov["delivery_rate"]) == ("3", "4", "0.5")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    with out.open(encoding="utf-8", newline="") as fh:
        assert buffer.getvalue() == fh.read()


def test_json_and_one_partnership(cli: Cli, db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, _, _ = report(cli, db, out, "--format", "json", "--partnership", "heidelberg:palo alto")
    assert code == 0
    doc = json.loads(out.read_text("utf-8"))
    (pair,) = doc["partnerships"]
    assert (pair["city"], pair["partner_city"]) == ("Heidelberg", "Palo Alto")
    assert pair["total"]["notes"] == 1 and pair["total"]["intro_met"] == 0
    assert pair["sdgs_in_notes"] == {"4": 1} and pair["sdgs_in_profiles"] == {"7": 1}
    assert "not_recorded" not in doc


def test_markdown_in_german(cli: Cli, db: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    assert report(cli, db, out, "--language", "de")[0] == 0
    text = out.read_text("utf-8")
    assert "| Ganzes Netzwerk | 5 | 4 | 3 | 1 | 0 | 0 | 4 | 2 | 50\xa0% | 1 |" in text
    assert "| Esslingen am Neckar – Sheboygan, WI | Okt. 2026 | 2 |" in text
    assert "SDG 11 Nachhaltige Städte und Gemeinden (5)" in text
    # met and with an outcome are numbers (no answers yet); "k. A." is left for a delivery rate
    # without recipients
    assert "| Esslingen am Neckar – Sheboygan, WI | Okt. 2026 | 2 | 1 | 1 | 1 | 0 | 0 | 0 |" in text
    assert "nicht erfasst" not in text
    assert "Erika" not in text and "Sheboy " not in text  # a report holds counts, no names


def test_png_and_pdf(cli: Cli, db: dict[str, str], tmp_path: Path) -> None:
    code, stdout, _ = report(cli, db, tmp_path / "r.png", "--format", "png")
    assert code == 0
    paths = [Path(p) for p in stdout.split()]
    assert [p.name for p in paths] == ["r-sdgs.png", "r-activity.png", "r-funnel.png"]
    images = [Image.open(io.BytesIO(p.read_bytes())) for p in paths]
    assert [i.size for i in images] == [(1200, 400), (1200, 600), (1200, 400)]
    for image in images:  # the heatmap grows with its rows, from 4 inches
        assert len(image.convert("RGB").getcolors(1 << 20) or []) > 20  # not blank
    pdf = tmp_path / "r.pdf"
    assert report(cli, db, pdf, "--format", "pdf")[0] == 0
    assert len(pypdf.PdfReader(pdf).pages) == 5


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--from", "2026-02-30"), "“2026-02-30” is not a date."),
        (("--from", "2026-11", "--to", "2026-10", "--language", "de"), "Der Zeitraum endet"),
        (("--partnership", "Esslingen:Leeds"), "Esslingen am Neckar and Leeds are not partner"),
        (("--partnership", "Esslingen", "--language", "de"), "Geben Sie eine Partnerschaft"),
        (("--partnership", "Atlantis:Leeds"), "There is no city “Atlantis” in the network."),
    ],
)
def test_bad_input(cli: Cli, db: dict[str, str], tmp_path: Path, args: tuple[str, ...],
                   error: str) -> None:  # fmt: skip
    out = tmp_path / "r.md"
    result = cli("report", "--output", str(out), *args, env=db)
    assert result.returncode == 1
    assert error in result.stderr
    assert not out.exists()
