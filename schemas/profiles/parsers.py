"""The parsers profiles are made of: pure functions from an infobox value to a typed value.

Every parser takes the text as written and returns ``(value, problem)``: the
value always keeps that text (``value.text``), and holds what could be read from
it; ``problem`` is None, or the words of a warning ("expected yes or no, got
'sometimes'; shown as written"). A parser never raises and never reads a file:
whether an image is really in ``media/`` is the validator's business.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

#: Counts such as Employees: more digits than this is no count (and Python refuses
#: to convert integers of more than 4,300 digits at all).
MAX_NUMBER_DIGITS = 18
MONTHS = {name.casefold(): i for i, name in enumerate(calendar.month_name) if name} | {
    name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name
}


class Value(BaseModel):
    """A typed value: the text as written, and what was read from it."""

    model_config = ConfigDict(extra="forbid", defer_build=True)  # built with the first profile model
    text: str = Field(description="as written in the record")


class Flag(Value):
    value: bool | None = Field(description="None when the text is not yes/no")


class Year(Value):
    value: int | None = None


class PartialDate(Value):
    year: int | None = None
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)


class DateRange(Value):
    """``1941–1945``, ``10 April 1993 – present``: two partial dates, the end maybe open."""

    start: PartialDate | None = None
    end: PartialDate | None = None
    present: bool = Field(default=False, description="the range runs to the present ('– present')")


class DayOfYear(Value):
    """``November 10 (Day of the Tajik Police)`` -> month 11, day 10, label."""

    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    label: str | None = None


class Quantity(Value):
    """``198,317 active personnel (2023)`` -> 198317, unit 'active personnel', as of 2023."""

    value: int | float | None = None
    unit: str | None = Field(default=None, description="the words after the number, or a currency sign")
    as_of: int | None = Field(default=None, description="the year the figure is for")
    note: str | None = Field(default=None, description="the words in brackets after it, e.g. '2023 est.'")


class Url(Value):
    href: str | None = Field(default=None, description="with https:// added when the text has no scheme")


class FileName(Value):
    """``File:Police of Tajikistan.png`` -> the name the media folder would hold."""

    name: str | None = None


class Names(Value):
    """A list of names written on one line, split at commas, semicolons and bullets."""

    names: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class Parser:
    """A named pure parser and the type of value it returns (a profile's model is made from it)."""

    name: str
    type: Any
    function: Callable[[str], tuple[Any, str | None]]
    doc: str

    def __call__(self, text: str) -> tuple[Any, str | None]:
        return self.function(text)


def _as_written(text: str) -> tuple[str, None]:
    return text, None


def _flag(text: str) -> tuple[Flag, str | None]:
    value = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}.get(text.strip().casefold())
    if value is None:
        return Flag(text=text, value=None), f"expected yes or no, got '{text}'; shown as written"
    return Flag(text=text, value=value), None


def _date_parts(text: str) -> tuple[int, int | None, int | None] | None:
    """(year, month, day) of '1993', 'April 1993', '10 April 1993', 'April 10, 1993', '1993-04-10'."""
    text = text.strip()
    if re.fullmatch(r"\d{3,4}", text):
        return int(text), None, None
    patterns = (
        r"(?P<d>\d{1,2}) (?P<m>[A-Za-z]+)\.? (?P<y>\d{3,4})",
        r"(?P<m>[A-Za-z]+)\.? (?P<d>\d{1,2}), (?P<y>\d{3,4})",
        r"(?P<y>\d{4})-(?P<mn>\d{2})-(?P<d>\d{2})",
        r"(?P<m>[A-Za-z]+)\.? (?P<y>\d{3,4})",
    )
    for pattern in patterns:
        match = re.fullmatch(pattern, text)
        if not match:
            continue
        groups = match.groupdict()
        month = int(groups["mn"]) if groups.get("mn") else MONTHS.get((groups.get("m") or "").casefold())
        day = int(groups["d"]) if groups.get("d") else None
        year = int(groups["y"])
        if month and 1 <= month <= 12 and (day is None or 1 <= day <= calendar.monthrange(year or 4, month)[1]):
            return year, month, day
    return None


