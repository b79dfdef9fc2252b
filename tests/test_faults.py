"""Faults, done for real: an import killed midway, a full disk, a read-only file, a missing file,
a file that is not a database, a newer schema, and the app and the CLI writing the same file.

The promise (docs/RELIABILITY.md): after any of these the database holds exactly what it held
before (every table's row count and content checksum), it opens cleanly, and the person is told
what happened in plain words, on the page and in the CLI.
"""

from __future__ import annotations

import csv
import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from analytics import demo, store
from tests.conftest import APP_TODAY, ROOT, app_test, read_only_file

pytestmark = pytest.mark.faults

TODAY = date.fromisoformat(APP_TODAY)
TABLES = ("campaign_costs", "campaigns", "import_mappings", "leads", "schema_version", "settings")


def state(path: Path) -> dict[str, tuple[int, int]]:
    """Every Voronka table's row count and an order-free checksum of its rows (and the data
    version the app's caches follow)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {
            t: tuple(con.execute(f"SELECT count(*), sum(hash(x))::HUGEINT FROM {t} x").fetchone())
            for t in (*TABLES, "voronka_meta")
        }
    finally:
        con.close()
    return out  # type: ignore[return-value]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def cli(*args: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        **kw,  # type: ignore[arg-type]
    )


def leads_csv(path: Path, rows: int, prefix: str = "N") -> Path:
    """A leads export of ``rows`` new, valid leads (ids ``{prefix}0``...)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["lead_id", "created_at", "company", "email", "channel", "owner"])
        for i in range(rows):
            w.writerow(
                [
                    f"{prefix}{i}",
                    f"2026-{1 + i % 10:02d}-{1 + i % 27:02d}",
                    f"Company number {i} with a longish name",
                    f"person{i}@example.com",
                    "events",
                    f"Owner {i % 7}",
                ]
            )
    return path


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults") / "base.duckdb"
    demo.create_file(path, leads=2000, seed=11, end=TODAY)
    return path


