"""Numbers, money, percentages and dates formatted for a language and currency (Babel)."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date as _format_date
from babel.dates import format_interval
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


#: Each currency's own locale: its symbol there is the one people know (₽, ₸, ₴, zł).
HOME_LOCALE: dict[str, str] = {
    "RUB": "ru_RU",
    "USD": "en_US",
    "EUR": "de_DE",
    "UAH": "uk_UA",
    "PLN": "pl_PL",
    "KZT": "kk_KZ",
}


def _locale(lang: str) -> str:
    return {"en": "en_US", "ru": "ru_RU"}[normalise_language(lang)]


def currency_symbol(currency: str) -> str:
    return get_currency_symbol(currency, HOME_LOCALE.get(currency, "en_US"))


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


def fmt_money(
    value: float | None,
    currency: str,
    lang: str = "en",
    compact: bool = False,
    symbol: bool = True,
) -> str:
    """Money in the currency's symbol and the language's number style (whole units from 1 000).

    ``compact``: at most three significant digits (1.7M, 372K); ``symbol=False``: the number
    alone, for places that show the currency in a label.
    """
    if value is None:
        return DASH
    loc = _locale(lang)
    if not symbol:
        if compact and abs(value) >= 10_000:
            digits = 1 if abs(value) < 100_000 or 1e6 <= abs(value) < 1e8 else 0
            number = format_compact_decimal(abs(value), locale=loc, fraction_digits=digits)
            return ("-" if value < 0 else "") + number
        whole = compact and (abs(value) >= 100 or value == round(value))
        pattern = "#,##0" if whole or abs(value) >= 1000 else "#,##0.00"
        return format_decimal(value, format=pattern, locale=loc)
    symbol_text = currency_symbol(currency)
    if compact and abs(value) >= 10_000:
        # at most three significant digits: 1.7M, 38.7M, 372K
        digits = 1 if abs(value) < 100_000 or 1e6 <= abs(value) < 1e8 else 0
        number = format_compact_decimal(abs(value), locale=loc, fraction_digits=digits)
        sign = "-" if value < 0 else ""
        if lang == "ru":
            return f"{sign}{number}\xa0{symbol_text}"
        if len(symbol_text) == 1:
            return f"{sign}{symbol_text}{number}"
        return f"{sign}{symbol_text}\xa0{number}"
    if compact and abs(value) >= 100:
        value = round(value)
    decimals = "" if abs(value) >= 1000 or (compact and value == round(value)) else ".00"
    pattern = f"#,##0{decimals}\xa0¤" if lang == "ru" else f"¤#,##0{decimals}"
    text = format_currency(value, currency, format=pattern, locale=loc, currency_digits=False)
    own = get_currency_symbol(currency, loc)
    if own != symbol_text:
        text = text.replace(own, symbol_text, 1)
    if lang != "ru" and len(symbol_text) > 1:
        text = text.replace(symbol_text, symbol_text + "\xa0", 1)
    return text


def fmt_change_pp(value: float | None, lang: str = "en") -> str:
    """A change of a rate in percentage points: 0.305 -> 0.335 is "+3.0 pp"."""
    if value is None:
        return DASH
    unit = "п. п." if normalise_language(lang) == "ru" else "pp"
    number = format_decimal(abs(value) * 100, format="#,##0.0", locale=_locale(lang))
    return ("+" if value >= 0 else "-") + number + "\xa0" + unit


def fmt_days(value: float | None, lang: str = "en") -> str:
    if value is None:
        return DASH
    return fmt_number(value, lang, 1)


def fmt_date(value: date | None, lang: str = "en") -> str:
    if value is None:
        return DASH
    return _format_date(value, format="medium", locale=_locale(lang))


def fmt_change_pct(value: float | None, lang: str = "en") -> str:
    """A relative change with its sign: +12.5% / -3.0% / – (ASCII signs: Streamlit's metric
    reads them to pick the arrow)."""
    if value is None:
        return DASH
    text = fmt_percent(abs(value), lang, 1)
    return ("+" if value >= 0 else "-") + text


def fmt_date_range(start: date | None, end: date | None, lang: str = "en") -> str:
    """Two dates as one range, shared parts once: "Nov 9 – 15, 2026", "9—15 нояб. 2026 г."."""
    if start is None or end is None:
        return DASH
    return format_interval(start, end, "yMMMd", locale=_locale(lang))


def fmt_day_month(value: date | None, lang: str = "en") -> str:
    """A short date without the year, for chart axes: "Nov 9", "9 нояб."."""
    if value is None:
        return DASH
    return _format_date(
        value, format="MMM d" if normalise_language(lang) == "en" else "d MMM", locale=_locale(lang)
    )


def fmt_signed_int(value: float | int | None, lang: str = "en") -> str:
    """A whole-number change with its sign: "+6", "-1,234", "0"."""
    if value is None:
        return DASH
    return ("+" if round(float(value)) > 0 else "") + fmt_int(value, lang)
