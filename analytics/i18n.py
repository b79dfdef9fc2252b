"""The message catalogue: every label, message, chart title and help text, in English and Russian.

Catalogue files live in ``analytics/locales/<lang>/<area>.toml``; a key is ``<area>.<path>``.
A test fails when a key exists in one language and not the other.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any, Final

LANGUAGES: Final[tuple[str, ...]] = ("en", "ru")
DEFAULT_LANGUAGE: Final[str] = "en"
LOCALES_DIR: Final[Path] = Path(__file__).resolve().parent / "locales"


def _flatten(prefix: str, tree: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in tree.items():
        full = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, by key."""
    if lang not in LANGUAGES:
        raise KeyError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    out: dict[str, str] = {}
    for path in sorted((LOCALES_DIR / lang).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten(path.stem, tomllib.load(fh), out)
    return out


def normalise_language(lang: str | None) -> str:
    lang = (lang or "").strip().lower()[:2]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``{params}`` filled in.

    A key missing in ``lang`` falls back to English; a key missing everywhere raises KeyError
    (tests catch it, users never see a bare key).
    """
    messages = catalogue(normalise_language(lang))
    text = messages.get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE)[key]
    return text.format(**params) if params else text


def has(key: str, lang: str = DEFAULT_LANGUAGE) -> bool:
    return key in catalogue(normalise_language(lang))


def label(kind: str, code: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """Display name of a code (``kind`` = stage, channel, source, mode...); unknown codes as is."""
    if code is None:
        return "—"
    key = f"labels.{kind}.{code}"
    return t(key, lang) if has(key, DEFAULT_LANGUAGE) else str(code)


def missing_keys() -> dict[str, set[str]]:
    """Keys present in some language but missing in another, per language."""
    every = set().union(*(catalogue(lang).keys() for lang in LANGUAGES))
    return {lang: every - catalogue(lang).keys() for lang in LANGUAGES}
