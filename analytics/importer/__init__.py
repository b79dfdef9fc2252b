"""Analysts' uploads: CSV and Excel files of leads, campaigns, costs or aggregate funnel rows,
read, mapped, checked and loaded in SQL (see :mod:`analytics.importer.pipeline`)."""

from analytics.importer.errors import BadValue, ImportRejected
from analytics.importer.fields import KINDS, MODES, Kind, Mode
from analytics.importer.mapping import Mapping, MappingError
from analytics.importer.pipeline import (
    Plan,
    Rejected,
    Staged,
    Summary,
    Upload,
    adhoc_source,
    import_file,
    load,
    open_file,
    plan,
    stage,
)

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
