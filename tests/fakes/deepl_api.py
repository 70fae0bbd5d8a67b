"""A fake DeepL API for the official ``deepl`` client (``server_url=fake.url``): POST
``/v2/translate`` with JSON, answered word by word like tests/fakes/libretranslate.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakes import FakeServer
from tests.fakes.libretranslate import translate_words


class FakeDeepL(FakeServer):
    def __init__(self, api_key: str) -> None:
        super().__init__()
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v2/translate", self._translate)
        return app

    async def _translate(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"DeepL-Auth-Key {self.api_key}":
            return web.json_response({"message": "Forbidden"}, status=403)
        body = await request.json()
        self.requests.append(body)
        self.changed()
        source = str(body.get("source_lang", "")).lower()
        target = str(body["target_lang"]).lower()[:2]
        return web.json_response(
            {
                "translations": [
                    {
                        "detected_source_language": source.upper() or "DE",
                        "text": translate_words(text, source, target),
                        "billed_characters": len(text),
                    }
                    for text in body["text"]
                ]
            }
        )
