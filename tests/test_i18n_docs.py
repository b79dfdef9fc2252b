"""The message catalogue is complete in both languages; docs/METRICS.md is in step with it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from analytics import i18n
from analytics.docs import METRIC_KEYS, METRICS_DOC, metrics_markdown
from analytics.model import CHANNELS, MODES, SEGMENTS, STAGES, STATUSES, TEMPERATURES
from analytics.periods import PRESETS
from analytics.store import SETTINGS
from tests.conftest import ROOT


def test_no_key_missing_in_either_language():
    assert i18n.missing_keys() == {"en": set(), "ru": set()}


def test_placeholders_match_between_languages():
    fmt = string.Formatter()
    en, ru = i18n.catalogue("en"), i18n.catalogue("ru")
    for key, text in en.items():
        names_en = {f for _, f, _, _ in fmt.parse(text) if f}
        names_ru = {f for _, f, _, _ in fmt.parse(ru[key]) if f}
        assert names_en == names_ru, key


@pytest.mark.parametrize(
    ("kind", "codes"),
    [
        ("stage", STAGES),
        ("status", STATUSES),
        ("mode", MODES),
        ("segment", SEGMENTS),
        ("temperature", TEMPERATURES),
        ("channel", CHANNELS),
    ],
)
def test_every_code_has_a_label(kind, codes):
    for lang in i18n.LANGUAGES:
        for code in codes:
            assert i18n.has(f"labels.{kind}.{code}", lang), (lang, kind, code)


def test_every_preset_has_a_label():
    for preset in PRESETS:
        assert i18n.has(f"presets.{preset}", "en") and i18n.has(f"presets.{preset}", "ru")


def test_every_key_used_in_the_code_exists():
    """tr("...") / t("...") with a literal key anywhere in the app must resolve."""
    pattern = re.compile(r"""\b(?:tr|t)\(\s*["']([a-z_]+\.[a-z_.]+)["']""")
    known = i18n.catalogue("en")
    files = [
        *ROOT.glob("pages/*.py"),
        *ROOT.glob("ui/*.py"),
        ROOT / "dashboard.py",
        *ROOT.glob("analytics/**/*.py"),
    ]
    used = {m.group(1) for f in files for m in pattern.finditer(f.read_text(encoding="utf-8"))}
    assert used, "the scan found no keys"
    assert sorted(k for k in used if k not in known) == []


def test_unknown_code_is_shown_as_is_and_unknown_key_fails_loudly():
    assert i18n.label("channel", "tiktok") == "tiktok"
    with pytest.raises(KeyError):
        i18n.t("no.such.key")


def test_metrics_doc_is_generated_from_the_catalogue():
    assert METRICS_DOC.read_text(encoding="utf-8") == metrics_markdown(), (
        "docs/METRICS.md is stale: run python -m analytics docs"
    )


def test_every_metric_is_defined_in_both_languages():
    for key in METRIC_KEYS:
        for lang in i18n.LANGUAGES:
            assert i18n.has(f"metrics.{key}.title", lang) and i18n.has(
                f"metrics.{key}.definition", lang
            ), (key, lang)


def test_every_output_column_has_a_definition():
    """What the metrics return is what the docs define: report keys map to metric keys."""
    from analytics.metrics import CAMPAIGN_COLUMNS

    described = set(METRIC_KEYS) | {"campaign_id", "name", "channel", "direction"}
    aliases = {"leads": "leads", "won": "won", "opportunity": "opportunity"}
    missing = [c for c in CAMPAIGN_COLUMNS if aliases.get(c, c) not in described]
    assert missing == []


def test_every_setting_is_documented():
    doc = Path(METRICS_DOC).read_text(encoding="utf-8")
    for spec in SETTINGS:
        assert f"`{spec.key}`" in doc and spec.help
