"""Message catalogues: gettext `.po` files read with Babel, one folder per language.

`core/i18n/locales/<code>/LC_MESSAGES/messages.po` holds a language; adding a folder adds the
language (nothing in the code lists them). English is the source language and needs no file.

The current language is per call context: `use_locale("ru")` sets it for a block (alert
delivery, the CLI), and the app registers a resolver that reads the browser session's choice.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
SOURCE = "en"

_current: ContextVar[str | None] = ContextVar("oyna_locale", default=None)
_resolver: Callable[[], str | None] | None = None


@cache
def available() -> tuple[str, ...]:
    """Language codes with a catalogue, English first (read once: every message and number asks)."""
    found = sorted(p.parent.parent.name for p in LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return (SOURCE, *[code for code in found if code != SOURCE])


def language_name(code: str) -> str:
    """The language's own name: 'English', 'Русский', 'Қазақ тілі'."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def normalize(code: str | None) -> str | None:
    """'ru-RU', 'ru_RU' or 'RU' -> 'ru' when that language is available, else None."""
    if not code:
        return None
    base = str(code).strip().replace("_", "-").split("-")[0].lower()
    return base if base in available() else None


def negotiate(accept_language: str | None) -> str:
    """The best available language for an HTTP Accept-Language header (English when none fits)."""
    if not accept_language:
        return SOURCE
    weighted = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        weighted.append((-quality, position, tag))
    for _, _, tag in sorted(weighted):
        code = normalize(tag)
        if code:
            return code
    return SOURCE


def set_resolver(resolver: Callable[[], str | None] | None) -> None:
    """Where the language comes from when no `use_locale` block is active (the app's session)."""
    global _resolver
    _resolver = resolver


def current_locale() -> str:
    code = _current.get()
    if code is None and _resolver is not None:
        try:
            code = _resolver()
        except Exception:  # noqa: BLE001 - a resolver outside its context (no session) means the default
            code = None
    return normalize(code) or SOURCE


@contextmanager
def use_locale(code: str | None) -> Iterator[str]:
    """Speak `code` inside the block (an unknown code means English)."""
    chosen = normalize(code) or SOURCE
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


@cache
def translations(code: str) -> _gettext.NullTranslations:
    """The compiled catalogue of a language (English: the messages as written)."""
    path = LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == SOURCE or not path.is_file():
        return _gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str) -> str:
    """`message` in the current language."""
    return translations(current_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, with the language's plural rules (Russian has three)."""
    return translations(current_locale()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """`message` in a context, for words that translate differently in different places."""
    return translations(current_locale()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet (for constants)."""
    return message
