"""Who may do what: the optional sign-in, the read-only role and whether contacts may be shown.

All of it is the deployer's, in ``.streamlit/secrets.toml`` (or the environment), never in the
database a user can edit:

- No ``[auth]`` section: no sign-in, everyone may do everything (a single-user or trusted setup).
- With ``[auth]`` (Streamlit's OIDC ``st.login``): every page needs a signed-in user. In
  ``[voronka]``, ``read_only = ["a@example.com", ...]`` lists who may look but not upload,
  import or change settings; ``editors = [...]``, when given, is the only list that may change
  anything (everyone else reads). ``login_provider`` names the ``[auth.<provider>]`` to use.
- ``[voronka] contacts_locked = true`` or ``VORONKA_CONTACTS_LOCKED=1`` keeps e-mails and
  phones masked whatever the Settings page says.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from ui.components import md_escape
from ui.i18n import tr

_TRUE = ("1", "true", "yes", "on")


def _secrets() -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets.toml at all: nothing is configured
        return {}


def _voronka() -> Mapping[str, Any]:
    section = _secrets().get("voronka", {})
    return section if isinstance(section, Mapping) else {}


def _emails(name: str) -> set[str] | None:
    value = _voronka().get(name)
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    return {str(v).strip().lower() for v in value if str(v).strip()}


def sign_in_on() -> bool:
    """Whether the deployer configured a sign-in (an ``[auth]`` section)."""
    return "auth" in _secrets()


def _email() -> str:
    try:
        return str(st.user.get("email") or "").strip().lower()
    except Exception:
        return ""


def signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:
        return False


def can_change() -> bool:
    """May this person upload, import and change settings? Always without a sign-in."""
    if not sign_in_on():
        return True
    if not signed_in():
        return False
    email = _email()
    if email in (_emails("read_only") or set()):
        return False
    editors = _emails("editors")
    return editors is None or email in editors


def contacts_locked() -> bool:
    """The deployer keeps e-mails and phones masked, whatever the settings say."""
    env = os.environ.get("VORONKA_CONTACTS_LOCKED", "").strip().lower()
    return env in _TRUE or str(_voronka().get("contacts_locked", "")).strip().lower() in _TRUE


def show_contacts() -> bool:
    """Show e-mails and phones unmasked: only if the settings ask and the deployer allows."""
    from ui.data import settings

    return not contacts_locked() and settings().get("show_contacts") is True


def require_sign_in() -> None:
    """With a sign-in configured, a person who is not signed in sees only the way in."""
    if not sign_in_on() or signed_in():
        return
    st.title("Voronka")
    st.write(tr("auth.why"))
    provider = _voronka().get("login_provider")
    if st.button(tr("auth.sign_in"), type="primary", icon=":material/login:"):
        if provider:
            st.login(str(provider))
        else:
            st.login()
    st.stop()


def require_change_rights() -> None:
    """Stop a page that changes data for a person who may only read (also on a direct link)."""
    if not can_change():
        st.title(tr("auth.read_only_title"))
        st.info(tr("auth.read_only_page"), icon=":material/lock:")
        st.stop()


def user_box() -> None:
    """Who is signed in, the role, and the way out (sidebar; only with a sign-in)."""
    if not sign_in_on() or not signed_in():
        return
    role = tr("auth.role_editor") if can_change() else tr("auth.role_read_only")
    st.sidebar.caption(tr("auth.signed_in_as", email=md_escape(_email() or "?"), role=role))
    if st.sidebar.button(tr("auth.sign_out"), icon=":material/logout:", type="tertiary"):
        st.logout()
