"""``python -m bench.load_server run dashboard.py ...``: ``streamlit run`` that also writes how long
each script run took on the server (one JSON line per run to ``$VORONKA_LOAD_RUNLOG``).

The load test (:mod:`bench.load`) starts the app this way, so a rerun's time can be split into
the server's part and the browser's part. Nothing in the app changes: Streamlit's ScriptRunner
is wrapped, from outside and only in this process (as :mod:`bench.discover` does for AppTest).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any

ENV = "VORONKA_LOAD_RUNLOG"
_lock = threading.Lock()


def instrument(path: str) -> None:
    from streamlit.runtime.scriptrunner import script_runner

    original = script_runner.ScriptRunner._run_script

    def timed(self: Any, rerun_data: Any) -> None:
        start = time.time()
        try:
            original(self, rerun_data)
        finally:
            record = {
                "start": start,
                "seconds": time.time() - start,
                "session": str(getattr(self, "_session_id", "")),
            }
            with _lock, open(path, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")

    script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign]


def main() -> None:
    if os.environ.get(ENV):
        instrument(os.environ[ENV])
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
