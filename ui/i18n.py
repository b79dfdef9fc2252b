"""The interface language: from the URL (?lang=ru), else the settings, else English."""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics.i18n import DEFAULT_LANGUAGE, LANGUAGES, t
from ui import url

LANG_KEY = "lang"
_NAMES = {"en": "English", "ru": "Русский"}


def language() -> str:
    if LANG_KEY not in st.session_state or not st.session_state.get("_lang_seeded"):
        from ui.data import settings_or_none

        saved = (settings_or_none() or {}).get("language", DEFAULT_LANGUAGE)
        default = saved if saved in LANGUAGES else DEFAULT_LANGUAGE
        url.seed_once(
            "_lang_seeded",
            [(LANG_KEY, "lang", False, lambda v: v if v in LANGUAGES else None, default)],
        )
        st.session_state["_lang_default"] = default
    return str(st.session_state.get(LANG_KEY) or DEFAULT_LANGUAGE)


def tr(key: str, /, **params: Any) -> str:
    """The message ``key`` in the current language."""
    return t(key, language(), **params)


def language_selector() -> None:
    language()
    key = "w.lang"
    st.session_state[key] = st.session_state[LANG_KEY]

    def changed() -> None:
        st.session_state[LANG_KEY] = st.session_state[key]

    st.sidebar.segmented_control(
        t("app.language", language()),
        LANGUAGES,
        format_func=lambda code: _NAMES[code],
        key=key,
        on_change=changed,
        required=True,
    )


def language_default() -> str:
    return str(st.session_state.get("_lang_default", DEFAULT_LANGUAGE))
