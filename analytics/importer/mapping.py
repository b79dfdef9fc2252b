"""A mapping: which source column fills which field, fixed values, the status map and how to
read dates. The page builds one, saves it by name, and the CLI takes the same JSON file.

JSON form (every key optional except ``kind``)::

    {"kind": "leads",
     "columns": {"lead_id": "ID", "created_at": "Дата создания", "stage": "Этап сделки"},
     "set": {"channel": "events"},
     "status_map": {"Успешно реализовано": "won", "Отказ": "lost"},
     "date_format": "DD.MM.YYYY", "date_formats": {"Дата закрытия": "DD.MM.YYYY"},
     "null_values": ["", "не закрыта"],
     "stages": {"lead": "Total_Conversion", "won": "Approved_Conversion"},
     "encoding": "cp1251", "delimiter": ";"}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from analytics.importer.fields import (
    DEFAULT_NULL_VALUES,
    FIELDS,
    KINDS,
    Kind,
    field_names,
    parse_status_target,
    suggest,
)
from analytics.importer.values import normalise_date_format
from analytics.model import STAGES

_KEYS = {
    "kind",
    "columns",
    "set",
    "status_map",
    "date_format",
    "date_formats",
    "null_values",
    "stages",
    "encoding",
    "delimiter",
    "name",
}


class MappingError(ValueError):
    """A mapping that cannot be used as written (unknown field, bad status target...)."""


@dataclass
class Mapping:
    kind: Kind = "leads"
    columns: dict[str, str] = field(default_factory=dict)  # field -> source column
    fixed: dict[str, str] = field(default_factory=dict)  # field -> one value for every row ("set")
    status_map: dict[str, str] = field(default_factory=dict)  # CRM value -> "stage/status"
    date_format: str | None = None  # for every date column unless date_formats says otherwise
    date_formats: dict[str, str] = field(default_factory=dict)  # source column -> format
    null_values: list[str] = field(default_factory=lambda: list(DEFAULT_NULL_VALUES))
    stages: dict[str, str] = field(default_factory=dict)  # funnel files: stage -> count column
    encoding: str | None = None
    delimiter: str | None = None

    def check(self) -> Mapping:
        """Raise MappingError for anything that names no known field, stage or format."""
        if self.kind not in KINDS:
            raise MappingError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        known = set(field_names(self.kind))
        for name in (*self.columns, *self.fixed):
            if name not in known:
                raise MappingError(
                    f"{name!r} is not a field of a {self.kind} file; fields: {', '.join(known)}"
                )
        for value, target in self.status_map.items():
            try:
                parse_status_target(target)
            except ValueError as exc:
                raise MappingError(f"status map {value!r}: {exc}") from None
        try:
            if self.date_format:
                self.date_format = normalise_date_format(self.date_format)
            self.date_formats = {c: normalise_date_format(f) for c, f in self.date_formats.items()}
        except ValueError as exc:
            raise MappingError(str(exc)) from None
        for stage in self.stages:
            if stage not in STAGES:
                raise MappingError(f"{stage!r} is not a stage; stages: {', '.join(STAGES)}")
        if self.delimiter is not None and len(self.delimiter) != 1:
            names = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
            if self.delimiter.lower() not in names:
                raise MappingError(f"delimiter must be one character or 'tab': {self.delimiter!r}")
            self.delimiter = names[self.delimiter.lower()]
        return self

    def provided(self) -> set[str]:
        """Fields this mapping fills (mapped or set)."""
        return set(self.columns) | set(self.fixed)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "columns": dict(self.columns)}
        for key, attr in (
            ("set", "fixed"),
            ("status_map", "status_map"),
            ("date_formats", "date_formats"),
            ("stages", "stages"),
        ):
            value = getattr(self, attr)
            if value:
                out[key] = dict(value)
        if self.date_format:
            out["date_format"] = self.date_format
        if list(self.null_values) != list(DEFAULT_NULL_VALUES):
            out["null_values"] = list(self.null_values)
        if self.encoding:
            out["encoding"] = self.encoding
        if self.delimiter:
            out["delimiter"] = self.delimiter
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        if not isinstance(data, dict):
            raise MappingError("a mapping is a JSON object with at least a 'kind'")
        unknown = set(data) - _KEYS
        if unknown:
            raise MappingError(f"unknown keys in the mapping: {', '.join(sorted(unknown))}")

        def text_dict(key: str) -> dict[str, str]:
            value = data.get(key) or {}
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise MappingError(f"'{key}' must be an object of text values")
            return dict(value)

        nulls = data.get("null_values", list(DEFAULT_NULL_VALUES))
        if not isinstance(nulls, list) or not all(isinstance(v, str) for v in nulls):
            raise MappingError("'null_values' must be a list of texts")
        mapping = cls(
            kind=data.get("kind", "leads"),
            columns=text_dict("columns"),
            fixed=text_dict("set"),
            status_map=text_dict("status_map"),
            date_format=data.get("date_format"),
            date_formats=text_dict("date_formats"),
            null_values=list(nulls),
            stages=text_dict("stages"),
            encoding=data.get("encoding"),
            delimiter=data.get("delimiter"),
        )
        return mapping.check()

    @classmethod
    def from_json(cls, text: str) -> Mapping:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise MappingError(f"the mapping is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def suggested(cls, kind: Kind, headers: list[str]) -> Mapping:
        """Columns suggested from the headers (to be confirmed by the user)."""
        return cls(kind=kind, columns=suggest(kind, headers))


def required_fields(kind: Kind) -> tuple[str, ...]:
    return tuple(f.name for f in FIELDS[kind] if f.required)
