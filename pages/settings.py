"""Settings: currency, language, week start, ICP size range and the CRM's stage names, stored in
the database so every page, every user and the CLI see the same."""

from __future__ import annotations

from typing import Any

import duckdb
import streamlit as st

import ui
from analytics import store
from analytics.formatting import CURRENCIES, fmt_int, fmt_money
from analytics.i18n import LANGUAGES, label, t
from analytics.model import STAGES
from analytics.settings import (
    MAX_ICP,
    MAX_LABEL,
    WEEK_STARTS,
    Problem,
    clean_settings,
    save_settings,
)
from ui import url
from ui.components import md_escape
from ui.data import current_source

FLASH = "settings_flash"
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
WRITE_TIMEOUT = 5.0  # seconds to wait for another program to let go of the file


def problem_text(problem: Problem, lang: str) -> str:
    """The problem in the reader's language; what the person typed is escaped (markdown)."""
    params: dict[str, Any] = {}
    for name, value in problem.params.items():
        if name in ("stage", "other") and value in STAGES:  # stage codes by standard name
            params[name] = label("stage_one", str(value), lang)
        elif isinstance(value, int):
            params[name] = fmt_int(value, lang)
        else:
            params[name] = md_escape(str(value))
    return t(problem.message, lang, **params)


def save(values: dict[str, Any]) -> None:
    """Write the settings through a short read-write connection, all or nothing."""
    source = current_source()
    if isinstance(source, store.FileSource):
        with store.writing(source.path, timeout=WRITE_TIMEOUT) as con:
            save_settings(con, values)
    else:
        with source.writing() as con:
            save_settings(con, values)


def where_stored(lang: str) -> None:
    db = ui.database()
    source = current_source()
    st.caption(ui.tr("settings.where"))
    if isinstance(source, store.FileSource):
        st.caption(ui.tr("settings.engine", engine="DuckDB"))
        st.code(str(source.path.resolve()), language=None, wrap_lines=True)
    elif not db.adhoc:  # ClickHouse (VORONKA_ENGINE=clickhouse)
        st.caption(ui.tr("settings.engine", engine="ClickHouse"))
        st.code(source.label, language=None, wrap_lines=True)
    else:
        st.code(source.label, language=None)
        st.info(ui.tr("settings.adhoc"), icon=":material/upload_file:")
    if db.demo_leads:
        st.caption(ui.tr("settings.demo_note", leads=fmt_int(db.demo_leads, lang)))


