"""DeepL through its official ``deepl`` package (``pip install 'udx-bot[deepl]'``). The texts
are sent to DeepL's servers; see the README's "Translation" section. The package is
synchronous: its calls run in a thread so the bot's event loop never waits on them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from udx_bot.translation import TranslationError

# DeepL names English by variant as a target language
_TARGETS = {"en": "EN-GB", "de": "DE"}


class DeepL:
    name = "deepl"

    def __init__(self, api_key: str, *, server_url: str | None = None) -> None:
        try:
            import deepl
        except ImportError:  # pragma: no cover - the extra is not installed
            raise TranslationError(
                "UDX_TRANSLATE=deepl needs: pip install 'udx-bot[deepl]'"
            ) from None
        self._deepl: Any = deepl
        self._client: Any = deepl.Translator(api_key, server_url=server_url)

    async def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        if not texts:
            return []

        def call() -> list[str]:
            results = self._client.translate_text(
                list(texts), source_lang=source.upper(), target_lang=_TARGETS[target]
            )
            return [r.text for r in results]

        try:
            return await asyncio.to_thread(call)
        except self._deepl.DeepLException as error:
            raise TranslationError(f"DeepL: {type(error).__name__}") from None

    async def detect(self, text: str) -> str | None:
        # DeepL detects while translating; the author's language is the hint instead
        return None

    async def close(self) -> None:
        return None
