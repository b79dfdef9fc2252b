"""Every released schema version opens, migrates and gives the same numbers.

tests/fixtures/voronka-v<N>.duckdb were written by Voronka at schema version N (the Q1 fixture
of conftest.build_q1, currency EUR). Add one fixture per new schema version.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from analytics import store
from analytics.filters import Filters
from analytics.metrics import summary
from tests.conftest import ROOT

FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("voronka-v*.duckdb"))


def test_there_is_a_fixture_for_every_schema_version():
    versions = {int(p.stem.split("-v")[1]) for p in FIXTURES}
    assert versions == set(range(1, store.SCHEMA_VERSION + 1))


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_old_file_reads_and_migrates(fixture, tmp_path):
    path = tmp_path / fixture.name
    shutil.copy(fixture, path)
    with store.reading(path) as con:  # reading never changes the file
        assert store.read_settings(con)["currency"] == "EUR"
    with store.writing(path) as con:  # writing migrates it
        assert store.schema_version(con) == store.SCHEMA_VERSION
        s = summary(con, Filters(date(2026, 1, 1), date(2026, 3, 31)))
        assert s.counts == {"lead": 8, "mql": 7, "sql": 5, "opportunity": 3, "won": 2}
        assert s.spend == 2000.0
        assert store.read_settings(con)["currency"] == "EUR"