def _partial_date(text: str) -> tuple[PartialDate, str | None]:
    parts = _date_parts(text)
    if parts is None:
        return PartialDate(text=text), f"expected a year or a date, got '{text}'; shown as written"
    year, month, day = parts
    return PartialDate(text=text, year=year, month=month, day=day), None


def _year(text: str) -> tuple[Year, str | None]:
    match = re.fullmatch(r"\s*(?:c\.\s*|circa\s+)?(\d{3,4})\s*(?:\([^()]*\))?\s*", text)
    if match:
        return Year(text=text, value=int(match[1])), None
    parts = _date_parts(text)
    if parts is not None:
        return Year(text=text, value=parts[0]), None
    return Year(text=text), f"expected a year such as '1993', got '{text}'; shown as written"


_OPEN_END = re.compile(r"(?:present|current|now|today|ongoing)\.?", re.IGNORECASE)
_RANGE_SEPARATOR = re.compile(r"\s*(?:[–—−]|-{1,2}|\bto\b|\buntil\b)\s*")


def _date_range(text: str) -> tuple[DateRange, str | None]:
    stripped = text.strip()
    whole = _date_parts(stripped)
    if whole is not None:
        year, month, day = whole
        return DateRange(text=text, start=PartialDate(text=stripped, year=year, month=month, day=day)), None
    for separator in _RANGE_SEPARATOR.finditer(stripped):
        left, right = stripped[: separator.start()], stripped[separator.end() :]
        start = _date_parts(left)
        if start is None:
            continue
        first = PartialDate(text=left, year=start[0], month=start[1], day=start[2])
        if not right or _OPEN_END.fullmatch(right):
            return DateRange(text=text, start=first, present=bool(right)), None
        if re.fullmatch(r"\d{2}", right) and start[0] >= 100:  # "1941–45"
            year = start[0] // 100 * 100 + int(right)
            if year > start[0]:
                return DateRange(text=text, start=first, end=PartialDate(text=right, year=year)), None
        end = _date_parts(right)
        if end is not None:
            return DateRange(
                text=text, start=first, end=PartialDate(text=right, year=end[0], month=end[1], day=end[2])
            ), None
    return DateRange(text=text), (
        f"expected a date or a range such as '1941–1945' or '1993 – present', got '{text}'; shown as written"
    )


def _day_of_year(text: str) -> tuple[DayOfYear, str | None]:
    match = re.fullmatch(
        r"(?:(?P<m1>[A-Za-z]+)\.? (?P<d1>\d{1,2})|(?P<d2>\d{1,2}) (?P<m2>[A-Za-z]+)\.?)"
        r"(?:\s*\((?P<label>[^()]+)\))?",
        text.strip(),
    )
    if match:
        month = MONTHS.get((match["m1"] or match["m2"]).casefold())
        day = int(match["d1"] or match["d2"])
        if month and 1 <= day <= calendar.monthrange(2024, month)[1]:
            label = match["label"].strip() if match["label"] else None
            return DayOfYear(text=text, month=month, day=day, label=label), None
    return DayOfYear(text=text), (
        f"expected a day of the year such as 'November 10 (Police Day)', got '{text}'; shown as written"
    )


_QUANTITY = re.compile(
    r"(?:(?:about|approx\.?|approximately|around|c\.|circa|over|more than|at least|some|~)\s*)?"
    r"(?P<currency>US\$|\$|€|£|¥|₽)?\s*"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+|\d+(?:\.\d+)?)\s*\+?"
    r"(?:\s*(?P<scale>thousand|million|billion|trillion)\b)?"
    r"(?P<unit>[^()]*)"
    r"(?:\((?P<note>[^()]*)\))?\s*",
    re.IGNORECASE,
)
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12}