def main() -> None:
    lang = ui.language()
    st.title(ui.tr("settings.title"))
    ui.ignored_params_notice()
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.success(ui.tr("settings.saved", names=flash), icon=":material/check_circle:")
    where_stored(lang)
    editable = ui.can_change()
    if not editable:
        st.info(ui.tr("auth.read_only_settings"), icon=":material/lock:")
    locked = ui.contacts_locked()

    saved = ui.settings()
    labels = dict(saved.get("stage_labels") or {})
    # widgets are keyed by the file's signature and the language: a save (here or by another
    # program) or a language switch shows the stored values afresh
    version = f"{abs(hash(ui.database().signature)) % 10**8}.{lang}"

    def key(name: str) -> str:
        return f"set.{name}.{version}"

    with st.form("settings_form", border=False):
        st.subheader(ui.tr("settings.display_title"))
        c1, c2, c3 = st.columns(3)
        currency = c1.selectbox(
            ui.tr("settings.currency"),
            CURRENCIES,
            index=CURRENCIES.index(saved["currency"]) if saved["currency"] in CURRENCIES else 0,
            format_func=lambda c: f"{c} · {fmt_money(1234567.5, c, lang)}",
            help=ui.tr("settings.currency_help"),
            key=key("currency"),
        )
        language = c2.selectbox(
            ui.tr("settings.language"),
            LANGUAGES,
            index=LANGUAGES.index(saved["language"]) if saved["language"] in LANGUAGES else 0,
            format_func=lambda code: LANGUAGE_NAMES.get(code, code),
            help=ui.tr("settings.language_help"),
            key=key("language"),
        )
        week_start = c3.selectbox(
            ui.tr("settings.week_start"),
            WEEK_STARTS,
            index=WEEK_STARTS.index(saved["week_start"])
            if saved["week_start"] in WEEK_STARTS
            else 0,
            format_func=lambda w: t(f"settings.week.{w}", lang),
            help=ui.tr("settings.week_start_help"),
            key=key("week_start"),
        )

        st.subheader(ui.tr("settings.icp_title"))
        st.caption(ui.tr("settings.icp_caption"))
        c1, c2, _ = st.columns(3)
        icp_min = c1.number_input(
            ui.tr("settings.icp_min"),
            min_value=0,
            max_value=MAX_ICP,
            value=int(saved["icp_min"]),
            step=1,
            key=key("icp_min"),
        )
        icp_max = c2.number_input(
            ui.tr("settings.icp_max"),
            min_value=0,
            max_value=MAX_ICP,
            value=int(saved["icp_max"]),
            step=1,
            key=key("icp_max"),
        )

        st.subheader(ui.tr("settings.stages_title"))
        st.caption(ui.tr("settings.stages_caption", max=MAX_LABEL))
        names: dict[str, str] = {}
        for col, stage in zip(st.columns(len(STAGES)), STAGES, strict=True):
            standard = label("stage", stage, lang)
            names[stage] = col.text_input(
                standard,
                value=str(labels.get(stage, "")),
                placeholder=standard,
                max_chars=MAX_LABEL,
                key=key(f"stage.{stage}"),
            )
        st.subheader(ui.tr("settings.privacy_title"))
        show_contacts = st.toggle(
            ui.tr("settings.show_contacts"),
            value=bool(saved.get("show_contacts")) and not locked,
            disabled=locked,
            help=ui.tr("settings.show_contacts_help"),
            key=key("show_contacts"),
        )
        if locked:
            st.caption(ui.tr("settings.contacts_locked"))
        submitted = st.form_submit_button(
            ui.tr("settings.save"), type="primary", icon=":material/save:", disabled=not editable
        )

    if submitted and editable:
        values = {
            "currency": currency,
            "language": language,
            "week_start": week_start,
            "icp_min": icp_min,
            "icp_max": icp_max,
            "stage_labels": names,
        }
        if not locked:  # a locked switch is not the person's choice: leave the stored value
            values["show_contacts"] = show_contacts
        cleaned, problems = clean_settings(values)
        if problems:
            st.error(
                ui.tr("settings.invalid")
                + "\n\n"
                + "\n".join(f"- {problem_text(p, lang)}" for p in problems),
                icon=":material/error:",
            )
            return
        changed = {k: v for k, v in cleaned.items() if saved.get(k) != v}
        if not changed:
            st.info(ui.tr("settings.unchanged"), icon=":material/info:")
            return
        try:
            save(changed)
        except store.DatabaseBusy as exc:
            st.error(ui.tr("settings.busy", message=str(exc)), icon=":material/hourglass_top:")
            return
        except (store.StoreError, duckdb.Error, OSError) as exc:
            st.error(ui.tr("settings.cannot_write", message=str(exc)), icon=":material/edit_off:")
            return
        if "language" in changed:
            # the new default language applies at once, and links without ?lang= follow it
            st.session_state["lang"] = changed["language"]
            st.session_state["_lang_default"] = changed["language"]
            url.register("lang", "lang", changed["language"])
        new_lang = str(changed.get("language", lang))
        st.session_state[FLASH] = ", ".join(
            t(f"settings.name.{k}", new_lang) for k in cleaned if k in changed
        )
        st.rerun()

    with st.expander(ui.tr("settings.how_used"), icon=":material/help:"):
        st.markdown(ui.tr("settings.how_used_text"))


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
