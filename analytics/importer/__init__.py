"""Analysts' uploads: CSV and Excel files of leads, campaigns, costs or aggregate funnel rows,
read, mapped, checked and loaded in SQL.

reading (encoding, delimiter, header, the file into DuckDB) -> mapping (fields, statuses,
dates; saved) -> staging (values parsed and checked, in SQL) -> loading (duplicates, one
transaction, ad-hoc views); :func:`import_file` chains them for the CLI."""

from analytics.importer.errors import BadValue, ImportRejected
from analytics.importer.fields import KINDS, MODES, Kind, Mode
from analytics.importer.loading import Plan, Rejected, Summary, adhoc_source, load, plan
from analytics.importer.mapping import Mapping, MappingError
from analytics.importer.pipeline import import_file
from analytics.importer.staging import Staged, Upload, open_file, stage

__all__ = [
    "KINDS",
    "MODES",
    "BadValue",
    "ImportRejected",
    "Kind",
    "Mapping",
    "MappingError",
    "Mode",
    "Plan",
    "Rejected",
    "Staged",
    "Summary",
    "Upload",
    "adhoc_source",
    "import_file",
    "load",
    "open_file",
    "plan",
    "stage",
]