def _quantity(text: str) -> tuple[Quantity, str | None]:
    """A count or amount: digits grouped by commas, a unit, a scale word, and the year it is for."""
    match = _QUANTITY.fullmatch(text.strip())
    if not match:
        return Quantity(text=text), f"expected a number such as '11,000', got '{text}'; shown as written"
    digits = re.sub(r"[, ]", "", match["number"])
    if len(digits.replace(".", "")) > MAX_NUMBER_DIGITS:
        return Quantity(text=text), (
            f"a number of {len(digits):,} digits is too long for a count (at most {MAX_NUMBER_DIGITS}); "
            "shown as written"
        )
    try:
        amount = Decimal(digits) * _SCALES.get((match["scale"] or "").casefold(), 1)
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        return Quantity(text=text), f"expected a number such as '11,000', got '{text}'; shown as written"
    value: int | float = int(amount) if amount == amount.to_integral_value() else float(amount)
    unit, note, as_of = match["unit"].strip(), match["note"], None
    if note is not None:
        found = re.search(r"\b(1[5-9]\d{2}|20\d{2})\b", note)
        as_of = int(found[1]) if found else None
    if as_of is None:  # "11,000 personnel as of 2015"
        found = re.search(r"[,;]?\s*\b(?:as of|in)\s+(1[5-9]\d{2}|20\d{2})$", unit, re.IGNORECASE)
        if found:
            as_of, unit = int(found[1]), unit[: found.start()].strip()
    unit = " ".join(filter(None, [match["currency"], unit])) or None
    note = note.strip() if note and note.strip() not in ("", str(as_of)) else None
    return Quantity(text=text, value=value, unit=unit, as_of=as_of, note=note), None


def _url(text: str) -> tuple[Url, str | None]:
    stripped = text.strip()
    if not re.fullmatch(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?", stripped):
        return Url(text=text), f"'{text}' does not look like a web address"
    href = stripped if re.match(r"https?://", stripped) else f"https://{stripped}"
    return Url(text=text, href=href), None


def _file(text: str) -> tuple[FileName, str | None]:
    name = re.sub(r"^(?:File|Image):", "", text.strip(), flags=re.IGNORECASE).strip()
    unsafe = (
        not name
        or "/" in name
        or "\\" in name
        or name.startswith(".")
        or ":" in name
        or not re.search(r"\.[A-Za-z0-9]{2,5}$", name)
    )
    if unsafe:
        return FileName(text=text), (
            f"'{text}' is not an image file name ('File:Name.png') in the media folder; "
            "it is shown as text and not loaded"
        )
    return FileName(text=text, name=name), None


def _names(text: str) -> tuple[Names, None]:
    names, depth, current = [], 0, []
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth <= 0 and char in ",;•·":
            names.append("".join(current))
            current = []
            depth = 0
        else:
            current.append(char)
    names.append("".join(current))
    return Names(text=text, names=[n.strip() for n in names if n.strip()]), None


text = Parser("text", str, _as_written, "the text as written")
flag = Parser("yes/no", Flag, _flag, "yes or no")
year = Parser("year", Year, _year, "a year, e.g. '1993'")
partial_date = Parser("partial date", PartialDate, _partial_date, "a year or a date, e.g. '10 April 1993'")
date_range = Parser("date range", DateRange, _date_range, "a date or a range, e.g. '1993 – present'")
day_of_year = Parser("day of year", DayOfYear, _day_of_year, "a day of the year, e.g. 'November 10 (Police Day)'")
quantity = Parser(
    "number", Quantity, _quantity, "a number with its unit and year, e.g. '198,317 active personnel (2023)'"
)
url = Parser("URL", Url, _url, "a web address, e.g. 'www.mvd.tj'")
file = Parser("file", FileName, _file, "an image in the media folder, e.g. 'File:Emblem.png'")
names = Parser("list of names", Names, _names, "names separated by commas or semicolons")
