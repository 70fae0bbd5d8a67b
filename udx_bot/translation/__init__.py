"""Machine translation of notes between the network's languages (German and English).

One small interface, :class:`Backend`; each backend is one module (``libretranslate``,
``deepl``), chosen by ``UDX_TRANSLATE`` (off by default: then no text leaves the machine).
The glossary (udx_bot/translation/glossary.py) is applied around whichever backend runs.
Notes are translated in the background by the scheduler's ``translations`` job
(udx_bot/translation/job.py), never while a reply waits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

from udx_bot.config import LANGUAGES, Settings


class TranslationError(Exception):
    """The service could not translate (down, slow, refused, rate-limited); try again later.
    The message never contains the text being translated. ``refused``: the service answered
    and refused this text (it is up; other texts may go through)."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class Backend(Protocol):
    """A translation service. ``source`` and ``target`` are "de" or "en"."""

    name: str  # stored with each translation ("libretranslate", "deepl")

    async def translate(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        """The texts translated, in the same order; TranslationError when it cannot."""
        ...

    async def detect(self, text: str) -> str | None:
        """The text's language code, if the service can tell; TranslationError when down."""
        ...

    async def close(self) -> None: ...


def text_hash(text: str, backend: str) -> str:
    """What a stored translation is keyed by: the original text and the backend that made it."""
    return hashlib.sha256(f"{backend}\n{text}".encode()).hexdigest()


def other_language(language: str) -> str:
    """The network's other language ("de" -> "en")."""
    return next(x for x in LANGUAGES if x != language)


def backend_from_settings(settings: Settings) -> Backend | None:
    """The configured backend, or None when translation is off."""
    if settings.translate == "libretranslate":
        from udx_bot.translation.libretranslate import LibreTranslate

        assert settings.translate_url is not None
        return LibreTranslate(settings.translate_url, api_key=settings.translate_api_key)
    if settings.translate == "deepl":
        from udx_bot.translation.deepl import DeepL

        assert settings.deepl_api_key is not None
        return DeepL(settings.deepl_api_key, server_url=settings.deepl_server_url)
    return None
