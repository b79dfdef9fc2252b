"""Make every page run inside dashboard.py's shell, also on a freshly started server.

Streamlit decides once per process whether the app uses the old ``pages/`` folder mode: until
some run calls ``st.navigation``, a ``pages/`` folder next to the main script means a URL such as
``/campaigns`` runs ``pages/campaigns.py`` alone: no page config, no sign-in, no language
switch, a navigation of file names. So a link opened right after a restart showed a bare page,
and several sessions that arrive together all start that way.

Two parts fix it. The first page run in the process switches the mode off
(:func:`leave_pages_folder_mode`). And every page checks that it runs inside dashboard.py
(:func:`require_shell`; dashboard.py marks its runs with :func:`shell`): a page that does not,
because its session began before the switch, reruns, and the rerun goes through dashboard.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

_run = threading.local()  # a script run happens on one thread: is dashboard.py around it?


def leave_pages_folder_mode() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@contextmanager
def shell() -> Iterator[None]:
    """Marks a page run as happening inside dashboard.py (used around ``page.run()``)."""
    _run.inside = True
    try:
        yield
    finally:
        _run.inside = False


def require_shell() -> None:
    """Every page calls this first: outside dashboard.py it reruns through it."""
    leave_pages_folder_mode()
    if getattr(_run, "inside", False):
        return
    ctx = get_script_run_ctx()
    if ctx is not None and Path(ctx.main_script_path).name != "dashboard.py":
        # started as `streamlit run pages/x.py`: a rerun would run this page again, forever
        st.error("Start Voronka with `streamlit run dashboard.py`.")
        st.stop()
    st.rerun()
