"""Page building blocks: KPI tiles, "How is this computed?", notes, downloads, empty states."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from analytics.export import to_csv_bytes, to_xlsx_bytes
from analytics.formatting import fmt_date, fmt_int
from analytics.i18n import label
from analytics.sql import Query
from ui import url
from ui.data import database, span
from ui.i18n import language, tr

log = logging.getLogger("voronka")


@dataclass(frozen=True)
class Tile:
    label: str
    value: str
    delta: str | None = None
    delta_color: str = "normal"  # "inverse" where lower is better (costs)
    help: str | None = None


def kpi_row(tiles: Sequence[Tile], per_row: int = 5) -> None:
    for i in range(0, len(tiles), per_row):
        cols = st.columns(per_row)
        for col, tile in zip(cols, tiles[i : i + per_row], strict=False):
            col.metric(
                tile.label,
                tile.value,
                delta=tile.delta,
                delta_color=tile.delta_color,  # type: ignore[arg-type]
                help=tile.help,
                border=True,
            )


def explain(keys: Sequence[str], queries: Sequence[Query] = (), key: str | None = None) -> None:
    """The definitions of ``keys`` (metric catalogue) and the SQL that produced the numbers.

    With ``key`` (unique on the page), the content is built only while the expander is open: a
    page with several of them reruns faster, and opening one is a quick rerun from the cache.
    """
    if key is None:
        with st.expander(tr("app.how_computed"), icon=":material/help:"):
            _explain_body(keys, queries)
        return
    box = st.expander(tr("app.how_computed"), icon=":material/help:", key=key, on_change="rerun")
    with box:
        if box.open:
            _explain_body(keys, queries)


def _explain_body(keys: Sequence[str], queries: Sequence[Query]) -> None:
    for key in keys:
        st.markdown(f"**{tr(f'metrics.{key}.title')}.** {tr(f'metrics.{key}.definition')}")
    for query in queries:
        st.caption(tr("app.sql_label"))
        st.code(query.rendered(), language="sql", wrap_lines=True)


def demo_banner() -> None:
    leads = database().demo_leads
    if leads:
        st.info(tr("app.demo_banner", leads=fmt_int(leads, language())), icon=":material/science:")


def cost_note(filters: Sequence[str], reason: str = "lead_level") -> None:
    """Why cost metrics are not shown: lead-level ``filters``, or no cost data at all."""
    if reason == "no_costs":
        st.caption(":material/info: " + tr("notes.no_cost_data"))
        return
    lang = language()
    names = ", ".join(label("filter", n, lang).lower() for n in filters)
    st.caption(":material/info: " + tr("notes.cost_hidden", filters=names))


def no_data() -> None:
    lang = language()
    first, last = span()
    if first is None:
        st.info(tr("app.empty_db"), icon=":material/inbox:")
    else:
        st.info(
            tr("app.no_data_in_period", first=fmt_date(first, lang), last=fmt_date(last, lang)),
            icon=":material/filter_alt_off:",
        )


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~:$&")


def md_escape(text: str) -> str:
    """Text from data or a URL, made inert for Streamlit markdown (no links, images, colours)."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def ignored_params_notice() -> None:
    items = url.take_ignored()
    if items:
        st.warning(
            tr("app.ignored_params", items=", ".join(md_escape(i) for i in items)),
            icon=":material/link_off:",
        )


def download_table(df: pd.DataFrame, basename: str, key: str) -> None:
    """CSV and Excel downloads of a table (formula-looking text cells neutralised).

    The files are written only when a button is clicked, not on every rerun (an Excel file
    takes tens of milliseconds to write, and a page has several tables).
    """
    frame = df.copy()  # the page may change df after this call
    download_deferred(lambda: frame, basename, key)


def table_section(
    title: str,
    frame: pd.DataFrame,
    basename: str,
    key: str,
    download_key: str,
    column_config: dict[str, Any] | None = None,
    caption: str | None = None,
) -> None:
    """A table in a closed expander with its CSV and Excel downloads, drawn only while the
    expander is open (opening or closing it reruns the page), so a closed one costs nothing."""
    box = st.expander(title, icon=":material/table:", on_change="rerun", key=key)
    with box:
        if not box.open:
            return
        st.dataframe(
            frame, hide_index=True, placeholder="–", width="stretch", column_config=column_config
        )
        if caption:
            st.caption(caption)
        download_table(frame, basename, download_key)


def download_deferred(make: Callable[[], pd.DataFrame], basename: str, key: str) -> None:
    """CSV and Excel downloads of a table built only when a button is clicked: ``make`` runs
    then, outside the script run, so it must not call Streamlit (a long list can be queried
    there). Clicking does not rerun the page."""
    left, right, _ = st.columns([1, 1, 4])
    left.download_button(
        tr("app.download_csv"),
        lambda: to_csv_bytes(make()),
        file_name=f"{basename}.csv",
        mime="text/csv",
        key=f"{key}_csv",
        icon=":material/download:",
        type="tertiary",
        on_click="ignore",
    )
    right.download_button(
        tr("app.download_xlsx"),
        lambda: to_xlsx_bytes(make()),
        file_name=f"{basename}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{key}_xlsx",
        icon=":material/table_view:",
        type="tertiary",
        on_click="ignore",
    )


def stage_label(stage: str, one: bool = False) -> str:
    """The stage's name: the CRM's own from the settings if given, else the catalogue's."""
    from ui.data import settings

    custom = (settings().get("stage_labels") or {}).get(stage)
    if custom:
        return str(custom)
    return label("stage_one" if one else "stage", stage, language())


def adhoc_banner() -> None:
    """On every page while this session looks at an uploaded file: its name (escaped: it is
    the user's text) and a way back to the database."""
    from ui.data import ADHOC_KEY, set_adhoc

    source = st.session_state.get(ADHOC_KEY)
    if source is None:
        return
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.info(tr("app.adhoc_banner", name=md_escape(source.label)), icon=":material/visibility:")

    def back() -> None:
        set_adhoc(None)

    right.button(tr("app.adhoc_back"), on_click=back, key="adhoc_back", icon=":material/undo:")


def unexpected(exc: Exception) -> None:
    """A page failed in a way nobody planned for: a plain message with a reference on screen,
    the traceback in the server's log under the same reference, never on screen.

    With ``VORONKA_DEBUG=1`` (the tests set it) the error is raised instead, so Streamlit shows
    it and a test that hits it fails.
    """
    if os.environ.get("VORONKA_DEBUG"):
        raise exc
    ref = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
    log.error("unexpected error, reference %s", ref, exc_info=exc)
    st.error(tr("app.unexpected", ref=ref), icon=":material/error:")
