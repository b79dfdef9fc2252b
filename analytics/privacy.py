"""Masking of personal data for display: e-mails and phones are masked unless asked for."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"\d")


def mask_email(email: str | None) -> str | None:
    """``anna.belova3@zenit.example`` -> ``a***@zenit.example``."""
    if email is None:
        return None
    text = str(email).strip()
    local, at, domain = text.partition("@")
    if not at:
        return "***" if text else text
    return (local[:1] or "") + "***@" + domain


def mask_phone(phone: str | None) -> str | None:
    """Keep the country code and the last four digits: ``+7 (916) 123-45-67`` ->
    ``+7 *** *** 45 67``."""
    if phone is None:
        return None
    digits = "".join(_DIGITS.findall(str(phone)))
    if len(digits) < 5:
        return "***" if digits else str(phone)
    last = digits[-4:]
    head = str(phone).strip()
    prefix = "+" + digits[0] if head.startswith("+") else digits[0]
    return f"{prefix} *** *** {last[:2]} {last[2:]}"