@pytest.fixture
def db(small_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "voronka.duckdb"
    copy.write_bytes(small_db.read_bytes())
    return copy


IMPORT_ROWS = 150_000


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return leads_csv(tmp_path_factory.mktemp("csv") / "leads.csv", IMPORT_ROWS)


def import_cmd(db: Path, csv_path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "analytics",
        "import",
        "--db",
        str(db),
        "--kind",
        "leads",
        str(csv_path),
    ]


# -- an import killed midway ---------------------------------------------------------------


def wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def kill_when(cmd: list[str], ready, give_up: float) -> bool:  # type: ignore[no-untyped-def]
    """Start ``cmd``, SIGKILL it as soon as ``ready()`` holds; False if it ended first."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    start = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - start < give_up:
            if ready(time.monotonic() - start):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.005)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_import_killed_at_any_point_leaves_the_database_as_before(
    db: Path, big_csv: Path, tmp_path: Path
) -> None:
    pristine = db.read_bytes()
    before = state(db)
    # the whole import once, on a copy: what "after" looks like
    full = tmp_path / "full.duckdb"
    full.write_bytes(pristine)
    done = subprocess.run(import_cmd(full, big_csv), cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    after = state(full)
    assert after["leads"][0] == before["leads"][0] + IMPORT_ROWS

    size = len(pristine)
    intent = db.with_name(db.name + ".write-intent")
    points = {  # when to kill: reading the file, then ever deeper into the write
        "while reading the file": lambda t: t > 1.0,
        "as the write starts": lambda t: intent.exists(),
        "with 2 MB of new rows in the file": lambda t: db.stat().st_size > size + 2_000_000,
        "as the write-ahead log appears": lambda t: wal(db).exists(),
        "with 10 MB of new rows in the file": lambda t: db.stat().st_size > size + 10_000_000,
    }
    outcome = {}
    for name, ready in points.items():
        db.write_bytes(pristine)
        wal(db).unlink(missing_ok=True)
        writing: list[bool] = []  # whether the write had begun when the kill came

        def now_kill(t: float, ready=ready, writing=writing) -> bool:  # type: ignore[no-untyped-def]
            if not ready(t):
                return False
            writing.append(intent.exists())
            return True

        killed = kill_when(import_cmd(db, big_csv), now_kill, give_up=600)
        # the next start opens it cleanly (read-write: replays or drops the log, migrates)
        store.open_database(db).close()
        now = state(db)
        assert now in (before, after), f"killed {name}: neither the old nor the new data"
        outcome[name] = (killed, bool(writing and writing[-1]), now == before)
    # the kills that landed inside the write (the marker was there) found the old data
    inside = [n for n, (killed, in_write, old) in outcome.items() if killed and in_write and old]
    assert len(inside) >= 2, outcome


# -- a full disk, a read-only file -----------------------------------------------------------


def test_a_full_disk_rejects_the_import_and_keeps_the_data(db: Path, big_csv: Path) -> None:
    before = state(db)
    limit = db.stat().st_size + 1_000_000  # the file may grow by 1 MB, the import needs ~30

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        import_cmd(db, big_csv), cwd=ROOT, capture_output=True, text=True, preexec_fn=small_disk
    )
    assert done.returncode == 1
    assert "The disk is full" in done.stdout + done.stderr
    assert "nothing was written" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    store.open_database(db).close()
    assert state(db) == before


def test_a_read_only_file_is_read_but_not_written(db: Path, tmp_path: Path) -> None:
    small = leads_csv(tmp_path / "few.csv", 3)
    with read_only_file(db):
        before = md5(db)
        done = cli("import", "--db", str(db), "--kind", "leads", str(small))
        assert done.returncode == 2, done.stdout + done.stderr
        assert "cannot be written" in done.stderr
        assert "Traceback" not in done.stderr
        report = cli("report", "--db", str(db), "--from", "2026-01-01", "--to", "2026-03-31")
        assert report.returncode == 0, report.stderr  # reading still works
        assert md5(db) == before


def test_the_importer_says_a_read_only_file_cannot_be_written(db: Path, tmp_path: Path) -> None:
    from analytics.importer import ImportRejected, Mapping, import_file

    header = ["lead_id", "created_at", "company", "email", "channel", "owner"]

    small = leads_csv(tmp_path / "few.csv", 3)
    with read_only_file(db):
        before = md5(db)
        with pytest.raises((ImportRejected, store.DatabaseReadOnly)) as caught:
            import_file(db, small, Mapping.suggested("leads", header))
        text = str(caught.value)
        assert "cannot be written" in text
        assert md5(db) == before


# -- files that are not what they should be -------------------------------------------------


@pytest.fixture
def newer(db: Path) -> Path:
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [store.SCHEMA_VERSION + 1])
    con.close()
    return db


@pytest.fixture
def junk(tmp_path: Path) -> Path:
    path = tmp_path / "junk.duckdb"
    path.write_bytes(bytes(range(256)) * 400)
    return path


CASES = {
    "missing": ("does not exist", 2),
    "junk": ("is not a DuckDB database file", 2),
    "newer": ("newer than this Voronka understands", 2),
}


def bad_file(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    if kind == "missing":
        return tmp_path / "nowhere.duckdb"
    return request.getfixturevalue(kind)


@pytest.mark.parametrize("kind", sorted(CASES))
@pytest.mark.parametrize("command", ["report", "import", "init"])
def test_the_cli_explains_a_bad_database_file_and_changes_nothing(
    kind: str, command: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = bad_file(kind, tmp_path, request)
    before = md5(path) if path.exists() else None
    leads_csv(tmp_path / "few.csv", 3)
    args = {
        "report": ["report", "--db", str(path)],
        "import": ["import", "--db", str(path), "--kind", "leads", str(tmp_path / "few.csv")],
        "init": ["init", "--db", str(path)],
    }[command]
    done = cli(*args)
    if command == "init" and kind == "missing":
        assert done.returncode == 0  # init is how a missing file gets made
        return
    message, code = CASES[kind]
    assert done.returncode == code, done.stdout + done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert (md5(path) if path.exists() else None) == before


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_app_explains_a_bad_database_file_and_changes_nothing(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bad_file(kind, tmp_path, request)
    before = md5(path) if path.exists() else None
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    for page in ("pages/overview.py", "pages/settings.py", "pages/upload.py"):
        at = app_test(page)
        at.run()
        assert not at.exception, page
        assert any(CASES[kind][0] in e.value for e in at.error), page
    assert (md5(path) if path.exists() else None) == before


# -- the app and a writer at the same time ---------------------------------------------------

HOLD = """
import sys, time
from analytics import store
with store.writing(sys.argv[1]) as con:
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold_for_writing(db: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the file for writing for ``seconds`` (started and holding)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_the_app_waits_for_a_writer_says_so_and_recovers(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.data

    monkeypatch.setenv("VORONKA_DB", str(db))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    monkeypatch.setenv("VORONKA_READ_TIMEOUT", "1")  # give up waiting sooner, say so, retry
    shown: list[str] = []
    real_busy = ui.data._busy

    def busy(exc: store.DatabaseBusy) -> None:
        shown.append(str(exc))
        real_busy(exc)

    monkeypatch.setattr(ui.data, "_busy", busy)
    writer = hold_for_writing(db, 4)
    try:
        at = app_test("pages/overview.py", period="all_time")
        at.run(timeout=60)
    finally:
        writer.wait(30)
    assert shown, "the page never said the data was being updated"
    assert not at.exception
    assert {m.label for m in at.metric} >= {"Leads", "Clients"}  # and then showed the data


def test_an_import_gets_in_while_the_app_reads_and_the_app_shows_it(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORONKA_DB", str(db))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    at = app_test("pages/overview.py", period="all_time")
    at.run()
    leads_before = {m.label: m.value for m in at.metric}["Leads"]
    assert leads_before == "2,000"
    # the app's read connection is still open in the pool: the writer must still get in
    done = cli("import", "--db", str(db), "--kind", "leads", str(leads_csv(tmp_path / "n.csv", 5)))
    assert done.returncode == 0, done.stdout + done.stderr
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Leads"] == "2,005"


def test_a_cli_writer_gives_up_after_its_time_and_names_the_holder(
    db: Path, tmp_path: Path
) -> None:
    small = leads_csv(tmp_path / "few.csv", 3)
    writer = hold_for_writing(db, 20)
    try:
        t0 = time.monotonic()
        done = cli(
            "import",
            "--db",
            str(db),
            "--kind",
            "leads",
            str(small),
            env={**os.environ, "VORONKA_WRITE_TIMEOUT": "2"},
        )
        waited = time.monotonic() - t0
    finally:
        writer.kill()
        writer.wait()
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"PID {writer.pid}" in done.stderr
    assert "Traceback" not in done.stderr
    assert waited < 15  # it waited its 2 s and stopped: bounded, not forever


# -- an unexpected error on a page -----------------------------------------------------------


def test_an_unexpected_error_shows_a_reference_not_a_traceback(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    import ui.data

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("voronka").addHandler(handler)

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("a bug nobody planned for")

    monkeypatch.delenv("VORONKA_DEBUG", raising=False)
    monkeypatch.setenv("VORONKA_DB", str(db))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    monkeypatch.setitem(ui.data.METRICS, "summary", broken)
    at = app_test("pages/overview.py", period="custom", **{"from": "2026-01-01"})
    at.run()
    assert not at.exception
    message = at.error[0].value
    assert "Something went wrong on this page" in message
    assert "ZeroDivisionError" not in message and "Traceback" not in message
    ref = message.split("reference ")[1].split(" ")[0]
    logging.getLogger("voronka").removeHandler(handler)
    assert any(ref in r.getMessage() and r.exc_info for r in records)  # the details: in the log
