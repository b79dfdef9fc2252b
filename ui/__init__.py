"""Shared Streamlit helpers: language, data access with caching, sidebar filters, components.

Pages import from here; nothing here computes a metric (that is ``analytics``).
"""

from ui.access import (
    can_change,
    contacts_locked,
    require_change_rights,
    require_sign_in,
    show_contacts,
    user_box,
)
from ui.components import (
    adhoc_banner,
    cost_note,
    demo_banner,
    download_table,
    explain,
    ignored_params_notice,
    kpi_row,
    no_data,
    stage_label,
    table_section,
    unexpected,
)
from ui.data import compute, database, options, sales_cycle, settings, span
from ui.filters import period_text, sidebar_filters
from ui.i18n import language, language_selector, tr
from ui.shell import leave_pages_folder_mode, require_shell, shell
from ui.url import write_url

__all__ = [
    "adhoc_banner",
    "can_change",
    "compute",
    "contacts_locked",
    "cost_note",
    "database",
    "demo_banner",
    "download_table",
    "explain",
    "ignored_params_notice",
    "kpi_row",
    "language",
    "language_selector",
    "no_data",
    "options",
    "period_text",
    "require_change_rights",
    "require_shell",
    "require_sign_in",
    "sales_cycle",
    "settings",
    "shell",
    "show_contacts",
    "sidebar_filters",
    "span",
    "stage_label",
    "table_section",
    "tr",
    "unexpected",
    "user_box",
    "write_url",
]

# A deep link as the very first request runs a page without dashboard.py: see ui/shell.py.
leave_pages_folder_mode()
