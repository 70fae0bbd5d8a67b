"""``udx-bot invite`` and ``udx-bot remove`` as an operator runs them, and the settings
UDX_REGISTRATION / UDX_SLACK_REQUIRE_INVITE."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from storage import open_store
from storage.tables import invitations
from tests.counterparts_support import register
from tests.support import Chat, Cli, person
from udx_bot.config import ConfigError, Settings
from udx_bot.context import Services


def test_registration_settings() -> None:
    assert Settings.from_env({}).registration == "invite"  # the default outside code
    assert Settings.from_env({"UDX_REGISTRATION": "Approval"}).registration == "approval"
    assert Settings.from_env({"UDX_SLACK_REQUIRE_INVITE": "1"}).slack_require_invite
    assert not Settings.from_env({}).slack_require_invite
    assert Settings.from_env({"TELEGRAM_BOT_USERNAME": "@udx_bot"}).telegram_bot_username == (
        "udx_bot"
    )
    with pytest.raises(ConfigError, match="UDX_REGISTRATION"):
        Settings.from_env({"UDX_REGISTRATION": "everyone"})
    with pytest.raises(ConfigError, match="UDX_SLACK_REQUIRE_INVITE"):
        Settings.from_env({"UDX_SLACK_REQUIRE_INVITE": "maybe"})


async def _invitations(url: str) -> int:
    store = await open_store(url)
    try:
        async with store.db.read() as conn:
            return int(
                (await conn.execute(select(func.count()).select_from(invitations))).scalar_one()
            )
    finally:
        await store.close()


async def test_invite_prints_a_link_and_a_code_that_admit(
    cli: Cli, sqlite_url: str, services: Services
) -> None:
    env = {"DATABASE_URL": sqlite_url, "TELEGRAM_BOT_USERNAME": "udx_test_bot"}
    made = await asyncio.to_thread(
        cli, "invite", "--city", "krefeld", "--uses", "2", "--days", "30", env=env
    )
    assert made.returncode == 0, made.stderr
    assert "2 use(s), Krefeld, valid until 2026-12-25" in made.stdout
    link = re.search(r"https://t\.me/udx_test_bot\?start=([A-Z2-9]{12})", made.stdout)
    assert link
    services.settings = replace(services.settings, registration="invite")
    chat = Chat(services, person("4242"))
    assert "Your invitation is accepted" in await chat.send(f"/start {link.group(1)}")
    me = await services.store.participants.by_identity("telegram", "4242")
    assert me is not None and me.member and me.city_name == "Krefeld"


async def test_invite_csv_for_a_mailing_and_bad_input(cli: Cli, sqlite_url: str) -> None:
    env = {"DATABASE_URL": sqlite_url}
    batch = await asyncio.to_thread(cli, "invite", "--csv", "3", env=env)
    assert batch.returncode == 0, batch.stderr
    rows = list(csv.DictReader(io.StringIO(batch.stdout)))
    assert len(rows) == 3 and len({r["code"] for r in rows}) == 3
    assert all(r["link"] == "" and r["uses"] == "1" for r in rows)  # no bot name: no link
    assert await _invitations(sqlite_url) == 3
    for argv, said in (
        (("--city", "Atlantis"), "'Atlantis' is not a city of the network"),
        (("--uses", "0"), "--uses must be 1 to 500"),
        (("--days", "400"), "--days must be 1 to 365"),
        (("--csv", "0"), "--csv must be 1 to 1000"),
    ):
        bad = await asyncio.to_thread(cli, "invite", *argv, env=env)
        assert bad.returncode == 1 and said in bad.stderr, bad.stderr
    assert await _invitations(sqlite_url) == 3


async def test_remove_from_the_command_line_ends_access(
    cli: Cli, sqlite_url: str, services: Services
) -> None:
    await register(services.store, "5150", city="Leeds", department="mobility", language="de")
    services.settings = replace(services.settings, registration="invite")
    chat = Chat(services, person("5150", language="de"))
    assert "nicht mehr Mitglied" not in await chat.send("/notes")
    env = {"DATABASE_URL": sqlite_url}
    removed = await asyncio.to_thread(cli, "remove", "telegram:5150", env=env)
    assert removed.returncode == 0 and "is no longer a member" in removed.stdout
    assert "nicht mehr Mitglied" in await chat.send("/notes")
    again = await asyncio.to_thread(cli, "remove", "telegram:5150", env=env)
    assert again.returncode == 0 and "is not a member; nothing changed" in again.stdout
    unknown = await asyncio.to_thread(cli, "remove", "telegram:999", env=env)
    assert unknown.returncode == 1 and "never written to the bot" in unknown.stderr
    bad = await asyncio.to_thread(cli, "remove", "nobody", env=env)
    assert bad.returncode == 1 and "is not PLATFORM:ID" in bad.stderr
