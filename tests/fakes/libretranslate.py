"""A fake LibreTranslate server: ``/translate``, ``/detect`` and ``/languages`` as the real one
answers them, translating word by word with a small dictionary (unknown words stay as they
are, as a real engine leaves names).

    async with FakeLibreTranslate() as fake:
        settings = Settings(translate="libretranslate", translate_url=fake.url)
        fake.fail = 503        # every call answers 503 until set back to None (429 too)
        fake.delay = 2.0       # every call waits first (a slow service)
        fake.requests          # the JSON bodies received, to see what left the machine
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from tests.fakes import FakeServer

DICTIONARY = {
    ("de", "en"): {
        "wir": "we",
        "haben": "have",
        "einen": "a",
        "ein": "a",
        "mit": "with",
        "geplant": "planned",
        "hitze": "heat",
        "radwege": "cycle paths",
        "verglichen": "compared",
        "bäume": "trees",
        "gepflanzt": "planted",
        "die": "the",
        "schwamm": "sponge",
        "stadt": "town",
    },
}
DICTIONARY[("en", "de")] = {v: k for k, v in DICTIONARY[("de", "en")].items() if " " not in v}
DICTIONARY[("en", "de")].update({"flood": "Hochwasser", "meadow": "Wiese", "the": "die"})
_WORD = re.compile(r"[^\W\d_]+")


def translate_words(text: str, source: str, target: str) -> str:
    words = DICTIONARY.get((source, target), {})
    return _WORD.sub(lambda m: words.get(m.group(0).casefold(), m.group(0)), text)


def detect(text: str) -> str:
    words = [w.casefold() for w in _WORD.findall(text)]
    german = sum(w in DICTIONARY[("de", "en")] for w in words)
    english = sum(w in DICTIONARY[("en", "de")] for w in words)
    return "de" if german > english else "en"


class FakeLibreTranslate(FakeServer):
    def __init__(self, *, api_key: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.fail: int | None = None
        self.refuse: set[str] = set()  # texts /translate answers 400 for ("too long")
        self.delay = 0.0
        self.requests: list[tuple[str, dict[str, Any]]] = []

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/translate", self._translate)
        app.router.add_post("/detect", self._detect)
        app.router.add_get("/languages", self._languages)
        return app

    async def _body(self, request: web.Request) -> dict[str, Any]:
        body = await request.json()
        self.requests.append((request.path, body))
        self.changed()
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail is not None:
            raise _error(self.fail)
        if self.api_key is not None and body.get("api_key") != self.api_key:
            raise _error(403)
        return body

    async def _translate(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        q, source, target = body["q"], body["source"], body["target"]
        if any(text in self.refuse for text in (q if isinstance(q, list) else [q])):
            raise _error(400)
        if isinstance(q, list):
            return web.json_response(
                {"translatedText": [translate_words(x, source, target) for x in q]}
            )
        return web.json_response({"translatedText": translate_words(q, source, target)})

    async def _detect(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        return web.json_response([{"language": detect(body["q"]), "confidence": 90.0}])

    async def _languages(self, request: web.Request) -> web.Response:
        return web.json_response(
            [
                {"code": "en", "name": "English", "targets": ["de", "en"]},
                {"code": "de", "name": "German", "targets": ["de", "en"]},
            ]
        )


def _error(status: int) -> web.HTTPException:
    error = web.HTTPException(text='{"error": "failing"}', content_type="application/json")
    error.set_status(status)
    return error
