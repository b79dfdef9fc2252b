from __future__ import annotations

import duckdb
import pytest

from analytics import store
from tests.conftest import add_lead


def test_new_database_gets_schema_and_version(tmp_path):
    path = tmp_path / "v.duckdb"
    con = store.open_database(path, create=True)
    assert store.schema_version(con) == store.SCHEMA_VERSION
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    assert {"campaigns", "campaign_costs", "leads", "settings", "schema_version"} <= tables
    con.close()
    # opening again migrates nothing and keeps one row per version
    con = store.open_database(path)
    assert con.execute("SELECT count(*) FROM schema_version").fetchone()[0] == store.SCHEMA_VERSION
    con.close()


def test_missing_file_is_not_created_unless_asked(tmp_path):
    with pytest.raises(store.DatabaseMissing, match="does not exist"):
        store.open_database(tmp_path / "nope.duckdb")
    assert not (tmp_path / "nope.duckdb").exists()


def test_not_a_database_file(tmp_path):
    bad = tmp_path / "notes.duckdb"
    bad.write_text("hello, I am a text file")
    with pytest.raises(store.StoreError):
        store.open_database(bad)
    assert bad.read_text() == "hello, I am a text file"


def test_duckdb_file_without_the_schema(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE leads (id INTEGER)")
    con.close()
    with pytest.raises(store.NotAVoronkaDatabase, match="leads lacks lead_id"):
        store.open_database(path)
    with pytest.raises(store.NotAVoronkaDatabase):
        store.open_database(path, read_only=True)


def test_newer_schema_is_refused_and_untouched(tmp_path):
    path = tmp_path / "future.duckdb"
    con = store.open_database(path, create=True)
    con.execute("INSERT INTO schema_version (version) VALUES (?)", [store.SCHEMA_VERSION + 1])
    con.close()
    before = path.read_bytes()
    with pytest.raises(store.NewerSchema, match="Upgrade Voronka"):
        store.open_database(path)
    assert path.read_bytes() == before


def test_database_written_by_another_tool_opens_read_only(tmp_path):
    """Only the PRODUCT.md tables, no Voronka bookkeeping: reports must still work."""
    path = tmp_path / "foreign.duckdb"
    con = duckdb.connect(str(path))
    con.execute(store.MIGRATIONS[1].split("CREATE TABLE IF NOT EXISTS settings")[0])
    con.close()
    con = store.open_database(path, read_only=True)
    assert store.read_settings(con) == store.default_settings()
    assert store.data_version(con) == 0
    con.close()


@pytest.mark.parametrize(
    ("name", "sql", "params"),
    [
        (
            "unknown stage",
            "INSERT INTO leads (lead_id, created_at, stage, status) "
            "VALUES ('x', now(), 'hot', 'open')",
            [],
        ),
        (
            "unknown status",
            "INSERT INTO leads (lead_id, created_at, stage, status) "
            "VALUES ('x', now(), 'lead', 'maybe')",
            [],
        ),
        (
            "no created_at",
            "INSERT INTO leads (lead_id, stage, status) VALUES ('x', 'lead', 'open')",
            [],
        ),
        (
            "sql date but stage lead",
            "INSERT INTO leads (lead_id, created_at, stage, status, sql_at) "
            "VALUES ('x', now(), 'lead', 'open', now())",
            [],
        ),
        (
            "won date but stage sql",
            "INSERT INTO leads (lead_id, created_at, stage, status, won_at) "
            "VALUES ('x', now(), 'sql', 'open', now())",
            [],
        ),
        (
            "won status at stage sql",
            "INSERT INTO leads (lead_id, created_at, stage, status) "
            "VALUES ('x', now(), 'sql', 'won')",
            [],
        ),
        (
            "negative deal",
            "INSERT INTO leads (lead_id, created_at, stage, status, deal_value) "
            "VALUES ('x', now(), 'won', 'won', -1)",
            [],
        ),
        (
            "negative spend",
            "INSERT INTO campaign_costs VALUES ('c', DATE '2026-01-01', -5, 0, 0)",
            [],
        ),
        (
            "negative clicks",
            "INSERT INTO campaign_costs VALUES ('c', DATE '2026-01-01', 5, 0, -1)",
            [],
        ),
        (
            "bad direction",
            "INSERT INTO campaigns (campaign_id, name, direction) VALUES ('c', 'n', 'sideways')",
            [],
        ),
        (
            "end before start",
            "INSERT INTO campaigns (campaign_id, name, start_date, end_date) "
            "VALUES ('c', 'n', DATE '2026-02-01', DATE '2026-01-01')",
            [],
        ),
    ],
)
def test_constraints_reject_inconsistent_rows(empty_con, name, sql, params):
    with pytest.raises(duckdb.ConstraintException):
        empty_con.execute(sql, params)


def test_primary_keys(empty_con):
    add_lead(empty_con, "a", "2026-01-01 10:00:00")
    with pytest.raises(duckdb.ConstraintException):
        add_lead(empty_con, "a", "2026-01-02 10:00:00")
    empty_con.execute("INSERT INTO campaign_costs VALUES ('c', DATE '2026-01-01', 1, 0, 0)")
    with pytest.raises(duckdb.ConstraintException):
        empty_con.execute("INSERT INTO campaign_costs VALUES ('c', DATE '2026-01-01', 2, 0, 0)")


def test_skipped_stage_is_allowed(empty_con):
    # won with no SQL date is legal (PRODUCT.md: a timestamp may be missing)
    add_lead(empty_con, "w", "2026-01-01 10:00:00", "won", "won", won_at="2026-02-01 10:00:00")


def test_settings_roundtrip_and_defaults(empty_con):
    assert store.read_settings(empty_con)["currency"] == "RUB"
    before = store.data_version(empty_con)
    store.write_setting(empty_con, "currency", "EUR")
    store.write_setting(empty_con, "stage_labels", {"sql": "Звонок"})
    s = store.read_settings(empty_con)
    assert s["currency"] == "EUR" and s["stage_labels"] == {"sql": "Звонок"}
    assert store.data_version(empty_con) == before + 2
    with pytest.raises(KeyError, match="unknown setting"):
        store.write_setting(empty_con, "colour", "red")


def test_env_and_argument_choose_the_file(monkeypatch, tmp_path):
    monkeypatch.delenv(store.ENV_DB, raising=False)
    assert store.resolve_path() == store.DEFAULT_DB_PATH
    monkeypatch.setenv(store.ENV_DB, str(tmp_path / "env.duckdb"))
    assert store.resolve_path() == tmp_path / "env.duckdb"
    assert store.resolve_path(tmp_path / "arg.duckdb") == tmp_path / "arg.duckdb"


def hold(path, seconds: float, read_only: bool = False):
    """Another process that holds the file open for ``seconds``."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(path)!r}, read_only={read_only}); "
            f"print('ok', flush=True); time.sleep({seconds})",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ok"
    return proc


def test_writer_waits_for_a_reader_in_another_process(tmp_path):
    import time

    path = tmp_path / "turns.duckdb"
    store.open_database(path, create=True).close()
    reader = hold(path, 1.5, read_only=True)
    started = time.monotonic()
    with store.writing(path, timeout=20) as con:
        con.execute("INSERT INTO settings VALUES ('currency', '\"EUR\"')")
    waited = time.monotonic() - started
    reader.wait()
    assert waited > 0.5  # it had to wait for the reader to let go, and then it wrote
    with store.reading(path) as con:
        assert store.read_settings(con)["currency"] == "EUR"


def test_busy_after_the_timeout_names_the_holder(tmp_path):
    path = tmp_path / "busy.duckdb"
    store.open_database(path, create=True).close()
    holder = hold(path, 30)
    try:
        with (
            pytest.raises(store.DatabaseBusy, match=rf"PID {holder.pid}"),
            store.reading(path, timeout=0.5),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_readers_and_a_writer_in_one_process_take_turns(tmp_path):
    """In one process DuckDB refuses read-only and read-write at once: the lock orders them."""
    import threading

    path = tmp_path / "threads.duckdb"
    store.open_database(path, create=True).close()
    errors: list[BaseException] = []

    def read() -> None:
        try:
            for _ in range(20):
                with store.reading(path) as con:
                    con.execute("SELECT count(*) FROM leads").fetchone()
        except BaseException as exc:
            errors.append(exc)

    def write() -> None:
        try:
            for i in range(10):
                with store.writing(path) as con:
                    store.write_setting(con, "icp_min", i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.reading(path) as con:
        assert store.read_settings(con)["icp_min"] == 9


def test_file_signature_changes_on_write(tmp_path):
    path = tmp_path / "sig.duckdb"
    store.open_database(path, create=True).close()
    before = store.file_signature(path)
    with store.writing(path) as con:
        store.write_setting(con, "currency", "USD")
    assert store.file_signature(path) != before


# --- the read pool and the write intent ------------------------------------------------------


def count_opens(monkeypatch) -> list[bool]:
    opened: list[bool] = []
    original = store._connect_file

    def counting(path, read_only):
        opened.append(read_only)
        return original(path, read_only)

    monkeypatch.setattr(store, "_connect_file", counting)
    return opened


def test_reads_reuse_one_warm_connection(tmp_path, monkeypatch):
    path = tmp_path / "pool.duckdb"
    store.open_database(path, create=True).close()
    opened = count_opens(monkeypatch)
    for _ in range(3):
        with store.reading(path) as con:
            con.execute("SELECT count(*) FROM leads").fetchone()
    assert opened == [True]  # one open for three reads
    store.release(path)
    with store.reading(path):
        pass
    assert opened == [True, True]
    store.release(path)


def test_schema_is_checked_once_per_version_of_the_file(tmp_path, monkeypatch):
    path = tmp_path / "checked.duckdb"
    store.open_database(path, create=True).close()
    checks: list[str] = []
    original = store.check_schema
    monkeypatch.setattr(
        store, "check_schema", lambda con, p="": checks.append(str(p)) or original(con, p)
    )
    for _ in range(2):
        with store.reading(path):
            pass
        store.release(path)
    assert len(checks) == 1
    with store.writing(path) as con:
        store.write_setting(con, "currency", "USD")
    n = len(checks)
    with store.reading(path):
        pass
    store.release(path)
    assert len(checks) == n + 1  # the file changed: checked again


def test_an_idle_connection_lets_go_of_the_file(tmp_path, monkeypatch):
    import subprocess
    import sys
    import time

    monkeypatch.setattr(store, "POOL_IDLE_SECONDS", 0.3)
    path = tmp_path / "idle.duckdb"
    store.open_database(path, create=True).close()
    with store.reading(path):
        pass
    time.sleep(1.2)  # the closer runs every 0.2 s
    out = subprocess.run(  # no retry: a plain read-write open must succeed at once
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(path)!r}).close()"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr


def test_a_writer_in_another_process_gets_in_while_this_one_keeps_reading(tmp_path):
    """The app reads continuously (its pooled connection never idles); a CLI-like writer in
    another process leaves a write intent, the app lets go and waits, the write lands."""
    import subprocess
    import sys
    import threading
    import time

    path = tmp_path / "busy-app.duckdb"
    store.open_database(path, create=True).close()
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: set[str] = set()

    def app_reads() -> None:
        while not stop.is_set():
            try:
                with store.reading(path, timeout=30) as con:
                    seen.add(store.read_settings(con)["currency"])
            except BaseException as exc:
                errors.append(exc)
                return

    reader = threading.Thread(target=app_reads)
    reader.start()
    time.sleep(0.5)
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c",
         "from analytics import store\n"
         f"with store.writing({str(path)!r}, timeout=20) as con:\n"
         "    store.write_setting(con, 'currency', 'KZT')\n"],
        cwd=str(store.PROJECT_ROOT), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    took = time.monotonic() - started
    time.sleep(0.5)
    stop.set()
    reader.join()
    assert out.returncode == 0, out.stderr
    assert errors == []
    assert "KZT" in seen  # the reader saw the new value after the write
    assert took < 15
    assert not (tmp_path / "busy-app.duckdb.write-intent").exists()
    store.release(path)


def test_a_stale_write_intent_is_ignored(tmp_path):
    import json

    path = tmp_path / "stale.duckdb"
    store.open_database(path, create=True).close()
    (tmp_path / "stale.duckdb.write-intent").write_text(json.dumps({"pid": 2**22 + 12345}))
    with store.reading(path, timeout=1) as con:  # a dead writer's marker does not block
        assert con.execute("SELECT 1").fetchone() == (1,)
    store.release(path)
