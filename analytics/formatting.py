"""Numbers, money, percentages and dates formatted for a language and currency (Babel)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date as _format_date
from babel.numbers import (
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
)

from analytics.i18n import normalise_language

DASH = "–"  # what an undefined value (zero denominator) looks like
CURRENCIES: tuple[str, ...] = ("RUB", "USD", "EUR", "UAH", "PLN", "KZT")


def _locale(lang: str) -> str:
    return {"en": "en_US", "ru": "ru_RU"}[normalise_language(lang)]


def fmt_int(value: float | int | None, lang: str = "en") -> str:
    if value is None:
        return DASH
    return format_decimal(round(float(value)), format="#,##0", locale=_locale(lang))


def fmt_number(value: float | None, lang: str = "en", digits: int = 1) -> str:
    if value is None:
        return DASH
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return format_decimal(value, format=pattern, locale=_locale(lang))


def fmt_percent(value: float | None, lang: str = "en", digits: int = 1) -> str:
    """A fraction as a percentage: 0.02 -> "2.0%"."""
    if value is None:
        return DASH
    pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    return format_percent(value, format=pattern, locale=_locale(lang))


def fmt_money(value: float | None, currency: str, lang: str = "en", compact: bool = False) -> str:
    """Money in the currency's symbol and the language's number style (whole units from 1 000)."""
    if value is None:
        return DASH
    loc = _locale(lang)
    symbol = get_currency_symbol(currency, loc)
    if compact and abs(value) >= 10_000:
        number = format_compact_decimal(abs(value), locale=loc, fraction_digits=1)
        sign = "−" if value < 0 else ""
        if lang == "ru":
            return f"{sign}{number}\xa0{symbol}"
        return f"{sign}{symbol}{number}" if len(symbol) == 1 else f"{sign}{symbol}\xa0{number}"
    decimals = "" if abs(value) >= 1000 else ".00"
    pattern = f"#,##0{decimals}\xa0¤" if lang == "ru" else f"¤#,##0{decimals}"
    text = format_currency(value, currency, format=pattern, locale=loc, currency_digits=False)
    if lang != "ru" and len(symbol) > 1:
        text = text.replace(symbol, symbol + "\xa0", 1)
    return text


def fmt_days(value: float | None, lang: str = "en") -> str:
    if value is None:
        return DASH
    return fmt_number(value, lang, 1)


def fmt_date(value: date | None, lang: str = "en") -> str:
    if value is None:
        return DASH
    return _format_date(value, format="medium", locale=_locale(lang))


def fmt_change_pct(value: float | None, lang: str = "en") -> str:
    """A relative change with its sign: +12.5% / -3.0% / – ."""
    if value is None:
        return DASH
    text = fmt_percent(abs(value), lang, 1)
    return ("+" if value >= 0 else "−") + text
