"""Named import errors. Each says what is wrong and what to do; none is shown as a traceback.

A whole-file problem raises an :class:`ImportRejected` subclass; problems of single values are
collected as :class:`BadValue` rows (row, column, value, message) so the user sees them all.
"""

from __future__ import annotations

from dataclasses import dataclass


class ImportRejected(Exception):
    """The file cannot be imported as it is; nothing was written. ``code`` names the reason."""

    code = "rejected"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class EmptyFile(ImportRejected):
    code = "empty_file"


class HeaderOnly(ImportRejected):
    code = "header_only"


class NotText(ImportRejected):
    """A binary file (a renamed .xls, a zip, a picture) where text or .xlsx was expected."""

    code = "not_text"


class BadEncoding(ImportRejected):
    code = "bad_encoding"


class UnsureDelimiter(ImportRejected):
    code = "unsure_delimiter"


class AmbiguousDates(ImportRejected):
    """A date column reads both as day-first and as month-first: the user must say which."""

    code = "ambiguous_dates"


class MissingColumns(ImportRejected):
    code = "missing_columns"


class BadMapping(ImportRejected):
    code = "bad_mapping"


class FileTooLarge(ImportRejected):
    code = "too_large"


class TooManyColumns(ImportRejected):
    code = "too_many_columns"


@dataclass(frozen=True)
class BadValue:
    """One value that cannot be read: ``row`` as a spreadsheet numbers it (header = row 1)."""

    row: int
    column: str
    value: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "message": self.message,
        }
