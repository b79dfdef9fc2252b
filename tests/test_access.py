"""Who may do what (ui/access.py): the optional sign-in, the read-only role, and contacts
masked unless the settings ask and the deployer allows.

The deployer's configuration is ``.streamlit/secrets.toml``; AppTest's ``secrets`` stands in for
it and ``user`` for the person Streamlit's OIDC sign-in returned.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from analytics import demo, store
from tests.conftest import APP_TODAY, app_test

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "voronka",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://accounts.example.com/.well-known/openid-configuration",
}
EDITOR = {"is_logged_in": True, "email": "Anna@Example.com", "name": "Anna"}
VIEWER = {"is_logged_in": True, "email": "boris@example.com", "name": "Boris"}
NOBODY = {"is_logged_in": False}


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "access.duckdb"
    demo.create_file(path, leads=400, seed=5, end=date.fromisoformat(APP_TODAY))
    monkeypatch.setenv("VORONKA_DB", str(path))
    monkeypatch.setenv("VORONKA_TODAY", APP_TODAY)
    monkeypatch.delenv("VORONKA_CONTACTS_LOCKED", raising=False)
    return path


def run(page: str | None, user: dict, voronka: dict | None = None, auth: bool = True, **q):
    at = app_test(page, **q)
    if auth:
        at.secrets["auth"] = AUTH
    at.secrets["voronka"] = voronka if voronka is not None else {"read_only": ["boris@example.com"]}
    at.user = user
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def nav_pages(at) -> list[str]:
    """The page files of the navigation this run registered (AppTest keeps them to resolve
    switch_page; there is no public accessor)."""
    return sorted(Path(p.get("script_path", "")).stem for p in at._registered_pages.values())


def test_without_a_sign_in_configured_everything_is_open(db: Path) -> None:
    at = run(None, NOBODY, voronka={}, auth=False)
    assert {m.label for m in at.metric} >= {"Leads", "Clients"}
    assert "upload" in nav_pages(at)
    assert not any("Signed in as" in c.value for c in at.sidebar.caption)


def test_a_person_not_signed_in_sees_only_the_way_in(db: Path) -> None:
    at = run(None, NOBODY)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe
    assert "overview" not in nav_pages(at)  # the navigation was never built


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/settings.py", "pages/upload.py"])
def test_a_direct_link_does_not_get_past_the_sign_in(db: Path, page: str) -> None:
    at = run(page, NOBODY)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.get("file_uploader")


def test_an_editor_sees_every_page_and_may_save(db: Path) -> None:
    at = run("pages/settings.py", EDITOR)
    assert "upload" in nav_pages(at)
    assert "Signed in as anna@example\\.com · can change data" in at.sidebar.caption[-1].value
    assert not at.button(key="FormSubmitter:settings_form-Save settings").disabled


def test_a_read_only_person_sees_the_dashboards_but_not_upload(db: Path) -> None:
    at = run(None, VIEWER)
    assert {m.label for m in at.metric} >= {"Leads", "Clients"}
    assert "upload" not in nav_pages(at)
    assert "settings" in nav_pages(at)
    assert "boris@example\\.com · read-only" in at.sidebar.caption[-1].value


def test_a_read_only_person_cannot_reach_upload_by_its_file(db: Path) -> None:
    at = run("pages/upload.py", VIEWER)
    assert not at.get("file_uploader")
    assert not any("Upload" in t.value for t in at.title)


def test_a_read_only_person_sees_settings_but_cannot_save(db: Path) -> None:
    at = run("pages/settings.py", VIEWER)
    assert any("read-only" in i.value for i in at.info)
    assert at.button(key="FormSubmitter:settings_form-Save settings").disabled


def test_an_editors_list_makes_everyone_else_read_only(db: Path) -> None:
    only_anna = {"editors": ["anna@example.com"]}
    assert "upload" in nav_pages(run(None, EDITOR, voronka=only_anna))
    carla = {"is_logged_in": True, "email": "carla@example.com"}
    assert "upload" not in nav_pages(run(None, carla, voronka=only_anna))


# -- contacts --------------------------------------------------------------------------------

JOURNEY = {"period": "all_time", "stop": "lead"}


def stopped_emails(at) -> list[str]:
    return at.dataframe[-1].value["E-mail"].dropna().tolist()


def show_contacts(path: Path) -> None:
    with store.writing(path) as con:
        store.write_setting(con, "show_contacts", True)


def test_contacts_are_masked_by_default(db: Path) -> None:
    at = run("pages/journey.py", NOBODY, voronka={}, auth=False, **JOURNEY)
    emails = stopped_emails(at)
    assert emails and all("***@" in e for e in emails)


def test_contacts_are_shown_when_the_settings_ask(db: Path) -> None:
    show_contacts(db)
    at = run("pages/journey.py", NOBODY, voronka={}, auth=False, **JOURNEY)
    emails = stopped_emails(at)
    assert emails and not any("***" in e for e in emails)
    with store.reading(db) as con:
        known = {r[0] for r in con.execute("SELECT email FROM leads").fetchall()}
    assert set(emails) <= known  # the real addresses


@pytest.mark.parametrize("how", ["secrets", "environment"])
def test_the_deployer_can_lock_contacts_masked(
    db: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    show_contacts(db)  # the settings ask to show them...
    voronka: dict = {}
    if how == "secrets":
        voronka = {"contacts_locked": True}
    else:
        monkeypatch.setenv("VORONKA_CONTACTS_LOCKED", "1")
    at = run("pages/journey.py", NOBODY, voronka=voronka, auth=False, **JOURNEY)
    emails = stopped_emails(at)
    assert emails and all("***@" in e for e in emails)  # ...but the deployer said no
    settings = run("pages/settings.py", NOBODY, voronka=voronka, auth=False)
    switch = settings.toggle[0]
    assert switch.label == "Show e-mails and phones in lead lists"
    assert switch.disabled and switch.value is False
    assert any("Locked by whoever runs this Voronka" in c.value for c in settings.caption)


def test_the_contacts_switch_is_saved_like_the_other_settings(db: Path) -> None:
    at = run("pages/settings.py", NOBODY, voronka={}, auth=False)
    at.toggle[0].set_value(True)
    at.button(key="FormSubmitter:settings_form-Save settings").click().run()
    assert not at.exception
    with store.reading(db) as con:
        assert store.read_settings(con)["show_contacts"] is True
