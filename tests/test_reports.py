"""/report through the real router: coordinators get the figures and charts in their language,
participants are refused, bad dates and unknown cities get a clear localized error."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pypdf
import pytest
from PIL import Image

from storage import Store
from tests.counterparts_support import register
from tests.fakes.slack_api import FakeSlack
from tests.reports_support import add_meetings, build_network
from tests.slack_support import fake_slack as fake_slack  # the fixture
from tests.slack_support import harness
from tests.support import TEST_NOW, Chat
from tests.telegram_support import polling_bot
from tests.test_announcements import coordinator
from udx_bot.context import Services


@pytest.fixture
async def network(store: Store) -> dict[str, int]:
    return await build_network(store)


async def test_a_coordinator_gets_figures_and_three_pictures(
    chat: Callable[..., Chat], store: Store, network: dict[str, int]
) -> None:
    anna = await coordinator(chat, store, "900")
    answer = await anna.send("/report 2026-10-01 2026-11-30")
    text = answer.text
    assert "From Oct 1, 2026 to Nov 30, 2026" in text
    assert "Esslingen am Neckar – Sheboygan, WI\n3 notes\n1 active person" in text
    assert "Introductions: 1 requested, 1 accepted, 0 met, 0 with an outcome" in text
    assert "Announcements: 1 of 2 delivered (50%)" in text
    assert "SDG 11 Sustainable Cities and Communities (5)" in text
    assert "Departments: Transportation and Environmental Department" in text
    documents = [r.document for r in answer.replies if r.document is not None]
    assert [d.filename for d in documents] == [
        "report-sdgs.png", "report-activity.png", "report-funnel.png",
    ]  # fmt: skip
    assert all(d.mime_type == "image/png" for d in documents)
    beside = [r.plain_text for r in answer.replies if r.document is not None]
    assert "Esslingen am Neckar – Sheboygan, WI: SDG 11: 5, SDG 13: 2" in beside[0]
    assert "Heidelberg – Cambridge: Oct 2026: 0, Nov 2026: 2" in beside[1]
    assert "Requested 3, accepted 1, met 0, with an outcome 0" in beside[2]
    for document in documents:
        image = Image.open(io.BytesIO(document.content))
        assert image.width == 1200
        assert len(image.convert("RGB").getcolors(1 << 20) or []) > 20  # not blank


async def test_german_for_one_city_and_as_pdf(
    chat: Callable[..., Chat], store: Store, network: dict[str, int]
) -> None:
    berta = await coordinator(chat, store, "901", language="de")
    answer = await berta.send("/bericht 01.10.2026 2026-11 #Heidelberg pdf")
    text = answer.text
    assert "Vom 01.10.2026 bis zum 30.11.2026" in text
    assert "Heidelberg – Cambridge\n2 Notizen\n2 aktive Personen" in text
    assert "Heidelberg – Palo Alto" in text and "Esslingen" not in text
    assert "SDG 7 Bezahlbare und saubere Energie" in text
    (pdf,) = [r.document for r in answer.replies if r.document is not None]
    assert pdf.mime_type == "application/pdf"
    assert len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages) == 5  # title, table, 3 charts


@pytest.mark.parametrize(
    ("language", "command", "pair_line", "beside_line"),
    [
        (
            "en",
            "/report 2026-10 2026-11",
            "Introductions: 2 requested, 2 accepted, 2 met, 1 with an outcome",
            "Requested 5, accepted 3, met 2, with an outcome 1",
        ),
        (
            "de",
            "/bericht 2026-10 2026-11",
            "Vorstellungen: 2 erbeten, 2 angenommen, 2 getroffen, 1 mit Ergebnis",
            "Erbeten 5, angenommen 3, getroffen 2, mit Ergebnis 1",
        ),
    ],
)
async def test_met_and_with_an_outcome_are_shown(
    chat: Callable[..., Chat],
    store: Store,
    network: dict[str, int],
    language: str,
    command: str,
    pair_line: str,
    beside_line: str,
) -> None:
    await add_meetings(store, network)
    anna = await coordinator(chat, store, "904", language=language)
    answer = await anna.send(command)
    es = answer.text.split("Esslingen am Neckar – Sheboygan, WI\n", 1)[1].split("\n\n", 1)[0]
    assert pair_line in es  # ES: the Oct and Nov introductions were met, one has a note
    beside = [r.plain_text for r in answer.replies if r.document is not None]
    assert beside_line in beside[2]  # the funnel: the whole network, the demo person left out
    shown = answer.text + "".join(beside)
    assert "n/a" not in shown and "k. A." not in shown
    with_pdf = await anna.send(command + " pdf")
    (pdf,) = [r.document for r in with_pdf.replies if r.document is not None]
    pages = pypdf.PdfReader(io.BytesIO(pdf.content)).pages
    # pypdf's versions break the table's lines in different places: compare words only
    table = " ".join(pages[1].extract_text().split())
    assert "Sheboygan, WI 5 1 2 2 2 1 " in table  # notes, active, requested … with an outcome
    assert "n/a" not in table and "k. A." not in table


async def test_without_dates_the_last_six_months(
    chat: Callable[..., Chat], store: Store, network: dict[str, int]
) -> None:
    anna = await coordinator(chat, store, "900")
    assert TEST_NOW.month == 11
    assert "From Jun 1, 2026 to Nov 25, 2026" in (await anna.send("/report")).text


@pytest.mark.parametrize(
    ("language", "refusal"),
    [
        ("en", "only coordinators and admins"),
        ("de", "nur Koordinator"),
    ],
)
async def test_a_participant_is_refused(
    chat: Callable[..., Chat], store: Store, network: dict[str, int], language: str, refusal: str
) -> None:
    carl = await coordinator(chat, store, "902", language=language, role="participant")
    answer = await carl.send("/report 2026-10 2026-11")
    assert refusal in answer.text
    assert all(r.document is None for r in answer.replies)
    assert "Sheboygan" not in answer.text


@pytest.mark.parametrize(
    ("language", "command", "error"),
    [
        ("en", "/report 2026-13-01", "“2026-13-01” is not a date. Write it like 2026-10-01"),
        ("de", "/bericht 31.02.2026", "„31.02.2026“ ist kein Datum."),
        ("en", "/report 2026-11 2026-10", "The range ends (Oct 31, 2026) before it starts"),
        ("de", "/bericht 2026-11 2026-10", "Der Zeitraum endet (31.10.2026), bevor er beginnt"),
        ("en", "/report #Heidelbreg", "There is no city “Heidelbreg” in the network. Did you"),
        ("de", "/bericht #Atlantis", "Im Netzwerk gibt es keine Stadt „Atlantis“."),
        ("en", "/report 2026-10 2026-11 2026-12", "Usage: /report [from] [to] [#City] [pdf]"),
        ("de", "/bericht 2026-10 2026-11 2026-12", "Verwendung: /bericht [von] [bis]"),
    ],
)
async def test_bad_input_gets_a_localized_error(
    chat: Callable[..., Chat],
    store: Store,
    network: dict[str, int],
    language: str,
    command: str,
    error: str,
) -> None:
    anna = await coordinator(chat, store, "900", language=language)
    answer = await anna.send(command)
    assert error in answer.text
    assert all(r.document is None for r in answer.replies)


async def test_telegram_shows_the_charts_as_photos(
    services: Services, store: Store, network: dict[str, int]
) -> None:
    coord = await register(store, "501", city="Krefeld", department="international")
    await store.participants.update(coord.id, role="coordinator", now=TEST_NOW)
    async with polling_bot(services) as tg:
        seen = await tg.send(501, "/report 2026-10 2026-11")
        await tg.fake.wait_for_calls("sendPhoto", 3)
        photos = tg.fake.photos(501)
        assert [p.filename for p in photos] == [
            "report-sdgs.png", "report-activity.png", "report-funnel.png",
        ]  # fmt: skip
        assert all(p.content.startswith(b"\x89PNG") for p in photos)
        assert not tg.fake.documents(501)
        assert any("Requested 3, accepted 1" in text for text in seen)  # the numbers beside


async def test_slack_uploads_the_charts_as_files(
    services: Services, store: Store, network: dict[str, int], fake_slack: FakeSlack
) -> None:
    fake_slack.add_user("U0COORD", locale="de-DE", real_name="Kora Ordina")
    coord = await register(
        store, "U0COORD", platform="slack", city="Krefeld", department="international",
        language="de",
    )  # fmt: skip
    await store.participants.update(coord.id, role="coordinator", now=TEST_NOW)
    async for h in harness(services, fake_slack):
        await h.command("U0COORD", "bericht 2026-10 2026-11")
        await h.settle()
        files = fake_slack.files("U0COORD")
        assert [f["filename"] for f in files] == [
            "report-sdgs.png", "report-activity.png", "report-funnel.png",
        ]  # fmt: skip
        assert all(f["content"].startswith(b"\x89PNG") for f in files)
        shown = json.dumps(fake_slack.responses("U0COORD"), ensure_ascii=False)
        assert "Erbeten 3, angenommen 1, getroffen 0, mit Ergebnis 0" in shown  # the numbers beside


def test_the_console_names_a_picture_instead_of_printing_it() -> None:
    from udx_bot.platforms.console import render
    from udx_bot.types import Document, Reply, Section

    picture = Reply(sections=[Section("SDG 11: 5")], document=Document("a.png", b"\x89PNG\0\1",
                                                                         "image/png"))  # fmt: skip
    text, _ = render(picture)
    assert "(file a.png, 6 bytes)" in text and "PNG" not in text.replace("a.png", "")
    listing, _ = render(Reply(document=Document("n.csv", b"id,text\n1,Hi\n", "text/csv")))
    assert "1,Hi" in listing


async def test_an_admin_may_report_and_export(
    chat: Callable[..., Chat], store: Store, network: dict[str, int]
) -> None:
    ada = await coordinator(chat, store, "903", role="admin")
    assert "Esslingen am Neckar – Sheboygan, WI" in (await ada.send("/report 2026-10 2026-11")).text
    (reply,) = (await ada.send("/export introductions")).replies
    assert reply.document is not None and reply.document.filename.startswith("introductions-")
