"""The gettext catalogs, shipped as package data: ``<language>/LC_MESSAGES/<domain>.po``.

A package (not just a folder) so the wheel and the sdist carry the catalogs and the bot reads them
with ``importlib.resources.files("locales")`` wherever it is installed (see udx_bot/i18n.py).
"""
