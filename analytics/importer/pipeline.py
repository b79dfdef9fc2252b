"""The import pipeline end to end: read -> map -> parse -> validate -> duplicates -> load.

Everything runs in SQL. A file is read into a private in-memory DuckDB
(:func:`~analytics.importer.staging.open_file`); the mapping turns its text columns into typed
target columns and a table of problems (:func:`~analytics.importer.staging.stage`); duplicates
are classified against the target database and the rows written in one transaction
(:mod:`analytics.importer.loading`). Until that transaction commits, the target is not written.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from analytics import store
from analytics.i18n import t
from analytics.importer.fields import Mode
from analytics.importer.loading import Rejected, Summary, load, plan, summarise
from analytics.importer.mapping import Mapping
from analytics.importer.staging import open_file, require_unambiguous, stage


def import_file(
    db: str | os.PathLike[str] | None,
    path: str | os.PathLike[str],
    mapping: Mapping,
    *,
    mode: Mode = "append",
    skip_invalid: bool = False,
    dry_run: bool = False,
    lang: str = "en",
    require_confirmed: bool = True,
    progress: Callable[[float, str], None] | None = None,
    suggested: Callable[[Mapping], None] | None = None,
) -> Summary:
    """Read, check and (unless ``dry_run``) load ``path`` into the database ``db``.

    With ``suggested`` given, a ``mapping`` with nothing mapped takes the columns suggested
    from the file's header (read once, with the file) and ``suggested(mapping)`` is told.

    With ``require_confirmed`` an unsure delimiter or an ambiguous date column is refused
    (the CLI asks for --delimiter / --date-format). Raises ImportRejected with nothing written.
    """
    from analytics.importer.reading import require_sure_delimiter

    db_path = store.resolve_path(db)
    if not db_path.exists():
        raise store.DatabaseMissing(
            f"{db_path} does not exist. Create it with `python -m analytics init --db {db_path}`."
        )
    upload = open_file(
        path,
        encoding=mapping.encoding,
        delimiter=mapping.delimiter,
        lang=lang,
        progress=progress,
    )
    try:
        if suggested is not None and not mapping.columns and not mapping.stages:
            mapping.columns = Mapping.suggested(mapping.kind, upload.detected.headers).columns
            suggested(mapping)
        if require_confirmed and mapping.delimiter is None:
            require_sure_delimiter(upload.detected, lang)
        staged = stage(upload, mapping, lang=lang, skip_invalid=skip_invalid, progress=progress)
        if require_confirmed:
            require_unambiguous(staged, lang)
        if dry_run:
            summary = summarise(staged)
            with store.reading(db_path) as con:
                p = plan(con, staged, mode, lang)
            summary.status = "dry_run"
            summary.inserted, summary.updated = p.insert, p.update
            summary.duplicates_in_file, summary.duplicates_in_database = (
                p.dup_file,
                p.dup_db + p.update,
            )
            summary.duplicates = p.dup_file + p.dup_db + p.update
            summary.skipped = summary.rejected + p.dup_file + p.dup_db + p.not_found
            summary.not_found = p.not_found
            summary.campaigns_created = p.campaigns_created
            if staged.invalid_rows and not skip_invalid:
                summary.status = "rejected"
                raise Rejected(
                    summary, t("upload.err.invalid_rows", lang, rows=staged.invalid_rows)
                )
            return summary
        if staged.invalid_rows and not skip_invalid:
            summary = summarise(staged)
            summary.status = "rejected"
            raise Rejected(summary, t("upload.err.invalid_rows", lang, rows=staged.invalid_rows))
        with store.writing(db_path) as con:
            return load(con, staged, mode, lang=lang, progress=progress)
    finally:
        upload.close()
