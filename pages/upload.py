"""Upload: an analyst's CSV or Excel file, mapped once, checked, then viewed ad hoc or imported.

Widgets only: reading, mapping, checking and loading are ``analytics.importer``. The file read
into its private in-memory database lives in this session's state between reruns.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

import ui
from analytics import engine, store
from analytics.formatting import fmt_int
from analytics.i18n import has, t
from analytics.importer import (
    ImportRejected,
    Mapping,
    MappingError,
    Rejected,
    adhoc_source,
    load,
    open_file,
    plan,
    stage,
)
from analytics.importer.fields import FIELDS, KINDS, field_names, format_status_target
from analytics.importer.loading import Plan, Summary
from analytics.importer.reading import DELIMITER_NAMES
from analytics.importer.saved import load_saved, save_mapping, saved_names
from analytics.importer.staging import Staged, Upload
from analytics.model import STAGES
from analytics.privacy import mask_email, mask_phone
from ui.components import md_escape
from ui.data import set_adhoc


def _database() -> store.FileSource:
    """Imports, duplicate checks and saved mappings always use the database file, also while
    this session looks at another file ad hoc."""
    return store.FileSource()


ENCODINGS = ("", "utf-8", "utf-8-sig", "cp1251", "utf-16", "latin-1")
DELIMITERS = ("", ",", ";", "\t", "|")
FIXED = "\x00fixed"  # the "one value for every row" choice of a field's selectbox
#: fields shown first for each kind; the rest sit under "More fields"
MAIN_FIELDS = {
    "leads": (
        "lead_id",
        "created_at",
        "stage",
        "channel",
        "source",
        "campaign_id",
        "owner",
        "deal_value",
        "closed_at",
        "email",
        "phone",
        "company",
    ),
    "campaigns": field_names("campaigns"),
    "costs": field_names("costs"),
    "funnel": field_names("funnel"),
}
STATUS_TARGETS = (
    "",
    "lead",
    "mql",
    "sql",
    "opportunity",
    "won",
    "lost",
    "nurture",
    "sql/lost",
    "opportunity/lost",
    "mql/nurture",
)


_TARGET_KEYS = {f"upload.target.{v}" for v in STATUS_TARGETS if v}


def _limit_mb() -> int:
    server = int(st.get_option("server.maxUploadSize"))
    try:
        wanted = int(ui.settings().get("upload_limit_mb") or server)
    except (TypeError, ValueError):
        wanted = server
    return max(1, min(wanted, server))


# ---------------------------------------------------------------------------------------------
# Reading the file (kept in session state while the same file and options are chosen)


def _read(uploaded: Any, encoding: str, delimiter: str, sheet: str, lang: str) -> Upload | None:
    key = (uploaded.file_id, uploaded.size, encoding, delimiter, sheet)
    held = st.session_state.get("up.file")
    if held and held[0] == key:
        return held[1]  # type: ignore[no-any-return]
    if held:
        held[1].close()
        st.session_state.pop("up.file", None)
    st.session_state.pop("up.staged", None)
    with tempfile.TemporaryDirectory(prefix="voronka-upload-") as tmp:
        path = Path(tmp) / ("upload" + Path(uploaded.name).suffix.lower()[:8])
        with path.open("wb") as out:
            uploaded.seek(0)
            shutil.copyfileobj(uploaded, out, 4 * 1024 * 1024)
        try:
            with st.spinner(ui.tr("upload.page.reading_file")):
                upload = open_file(
                    path,
                    name=uploaded.name,
                    encoding=encoding or None,
                    delimiter=delimiter or None,
                    sheet=sheet or None,
                    lang=lang,
                )
        except ImportRejected as exc:
            st.error(md_escape(exc.message), icon=":material/block:")
            return None
    st.session_state["up.file"] = (key, upload)
    return upload


def _detected(upload: Upload, lang: str) -> None:
    d = upload.detected
    if d.format == "xlsx":
        text = ui.tr(
            "upload.page.detected_xlsx",
            rows=fmt_int(d.rows, lang),
            columns=len(d.headers),
            sheet=md_escape(d.sheet or ""),
        )
    else:
        text = ui.tr(
            "upload.page.detected",
            rows=fmt_int(d.rows, lang),
            columns=len(d.headers),
            encoding=d.encoding,
            delimiter=f"**{d.delimiter_name()}**",
        )
    st.caption(":material/check_circle: " + text)
    if not d.delimiter_sure:
        st.warning(
            ui.tr("upload.page.unsure_delimiter", delimiter=f"**{d.delimiter_name()}**"),
            icon=":material/help:",
        )
    if d.renamed:
        items = ", ".join(f"{md_escape(a or '∅')} → {md_escape(b)}" for a, b in d.renamed[:10])
        st.caption(":material/edit: " + ui.tr("upload.page.renamed", items=items))
    if d.ragged_total:
        st.warning(
            ui.tr("upload.page.ragged", count=fmt_int(d.ragged_total, lang)),
            icon=":material/warning:",
        )
    with st.expander(ui.tr("upload.page.sample"), icon=":material/table_rows:"):
        st.dataframe(upload.sample(5), hide_index=True, placeholder="–", width="stretch")


# ---------------------------------------------------------------------------------------------
# Mapping widgets: canonical state is a Mapping in session state; widgets are keyed by file,
# kind and language and seeded from it.


def _wkey(upload: Upload, name: str) -> str:
    return f"up.{ui.language()}.{upload.digest}.{name}"


def _field_picker(upload: Upload, mapping: Mapping, name: str, where: Any) -> None:
    lang = ui.language()
    headers = upload.detected.headers
    options = ["", *headers, FIXED]
    if name in mapping.columns and mapping.columns[name] in headers:
        current = mapping.columns[name]
    elif name in mapping.fixed:
        current = FIXED
    else:
        current = ""
    label = t(f"upload.field.{name}", lang)
    if mapping.kind == "funnel" and name == "campaign_id":
        label = t("upload.page.compare_by", lang)
    fixed_label = t("upload.page.fixed", lang)
    choice = where.selectbox(
        label + (" *" if _required(mapping, name) else ""),
        options,
        index=options.index(current),
        format_func=lambda v: "—" if v == "" else (fixed_label if v == FIXED else v),
        key=_wkey(upload, f"{mapping.kind}.f.{name}"),
    )
    mapping.columns.pop(name, None)
    if choice == FIXED:
        value = where.text_input(
            t("upload.page.fixed_value", lang, field=t(f"upload.field.{name}", lang)),
            value=mapping.fixed.get(name, ""),
            key=_wkey(upload, f"{mapping.kind}.v.{name}"),
        )
        if value.strip():
            mapping.fixed[name] = value.strip()
        else:
            mapping.fixed.pop(name, None)
    else:
        mapping.fixed.pop(name, None)
        if choice:
            mapping.columns[name] = choice


def _required(mapping: Mapping, name: str) -> bool:
    if mapping.kind in ("costs", "funnel") and name == "day":
        return True
    return any(f.name == name and f.required for f in FIELDS[mapping.kind])


def _stage_pickers(upload: Upload, mapping: Mapping) -> None:
    lang = ui.language()
    st.markdown("**" + ui.tr("upload.page.stages") + "**")
    st.caption(ui.tr("upload.page.stages_help"))
    numeric = ["", *upload.numeric_columns()]
    cols = st.columns(len(STAGES))
    for col, stage_name in zip(cols, STAGES, strict=True):
        current = mapping.stages.get(stage_name, "")
        choice = col.selectbox(
            t(f"upload.target.{stage_name}", lang),
            numeric,
            index=numeric.index(current) if current in numeric else 0,
            format_func=lambda v: "—" if v == "" else v,
            key=_wkey(upload, f"funnel.s.{stage_name}"),
        )
        if choice:
            mapping.stages[stage_name] = choice
        else:
            mapping.stages.pop(stage_name, None)


def _suggest_stages(upload: Upload) -> dict[str, str]:
    """Count columns named like people at a stage (conversions, leads, purchases)."""
    words = {
        "lead": ("total_conversion", "conversions", "leads", "лиды", "заявки", "results"),
        "won": ("approved_conversion", "purchases", "sales", "продажи", "покупки", "won"),
    }
    numeric = {h.lower(): h for h in upload.numeric_columns()}
    out = {}
    for stage_name, names in words.items():
        for n in names:
            if n in numeric:
                out[stage_name] = numeric[n]
                break
    return out


def _saved(kind: str) -> list[str]:
    try:
        with _database().reading() as con:
            return [n for n, k in saved_names(con) if k == kind]
    except store.StoreError:
        return []


def _mapping_section(upload: Upload, kind: str) -> Mapping:
    state_key = f"up.mapping.{upload.digest}.{kind}"
    mapping: Mapping | None = st.session_state.get(state_key)
    st.subheader(ui.tr("upload.page.step_map"))
    st.caption(ui.tr("upload.page.step_map_help"))
    saved = _saved(kind)
    if saved:
        start = st.selectbox(
            ui.tr("upload.page.start_from"),
            ["", *saved],
            format_func=lambda v: ui.tr("upload.page.suggested") if v == "" else v,
            key=_wkey(upload, f"{kind}.start"),
        )
        if st.session_state.get(state_key + ".start") != start:
            st.session_state[state_key + ".start"] = start
            if start:
                with _database().reading() as con:
                    mapping = load_saved(con, start)
                _forget_widgets(upload)
            elif mapping is not None:
                mapping = None
                _forget_widgets(upload)
    if mapping is None:
        mapping = Mapping.suggested(kind, upload.detected.headers)  # type: ignore[arg-type]
        if kind == "funnel":
            mapping.stages = _suggest_stages(upload)
    mapping.kind = kind  # type: ignore[assignment]
    main = MAIN_FIELDS[kind]
    grid = st.columns(3)
    for i, name in enumerate(main):
        _field_picker(upload, mapping, name, grid[i % 3])
    rest = [n for n in field_names(kind) if n not in main]  # type: ignore[arg-type]
    if rest:
        with st.expander(ui.tr("upload.page.more_fields"), icon=":material/more_horiz:"):
            grid = st.columns(3)
            for i, name in enumerate(rest):
                _field_picker(upload, mapping, name, grid[i % 3])
    if kind == "funnel":
        _stage_pickers(upload, mapping)
    st.session_state[state_key] = mapping
    return mapping


def _forget_widgets(upload: Upload) -> None:
    prefix = f"up.{ui.language()}.{upload.digest}."
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        if not str(key).endswith(".start"):
            del st.session_state[key]


def _status_section(upload: Upload, mapping: Mapping, staged: Staged) -> bool:
    """The status map editor; True if it changed the mapping (the file is checked again)."""
    lang = ui.language()
    source = mapping.columns.get("stage")
    if source is None or not staged.status_values:
        return False
    st.subheader(ui.tr("upload.page.status_map"))
    st.caption(ui.tr("upload.page.status_map_help", column=md_escape(source)))
    values = staged.status_values
    shown = values[:40]
    if len(values) > len(shown):
        st.caption(ui.tr("upload.page.too_many_statuses", shown=len(shown), total=len(values)))
    unknown = sum(1 for _, _, target in values if target is None)
    if unknown:
        st.warning(ui.tr("upload.page.status_unknown", count=unknown), icon=":material/help:")
    changed = False
    grid = st.columns(3)
    for i, (value, count, target) in enumerate(shown):
        current = format_status_target(target) if target else ""
        options = list(STATUS_TARGETS)
        if current not in options:
            options.append(current)
        digest = hashlib.sha1(value.encode(), usedforsecurity=False).hexdigest()[:10]
        choice = grid[i % 3].selectbox(
            # a widget label is markdown: the CRM's value is escaped
            f"{md_escape(value)} {t('upload.page.status_rows', lang, count=fmt_int(count, lang))}",
            options,
            index=options.index(current),
            format_func=lambda v: (
                t("upload.page.status_choose", lang)
                if v == ""
                else t(f"upload.target.{v}", lang)
                if f"upload.target.{v}" in _TARGET_KEYS
                else v
            ),
            key=_wkey(upload, f"status.{digest}"),
        )
        if choice != current:
            changed = True
            if choice:
                mapping.status_map[value] = choice
            else:
                mapping.status_map.pop(value, None)
    return changed


def _dates_section(upload: Upload, mapping: Mapping, staged: Staged) -> bool:
    """Detected date layouts (ambiguous columns must be chosen) and the values read as empty.
    True if the mapping changed."""
    changed = False
    with st.expander(
        ui.tr("upload.page.dates"), expanded=bool(staged.ambiguous), icon=":material/event:"
    ):
        for source, fmt in staged.date_formats.items():
            if source in staged.ambiguous and source not in mapping.date_formats:
                choice = st.radio(
                    ui.tr("upload.page.date_ambiguous", column=md_escape(source)),
                    list(staged.ambiguous[source]),
                    index=None,
                    horizontal=True,
                    key=_wkey(upload, f"date.{source}"),
                )
                if choice:
                    mapping.date_formats[source] = choice
                    changed = True
            else:
                st.caption(ui.tr("upload.page.date_column", column=md_escape(source), format=fmt))
        nulls = st.text_input(
            ui.tr("upload.page.nulls"),
            value=", ".join(v for v in mapping.null_values if v),
            help=ui.tr("upload.page.nulls_help"),
            key=_wkey(upload, "nulls"),
        )
        wanted = ["", *[v.strip() for v in nulls.split(",") if v.strip()]]
        if set(wanted) != set(mapping.null_values):
            mapping.null_values = wanted
            changed = True
    return changed


# ---------------------------------------------------------------------------------------------
# Checking


def _stage(upload: Upload, mapping: Mapping, skip_invalid: bool, lang: str) -> Staged | None:
    key = (upload.digest, mapping.to_json(), skip_invalid, lang)
    held = st.session_state.get("up.staged")
    if held and held[0] == key:
        return held[1]  # type: ignore[no-any-return]
    try:
        with st.spinner(ui.tr("upload.page.checking")):
            staged = stage(
                upload,
                Mapping.from_dict(mapping.to_dict()),
                lang=lang,
                skip_invalid=skip_invalid,
            )
    except (ImportRejected, MappingError) as exc:
        message = md_escape(exc.message if isinstance(exc, ImportRejected) else str(exc))
        st.warning(ui.tr("upload.page.fix_first", message=message), icon=":material/rule:")
        st.session_state.pop("up.staged", None)
        return None
    st.session_state["up.staged"] = (key, staged)
    return staged


def _problems(staged: Staged, lang: str) -> None:
    if not staged.error_count:
        st.success(ui.tr("upload.page.no_problems"), icon=":material/task_alt:")
        return
    st.error(
        ui.tr(
            "upload.page.problems",
            count=fmt_int(staged.error_count, lang),
            rows=fmt_int(staged.invalid_rows, lang),
        ),
        icon=":material/error:",
    )
    names = {c: ui.tr(f"upload.page.col_{c}") for c in ("row", "column", "value", "message")}
    first = pd.DataFrame([e.as_dict() for e in staged.errors(20)]).rename(columns=names)
    st.dataframe(
        first,
        hide_index=True,
        placeholder="–",
        width="stretch",
        column_config={
            names["row"]: st.column_config.NumberColumn(width="small"),
            names["message"]: st.column_config.TextColumn(width="large"),
        },
    )
    every = staged.errors_frame().rename(columns=names)
    ui.download_table(every, "voronka-import-problems", "dl_problems")


def _column_label(name: str, lang: str) -> str:
    """A field's name on screen; a funnel file's counts are named by their stage."""
    if name.startswith("n_") and name[2:] in STAGES:
        return t(f"upload.target.{name[2:]}", lang)
    key = f"upload.field.{name}"
    return t(key, lang) if has(key, lang) else name


def _preview(staged: Staged) -> None:
    df = staged.preview(10)
    for col, mask in (("email", mask_email), ("phone", mask_phone)):
        if col in df.columns and not ui.show_contacts():
            df[col] = df[col].map(lambda v, m=mask: m(v) if isinstance(v, str) else v)
    keep = [c for c in df.columns if not c.startswith("__") and df[c].notna().any()]
    lang = ui.language()
    shown = df[keep].rename(columns=lambda c: _column_label(c, lang))
    with st.expander(ui.tr("upload.page.preview"), icon=":material/preview:"):
        st.dataframe(shown, hide_index=True, placeholder="–", width="stretch")


def _plan(staged: Staged, mode: str) -> Plan | None:
    source = _database()
    if not source.path.exists():
        return None
    key = (id(staged), mode, source.signature())
    held = st.session_state.get("up.plan")
    if held and held[0] == key:
        return held[1]  # type: ignore[no-any-return]
    try:
        with source.reading() as con:
            result = plan(con, staged, mode, ui.language())  # type: ignore[arg-type]
    except store.StoreError as exc:
        st.warning(
            ui.tr("upload.page.busy", message=md_escape(str(exc))), icon=":material/hourglass_top:"
        )
        return None
    except ImportRejected as exc:
        st.warning(md_escape(exc.message), icon=":material/rule:")
        st.session_state["up.plan"] = (key, None)
        return None
    st.session_state["up.plan"] = (key, result)
    return result


def _duplicates(p: Plan, lang: str) -> None:
    st.caption(
        ":material/content_copy: "
        + ui.tr(
            "upload.page.duplicates",
            db=fmt_int(p.dup_db + p.update, lang),
            file=fmt_int(p.dup_file, lang),
            new=fmt_int(p.insert, lang),
        ),
        help=ui.tr("upload.page.duplicates_help"),
    )
    if not p.sample.empty:
        sample = p.sample.copy()
        if not ui.show_contacts():
            sample["email"] = sample["email"].map(
                lambda v: mask_email(v) if isinstance(v, str) else v
            )
            sample["phone"] = sample["phone"].map(
                lambda v: mask_phone(v) if isinstance(v, str) else v
            )
        sample["match_by"] = sample["match_by"].map(lambda v: t(f"upload.match.{v}", lang))
        sample["action"] = sample["action"].map(lambda v: t(f"upload.action.{v}", lang))
        sample = sample.rename(
            columns={
                "row": t("upload.page.col_row", lang),
                "lead_id": t("upload.page.col_lead", lang),
                "match_by": t("upload.page.col_match", lang),
                "existing_lead": t("upload.page.col_existing", lang),
                "action": t("upload.page.col_action", lang),
                "email": t("upload.field.email", lang),
                "phone": t("upload.field.phone", lang),
            }
        )
        with st.expander(ui.tr("upload.page.duplicates_sample"), icon=":material/content_copy:"):
            st.dataframe(sample, hide_index=True, placeholder="–", width="stretch")


# ---------------------------------------------------------------------------------------------
# Doing


def _summary_text(name: str, s: Summary, lang: str) -> str:
    text = ui.tr(
        "upload.page.imported",
        name=md_escape(name),
        read=fmt_int(s.read, lang),
        inserted=fmt_int(s.inserted, lang),
        updated=fmt_int(s.updated, lang),
        skipped=fmt_int(s.skipped, lang),
        duplicates=fmt_int(s.duplicates, lang),
        rejected=fmt_int(s.rejected, lang),
    )
    if s.campaigns_created:
        text += " " + ui.tr("upload.page.campaigns_created", count=s.campaigns_created)
    if s.merged:
        text += " " + ui.tr("upload.page.merged", count=fmt_int(s.merged, lang))
    return text


def _import(staged: Staged, mode: str, lang: str) -> None:
    if engine.config().engine == "clickhouse":
        st.error(ui.tr("upload.page.clickhouse_import"), icon=":material/block:")
        return
    source = _database()
    bar = st.progress(0.0, text=ui.tr("upload.page.importing"))

    def progress(fraction: float, step: str) -> None:
        bar.progress(min(max(fraction, 0.0), 1.0), text=ui.tr("upload.page.importing"))

    try:
        with source.writing() as con:
            summary = load(con, staged, mode, lang=lang, progress=progress)  # type: ignore[arg-type]
    except Rejected as exc:
        bar.empty()
        st.error(
            ui.tr("upload.page.rejected", message=md_escape(exc.message)), icon=":material/block:"
        )
        return
    except store.StoreError as exc:
        bar.empty()
        st.error(
            ui.tr("upload.page.busy", message=md_escape(str(exc))), icon=":material/hourglass_top:"
        )
        return
    bar.empty()
    st.session_state["up.done"] = _summary_text(staged.upload.detected.name, summary, lang)
    st.session_state.pop("up.plan", None)


def _adhoc(staged: Staged) -> None:
    name = staged.upload.detected.name
    try:
        source = adhoc_source(staged, name)
    except ImportRejected as exc:
        st.error(
            ui.tr("upload.page.rejected", message=md_escape(exc.message)), icon=":material/block:"
        )
        return
    set_adhoc(source)
    st.session_state["flt_period"] = "all_time"  # a file is looked at whole
    st.switch_page("pages/overview.py")


def _cli_line(mapping: Mapping, mode: str, name: str) -> str:
    parts = ["python -m analytics import --db PATH", f"--kind {mapping.kind}"]
    parts += [f'--map "{src}={f}"' for f, src in mapping.columns.items()]
    parts += [f'--set "{f}={v}"' for f, v in mapping.fixed.items()]
    parts += [f'--status-map "{k}={v}"' for k, v in mapping.status_map.items()]
    parts += [f'--stage "{s}={c}"' for s, c in mapping.stages.items()]
    if mapping.date_format:
        parts.append(f"--date-format {mapping.date_format}")
    if mode == "update":
        parts.append("--mode update")
    parts.append(f'"{name}"')
    return " \\\n    ".join(parts)


def _save_section(mapping: Mapping, name: str, mode: str) -> None:
    source = _database()
    with st.expander(ui.tr("upload.page.save"), icon=":material/bookmark:"):
        if source.path.exists():
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            title = left.text_input(ui.tr("upload.page.save"), key="up.save_name",
                                    label_visibility="collapsed", max_chars=80)  # fmt: skip
            if right.button(ui.tr("upload.page.save_button"), disabled=not title.strip()):
                try:
                    with source.writing() as con:
                        saved = save_mapping(con, title, mapping)
                    st.success(ui.tr("upload.page.saved", name=md_escape(saved)))
                except store.StoreError as exc:
                    st.error(ui.tr("upload.page.busy", message=md_escape(str(exc))))
        st.download_button(
            ui.tr("upload.page.download_mapping"),
            mapping.to_json().encode("utf-8"),
            file_name=f"voronka-mapping-{mapping.kind}.json",
            mime="application/json",
            icon=":material/download:",
            type="tertiary",
        )
        st.caption(ui.tr("upload.page.cli"))
        st.code(_cli_line(mapping, mode, name), language="bash")


# ---------------------------------------------------------------------------------------------


def main() -> None:
    lang = ui.language()
    ui.require_change_rights()  # a read-only account: also on a direct link
    st.title(ui.tr("upload.page.title"))
    st.markdown(ui.tr("upload.page.intro"))
    limit = _limit_mb()
    done = st.session_state.pop("up.done", None)

    left, right = st.columns([3, 2])
    uploaded = left.file_uploader(
        ui.tr("upload.page.file"),
        type=["csv", "txt", "tsv", "xlsx"],
        help=ui.tr("upload.page.file_help", limit=limit),
        key="up.uploader",
    )
    kind = right.radio(
        ui.tr("upload.page.kind"),
        KINDS,
        format_func=lambda k: t(f"upload.kind_name.{k}", lang),
        help=ui.tr("upload.page.kind_help"),
        key="up.kind",
    )
    with right.expander(ui.tr("upload.page.reading"), icon=":material/tune:"):
        encoding = st.selectbox(
            ui.tr("upload.page.encoding"),
            ENCODINGS,
            format_func=lambda v: t("upload.page.auto", lang) if v == "" else v,
            key="up.encoding",
        )
        delimiter = st.selectbox(
            ui.tr("upload.page.delimiter"),
            DELIMITERS,
            format_func=lambda v: t("upload.page.auto", lang) if v == "" else DELIMITER_NAMES[v],
            key="up.delimiter",
        )
    left.caption(ui.tr("upload.page.limit", limit=limit))
    if uploaded is None:
        held = st.session_state.pop("up.file", None)
        if held:  # the file was removed: free its staging database
            held[1].close()
            st.session_state.pop("up.staged", None)
        if done:
            st.success(done, icon=":material/task_alt:")
        return
    if uploaded.size > limit * 1024 * 1024:
        st.error(ui.tr("upload.page.too_large", size=round(uploaded.size / 2**20, 1), limit=limit))
        return
    sheet_key = f"up.sheet.{uploaded.file_id}"
    upload = _read(uploaded, encoding, delimiter, st.session_state.get(sheet_key) or "", lang)
    if upload is None:
        return
    sheets = upload.detected.sheets
    if len(sheets) > 1:  # a workbook with several sheets: the first is read unless chosen
        st.selectbox(ui.tr("upload.page.sheet"), sheets, key=sheet_key)
    _detected(upload, lang)

    mapping = _mapping_section(upload, kind)
    staged = _stage(upload, mapping, st.session_state.get("up.skip_invalid", False), lang)
    if staged is None:
        return
    if _status_section(upload, mapping, staged) | _dates_section(upload, mapping, staged):
        staged = _stage(upload, mapping, st.session_state.get("up.skip_invalid", False), lang)
        if staged is None:
            return

    st.subheader(ui.tr("upload.page.step_check"))
    _problems(staged, lang)
    if staged.invalid_rows:
        st.checkbox(
            ui.tr("upload.page.skip_invalid", rows=fmt_int(staged.invalid_rows, lang)),
            key="up.skip_invalid",
        )
    _preview(staged)
    mode = "append"
    if kind in ("leads", "campaigns", "costs"):
        mode = st.radio(
            ui.tr("upload.page.mode"),
            ("append", "update"),
            format_func=lambda m: t(f"upload.page.mode_{m}", lang),
            horizontal=True,
            key="up.mode",
        )
    p = _plan(staged, mode)
    if p is not None:
        _duplicates(p, lang)

    st.subheader(ui.tr("upload.page.step_do"))
    if done:  # the last import's summary, where the button was pressed
        st.success(done, icon=":material/task_alt:")
    pending = [s for s in staged.ambiguous if s not in mapping.date_formats]
    for source in pending:
        st.warning(
            ui.tr("upload.page.date_choose", column=md_escape(source)), icon=":material/event:"
        )
    blocked = bool(pending) or (staged.invalid_rows > 0 and not staged.skip_invalid)
    blocked = blocked or (staged.updates_only and p is None)
    if not blocked and staged.clean_rows() == 0:
        st.info(ui.tr("upload.page.need_rows"))
        blocked = True
    a, b, _ = st.columns([1, 1.4, 1.6])
    if a.button(
        ui.tr("upload.page.adhoc"),
        help=ui.tr("upload.page.adhoc_help"),
        disabled=blocked,
        icon=":material/visibility:",
        key="up.adhoc",
    ):
        _adhoc(staged)
    can_import = _database().path.exists()
    if b.button(
        ui.tr("upload.page.import"),
        type="primary",
        disabled=blocked or not can_import,
        icon=":material/database_upload:",
        key="up.import",
    ):
        _import(staged, mode, lang)
        st.rerun()
    _save_section(mapping, upload.detected.name, mode)


ui.require_shell()  # inside dashboard.py, also on a fresh server (ui/shell.py)
main()
