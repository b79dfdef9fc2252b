"""The app shell (dashboard.py) must run on every request, also for a deep link.

Streamlit starts in its old "pages directory" mode when a ``pages/`` folder sits next to the
main script, and leaves it only when ``st.navigation`` runs. Until then, a request for a deep link
such as ``/weekly`` on a freshly started server runs ``pages/weekly.py`` alone: no page config,
no navigation sections, no language switch, no URL sync. The first page that imports ``ui`` in
that mode switches it off and reruns, so the same URL goes through dashboard.py.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def leave_pages_directory_mode() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
