"""Start and stop the app as a user would (``streamlit run dashboard.py``) on a free port.

One launcher for the browser tests (tests/browser.py), the cold-start benchmark
(bench/browser.py) and the load test (bench/load.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.common import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(
    port: int,
    env: dict[str, str],
    log: Path,
    runner: str = "streamlit",
    timeout: float = 60.0,
) -> subprocess.Popen[bytes]:
    """``python -m <runner> run dashboard.py`` on 127.0.0.1:``port``, output to ``log``;
    returns once the health check answers "ok" (stops it and raises, naming the log, if not).

    ``env`` is added to this process's environment. ``runner`` is ``streamlit`` or a module
    with the same command line (bench.load_server, which times every script run)."""
    cmd = [
        sys.executable,
        "-m",
        runner,
        "run",
        "dashboard.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + timeout
    while True:
        try:
            url = f"http://127.0.0.1:{port}/_stcore/health"
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return proc
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"the app did not start within {timeout:.0f} s; see {log}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
