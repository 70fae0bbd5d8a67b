"""A self-hosted LibreTranslate (https://github.com/LibreTranslate/LibreTranslate): POST
``/translate`` and ``/detect`` with JSON, over aiohttp."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp

from udx_bot.translation import TranslationError

TIMEOUT_S = 20.0  # a slower answer counts as a failure: the next run of the job tries again


# the answers that refuse the text sent (too long, unsupported, malformed), not the service
# being down, rate-limited or the key being wrong
REFUSED = frozenset({400, 413, 422})


class LibreTranslate:
    name = "libretranslate"

    def __init__(
        self, url: str, *, api_key: str | None = None, timeout_s: float = TIMEOUT_S
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._session: aiohttp.ClientSession | None = None

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        if self.api_key:
            payload = {**payload, "api_key": self.api_key}
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout_s)
            )
        try:
            async with self._session.post(f"{self.url}{path}", json=payload) as response:
                if response.status != 200:
                    raise TranslationError(
                        f"LibreTranslate {path} answered HTTP {response.status}",
                        refused=response.status in REFUSED,
                    )
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TranslationError(f"LibreTranslate {path}: {type(error).__name__}") from None

    async def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if not texts:
            return []
        answer = await self._post(
            "/translate", {"q": list(texts), "source": source, "target": target, "format": "text"}
        )
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str):
            translated = [translated]
        if (
            not isinstance(translated, list)
            or len(translated) != len(texts)
            or not all(isinstance(x, str) for x in translated)
        ):
            raise TranslationError("LibreTranslate /translate: unexpected answer")
        return translated

    async def detect(self, text: str) -> str | None:
        answer = await self._post("/detect", {"q": text})
        if isinstance(answer, list) and answer and isinstance(answer[0], dict):
            language = answer[0].get("language")
            return language if isinstance(language, str) else None
        return None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
