"""The URL holds the view: every filter and the language, so a link reproduces exactly the view.

Canonical values live in plain session-state keys (kept across pages and language changes);
widgets are bound to them with :func:`bind`. Values are read from the URL once per session
(validated: unknown values are ignored with a notice) and written back after every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

#: session-state key -> (URL parameter name, default), for everything the URL carries.
URL_PARAMS: dict[str, tuple[str, Any]] = {}
_IGNORED = "_url_ignored"


def register(key: str, param: str, default: Any) -> None:
    URL_PARAMS[key] = (param, default)


def seed_once(
    guard: str,
    specs: Iterable[tuple[str, str, bool, Callable[[str], Any | None], Any]],
) -> None:
    """Seed session state from the URL on the first run of a session.

    ``specs``: (state key, URL name, is_list, parse(text) -> value or None if invalid, default).
    """
    if st.session_state.get(guard):
        return
    st.session_state[guard] = True
    ignored: list[str] = st.session_state.setdefault(_IGNORED, [])
    for key, param, is_list, parse, default in specs:
        register(key, param, default)
        raw = st.query_params.get_all(param)
        if not raw:
            st.session_state.setdefault(key, default)
            continue
        if is_list:
            good = []
            for text in raw:
                value = parse(text)
                if value is None:
                    ignored.append(f"{param}={text[:40]}")
                elif value not in good:
                    good.append(value)
            st.session_state[key] = good
        else:
            value = parse(raw[-1])
            if value is None:
                ignored.append(f"{param}={raw[-1][:40]}")
                st.session_state[key] = default
            else:
                st.session_state[key] = value


def widget_key(key: str) -> str:
    """The widget's own key for canonical state ``key``. It includes the language: select
    widgets keep the *label* of their value, so a new language needs a fresh widget."""
    return f"w.{key}.{st.session_state.get('lang', 'en')}"


def bind(key: str) -> dict[str, Any]:
    """Widget kwargs that show canonical state ``key`` and write changes back to it.

    Canonical values live in plain session-state keys, which survive page switches and
    language changes; the widget is re-seeded from them on every run.
    """
    wk = widget_key(key)
    st.session_state[wk] = st.session_state.get(key)

    def changed() -> None:
        st.session_state[key] = st.session_state[wk]

    return {"key": wk, "on_change": changed}


def take_ignored() -> list[str]:
    """URL values that were ignored (shown once, then forgotten)."""
    items = list(st.session_state.get(_IGNORED, []))
    st.session_state[_IGNORED] = []
    return items


def write_url() -> None:
    """Write the registered state to the URL, leaving out values equal to their default."""
    out: dict[str, str | list[str]] = {}
    for key, (param, default) in URL_PARAMS.items():
        if key not in st.session_state:
            continue
        value = st.session_state[key]
        if value is None or value == [] or value == default:
            continue
        if isinstance(value, (list, tuple)):
            out[param] = [str(v) for v in value]
        else:
            out[param] = str(value)
    current = {k: st.query_params.get_all(k) for k in st.query_params}
    wanted = {k: v if isinstance(v, list) else [v] for k, v in out.items()}
    if current != wanted:
        st.query_params.from_dict(out)
