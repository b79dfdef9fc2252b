"""What an import can fill: the target fields of each kind of file, their types, the header
synonyms that suggest them, and the built-in meaning of common CRM statuses.

Everything here is data, so the page, the CLI and the tests read the same lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from analytics.model import STAGES, STATUSES

Kind = Literal["leads", "campaigns", "costs", "funnel"]
KINDS: Final[tuple[Kind, ...]] = ("leads", "campaigns", "costs", "funnel")
#: append: rows matching a stored one are skipped; update: they update its mapped fields
Mode = Literal["append", "update"]
MODES: Final[tuple[Mode, ...]] = ("append", "update")

#: How a source value is read: text as it is (trimmed), a date/time, a number, a whole number,
#: yes/no, a funnel stage from the status map, a status, a direction.
FieldType = Literal[
    "text", "timestamp", "date", "money", "number", "int", "bool", "stage", "status"
]


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    synonyms: tuple[str, ...] = ()


def _f(name: str, type_: FieldType, *synonyms: str, required: bool = False) -> Field:
    return Field(name, type_, required, synonyms)


LEAD_FIELDS: Final[tuple[Field, ...]] = (
    _f(
        "lead_id",
        "text",
        "id",
        "lead id",
        "lead number",
        "prospect id",
        "mql id",
        "opportunity id",
        "deal id",
        "record id",
        "contact id",
        "ид",
        "id лида",
        "id сделки",
        "номер",
        "номер лида",
        "номер сделки",
    ),
    _f(
        "created_at",
        "timestamp",
        "created",
        "created at",
        "created date",
        "create date",
        "date created",
        "creation date",
        "first contact date",
        "lead created",
        "date",
        "дата создания",
        "создан",
        "создано",
        "дата",
        "дата обращения",
        "дата заявки",
        required=True,
    ),
    _f("campaign_id", "text", "campaign", "campaign id", "utm campaign", "кампания", "id кампании"),
    _f("channel", "text", "channel", "origin", "lead origin", "medium", "utm medium", "канал"),
    _f(
        "source",
        "text",
        "source",
        "lead source",
        "utm source",
        "original source",
        "источник",
        "источник лида",
        "источник сделки",
    ),
    _f("company", "text", "company", "company name", "account", "account name", "компания"),
    _f(
        "company_size",
        "int",
        "company size",
        "employees",
        "number of employees",
        "size",
        "размер компании",
        "сотрудников",
        "количество сотрудников",
        "численность",
    ),
    _f("industry", "text", "industry", "sector", "business segment", "отрасль", "сфера"),
    _f("region", "text", "region", "city", "country", "location", "регион", "город", "страна"),
    _f("email", "text", "email", "e-mail", "email address", "почта", "эл. почта", "рабочий e-mail"),
    _f("phone", "text", "phone", "phone number", "mobile", "телефон", "рабочий телефон"),
    _f(
        "owner",
        "text",
        "owner",
        "lead owner",
        "deal owner",
        "sales agent",
        "sales rep",
        "assigned to",
        "responsible",
        "sr id",
        "ответственный",
        "менеджер",
    ),
    _f("bant_budget", "bool", "budget confirmed", "bant budget", "бюджет подтверждён"),
    _f("bant_authority", "bool", "authority", "bant authority", "лпр", "полномочия"),
    _f("bant_need", "bool", "need", "bant need", "потребность"),
    _f("bant_timing", "bool", "timing", "bant timing", "сроки"),
    _f("score", "number", "score", "lead score", "скоринг", "оценка"),
    _f(
        "stage",
        "stage",
        "stage",
        "status",
        "deal stage",
        "lead status",
        "lifecycle stage",
        "pipeline stage",
        "этап",
        "этап сделки",
        "стадия",
        "стадия сделки",
        "статус",
        "статус лида",
    ),
    _f("status", "status", "outcome", "result", "итог", "результат"),
    _f(
        "mql_at",
        "timestamp",
        "mql date",
        "became mql",
        "engage date",
        "дата mql",
        "дата квалификации",
    ),
    _f("sql_at", "timestamp", "sql date", "became sql", "дата sql"),
    _f("opportunity_at", "timestamp", "opportunity date", "дата переговоров"),
    _f(
        "won_at",
        "timestamp",
        "won date",
        "closed won date",
        "дата оплаты",
        "дата успешной сделки",
    ),
    _f("lost_at", "timestamp", "lost date", "дата отказа", "дата проигрыша"),
    # one "close date" column for both: the won date of won leads, the lost date of lost ones
    _f(
        "closed_at",
        "timestamp",
        "close date",
        "closed date",
        "closing date",
        "date closed",
        "дата закрытия",
        "закрыта",
    ),
    _f("lost_reason", "text", "lost reason", "reason", "причина отказа", "причина"),
    _f(
        "deal_value",
        "money",
        "amount",
        "deal value",
        "deal amount",
        "close value",
        "value",
        "revenue",
        "бюджет",
        "сумма",
        "сумма сделки",
    ),
)

CAMPAIGN_FIELDS: Final[tuple[Field, ...]] = (
    _f("campaign_id", "text", "campaign id", "id", "campaign", "id кампании", required=True),
    _f("name", "text", "name", "campaign name", "название", "название кампании", "кампания"),
    _f("channel", "text", "channel", "medium", "канал"),
    _f("direction", "text", "direction", "inbound/outbound", "направление"),
    _f("start_date", "date", "start", "start date", "начало", "дата начала"),
    _f("end_date", "date", "end", "end date", "окончание", "дата окончания"),
    _f("budget", "money", "budget", "бюджет", "бюджет кампании"),
)

COST_FIELDS: Final[tuple[Field, ...]] = (
    _f(
        "campaign_id",
        "text",
        "campaign id",
        "campaign",
        "campaign name",
        "кампания",
        "id кампании",
        "название кампании",
        required=True,
    ),
    _f("day", "date", "day", "date", "reporting starts", "дата", "день"),
    _f("date_to", "date", "reporting ends", "end date", "дата окончания", "по"),
    _f(
        "spend",
        "money",
        "spend",
        "spent",
        "cost",
        "amount spent",
        "amount spent (rub)",
        "amount spent (usd)",
        "расход",
        "расходы",
        "затраты",
        "стоимость",
    ),
    _f("impressions", "int", "impressions", "impr.", "показы", "показов"),
    _f("clicks", "int", "clicks", "link clicks", "клики", "кликов", "переходы"),
)

#: aggregate funnel rows: one row per ad / campaign / day with counts; the counts that are
#: stages are chosen separately (see Mapping.stages)
FUNNEL_FIELDS: Final[tuple[Field, ...]] = (
    _f("campaign_id", "text", "campaign id", "campaign", "кампания", required=True),
    _f("day", "date", "day", "date", "reporting starts", "дата", "день"),
    _f("spend", "money", *COST_FIELDS[3].synonyms),
    _f("impressions", "int", *COST_FIELDS[4].synonyms),
    _f("clicks", "int", *COST_FIELDS[5].synonyms),
)

FIELDS: Final[dict[Kind, tuple[Field, ...]]] = {
    "leads": LEAD_FIELDS,
    "campaigns": CAMPAIGN_FIELDS,
    "costs": COST_FIELDS,
    "funnel": FUNNEL_FIELDS,
}


def field(kind: Kind, name: str) -> Field:
    for f in FIELDS[kind]:
        if f.name == name:
            return f
    raise KeyError(f"{name!r} is not a field of a {kind} file")


def field_names(kind: Kind) -> tuple[str, ...]:
    return tuple(f.name for f in FIELDS[kind])


_NORM = re.compile(r"[\s_\-:./()]+")


def norm_header(text: str) -> str:
    """A header reduced for comparison: lower case, ``ё`` as ``е``, separators as one space."""
    return _NORM.sub(" ", text.strip().lower().replace("ё", "е")).strip()


def suggest(kind: Kind, headers: list[str]) -> dict[str, str]:
    """field -> source column suggested from the headers (exact synonym or field name).

    A column is suggested for at most one field, the first that claims it in field order.
    """
    by_norm: dict[str, str] = {}
    for h in headers:
        by_norm.setdefault(norm_header(h), h)
    out: dict[str, str] = {}
    used: set[str] = set()
    for f in FIELDS[kind]:
        for candidate in (f.name, *f.synonyms):
            header = by_norm.get(norm_header(candidate))
            if header is not None and header not in used:
                out[f.name] = header
                used.add(header)
                break
    return out


# ------------------------------------------------------------------------------------------
# Statuses: a CRM value -> (stage or None, status or None). None keeps what else says.

StatusTarget = tuple[str | None, str | None]


def parse_status_target(text: str) -> StatusTarget:
    """``"mql"``, ``"sql/lost"``, ``"lost"`` (status only), ``"won"`` -> (stage, status).

    Raises ValueError with the accepted forms for anything else.
    """
    parts = [p.strip().lower() for p in text.split("/")]
    stage: str | None = None
    status: str | None = None
    if len(parts) == 1:
        (word,) = parts
        if word == "won":
            return ("won", "won")
        if word in STAGES:
            stage = word
        elif word in STATUSES:
            status = word
        else:
            raise ValueError(_bad_target(text))
        return (stage, status)
    if len(parts) == 2 and parts[0] in (*STAGES, "") and parts[1] in STATUSES:
        return (parts[0] or None, parts[1])
    raise ValueError(_bad_target(text))


def _bad_target(text: str) -> str:
    return (
        f"{text!r} is not a stage or status: use a stage ({', '.join(STAGES)}), a status "
        f"({', '.join(STATUSES)}) or stage/status such as sql/lost"
    )


def format_status_target(target: StatusTarget) -> str:
    stage, status = target
    if stage == "won" and status in (None, "won"):
        return "won"
    if stage and status and status != "open":
        return f"{stage}/{status}"
    return stage or status or ""


_DEFAULTS: dict[str, tuple[str, ...]] = {
    # the PRODUCT.md statuses, in order, and their usual Russian forms
    "lead": (
        "contact us",
        "new",
        "new lead",
        "lead",
        "open",
        "open - not contacted",
        "working - contacted",
        "subscriber",
        "prospecting",
        "неразобранное",
        "новый",
        "новая",
        "новый лид",
        "новая заявка",
        "первичный контакт",
        "не обработан",
        "в работе",
        "связаться с нами",
        "заявка",
    ),
    "mql": (
        "mql",
        "marketing qualified lead",
        "marketingqualifiedlead",
        "qualified",
        "qualification",
        "engaging",
        "call",
        "квалифицирован",
        "квалификация",
        "квалифицированный лид",
        "качественный лид",
        "обработан",
        "звонок",
    ),
    "sql": (
        "sql",
        "sales qualified lead",
        "salesqualifiedlead",
        "appointmentscheduled",
        "qualifiedtobuy",
        "needs analysis",
        "closed - converted",
        "встреча",
        "встреча назначена",
    ),
    "opportunity": (
        "negotiation",
        "negotiation/review",
        "proposal",
        "proposal/price quote",
        "presentationscheduled",
        "decisionmakerboughtin",
        "contractsent",
        "opportunity",
        "переговоры",
        "принимают решение",
        "согласование договора",
        "коммерческое предложение",
        "кп отправлено",
        "подготовка документов",
        "счёт на предоплату",
        "счет на предоплату",
        "финальный счёт",
        "финальный счет",
    ),
    "won": (
        "closed deal",
        "won",
        "closed won",
        "closedwon",
        "customer",
        "deal won",
        "успешно реализовано",
        "сделка успешна",
        "успешная сделка",
        "закрыта успешно",
        "выиграна",
        "оплачено",
    ),
    "/lost": (
        "lost",
        "closed lost",
        "closedlost",
        "closed - not converted",
        "закрыто и не реализовано",
        "сделка провалена",
        "проиграна",
        "отказ",
        "некачественный лид",
    ),
    "/nurture": (
        "contact in the future",
        "nurture",
        "nurturing",
        "связаться в будущем",
        "отложено",
        "отложенный спрос",
    ),
}

#: Built-in meaning of common CRM statuses (normalised value -> (stage, status)).
DEFAULT_STATUS_MAP: Final[dict[str, StatusTarget]] = {
    norm_header(value): parse_status_target(target.lstrip("/") if "/" in target else target)
    for target, values in _DEFAULTS.items()
    for value in values
}


def default_status(value: str) -> StatusTarget | None:
    """What a CRM status means by default (case, ``ё`` and separators ignored), or None."""
    return DEFAULT_STATUS_MAP.get(norm_header(value))


#: What the values of a ``status`` column may say, normalised -> status
STATUS_WORDS: Final[dict[str, str]] = {
    **{s: s for s in STATUSES},
    "open": "open",
    "в работе": "open",
    "открыт": "open",
    "открыта": "open",
    "closed won": "won",
    "успешно": "won",
    "выиграна": "won",
    "closed lost": "lost",
    "проиграна": "lost",
    "отказ": "lost",
    "отложено": "nurture",
}

#: Values read as "no value" unless the mapping says otherwise (compared case-insensitively).
DEFAULT_NULL_VALUES: Final[tuple[str, ...]] = (
    "",
    "-",
    "–",
    "—",
    "n/a",
    "na",
    "null",
    "none",
    "nan",
    "#n/a",
    "не указано",
    "не указан",
    "не закрыта",
    "не закрыто",
)
