from __future__ import annotations

from datetime import date, datetime

import pytest

from analytics.sql import Sql, in_list, join, quote_ident, where


def test_fragments_carry_their_values_in_order():
    a = Sql("x = ?", (1,))
    b = Sql("y IN (?, ?)", ("a", "b"))
    combined = "SELECT * FROM t " + where([a, b])
    assert combined.text == "SELECT * FROM t WHERE x = ? AND y IN (?, ?)"
    assert combined.params == (1, "a", "b")


def test_placeholder_count_must_match():
    with pytest.raises(ValueError, match="2 placeholders but 1 values"):
        Sql("a = ? AND b = ?", (1,))


def test_question_marks_inside_literals_and_comments_are_not_placeholders():
    assert Sql("SELECT '?' AS q, \"a?\" -- why?\n, ?", (1,)).params == (1,)


def test_in_list_binds_every_value_and_empty_matches_nothing():
    frag = in_list("l.owner", ["a'; DROP TABLE leads; --", "b"])
    assert frag.text == "l.owner IN (?, ?)"
    assert "DROP" not in frag.text
    assert in_list("l.owner", []).text == "FALSE"


def test_rendered_is_for_reading_with_escaped_quotes():
    frag = Sql(
        "a = ? AND b = ? AND c = ? AND d = ? AND e IS ?",
        ("O'Brien", date(2026, 1, 2), datetime(2026, 1, 2, 3, 4, 5), 1.5, None),
    )
    assert frag.rendered() == (
        "a = 'O''Brien' AND b = DATE '2026-01-02' AND c = TIMESTAMP '2026-01-02 03:04:05' "
        "AND d = 1.5 AND e IS NULL"
    )


def test_join_and_empty_where():
    assert join([Sql("a"), "b"], ", ").text == "a, b"
    assert where([]).text == ""


@pytest.mark.parametrize(
    ("name", "quoted"),
    [("plain", '"plain"'), ('we"ird', '"we""ird"'), ("Дата создания", '"Дата создания"')],
)
def test_quote_ident(name, quoted):
    assert quote_ident(name) == quoted


def test_quote_ident_rejects_nul():
    with pytest.raises(ValueError):
        quote_ident("a\x00b")
