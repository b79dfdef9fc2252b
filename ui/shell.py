"""Make every page run inside dashboard.py's shell, even as the first request of a fresh server.

Streamlit decides once per process whether the app uses the old ``pages/`` folder mode: until
some run calls ``st.navigation``, a ``pages/`` folder next to the main script means a URL such as
``/campaigns`` runs ``pages/campaigns.py`` alone (no page config, no language switch, file-name
navigation). So a shared link opened right after a restart showed a bare page. The first import
of ``ui`` (every page and dashboard.py import it) switches that mode off and reruns, and the rerun
goes through dashboard.py and its navigation like every later one.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def leave_pages_folder_mode() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
