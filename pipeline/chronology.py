"""Dated events in a validated article: the sentence that holds a date, with its source line.

A briefing reader wants the dates of a set of records in one place. This module
finds them in paragraphs, list items and dated infobox fields, and never invents
one: a date is shown as written; a day and month without a year is placed by the
year of the sentence before it and says so, or is left undated. What it accepts
is written down in ``docs/chronology.md``. Regular expressions over month names
are used rather than a date library: they accept exactly what the document says,
and nothing like "May" the verb or "March" the noun without a number beside it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from schemas import Article, Block, ListBlock, Paragraph, fold_key, split_family

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_NUMBER = {name.casefold(): i for i, name in enumerate(MONTHS, start=1)}
_MONTH = r"(?P<{0}>" + "|".join(MONTHS) + r")"
_YEAR = r"(?P<{0}>1\d{{3}}|20\d{{2}})"
_DAY = r"(?P<{0}>[12]\d|3[01]|0?[1-9])"
_DASH = r"\s*(?:-|–|—|to|until|and)\s*"


#: Patterns, tried in this order at each position; the earliest match in a sentence wins,
#: and at one position the first pattern listed wins (so a full date beats its year).
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "day-range",  # 3–5 May 1990
        re.compile(
            rf"(?<![\w-]){_DAY.format('day')}{_DASH}{_DAY.format('day2')}\s+{_MONTH.format('month')},?\s+"
            rf"{_YEAR.format('year')}(?![\w-])"
        ),
    ),
    (
        "iso",  # 1924-12-07
        re.compile(
            r"(?<![\w-])(?P<year>1\d{3}|20\d{2})-(?P<month>0[1-9]|1[0-2])-(?P<day>0[1-9]|[12]\d|3[01])(?![\w-])"
        ),
    ),
    (
        "day-month-year",  # 7 December 1924
        re.compile(rf"(?<![\w-]){_DAY.format('day')}\s+{_MONTH.format('month')},?\s+{_YEAR.format('year')}(?![\w-])"),
    ),
    (
        "month-day-year",  # December 7, 1924
        re.compile(rf"(?<![\w-]){_MONTH.format('month')}\s+{_DAY.format('day')},?\s+{_YEAR.format('year')}(?![\w-])"),
    ),
    (
        "month-year",  # December 1924
        re.compile(rf"(?<![\w-]){_MONTH.format('month')},?\s+{_YEAR.format('year')}(?![\w-])"),
    ),
    (
        "day-month",  # 14 December (no year written)
        re.compile(rf"(?<![\w-]){_DAY.format('day')}\s+{_MONTH.format('month')}(?![\w-])"),
    ),
    (
        "month-day",  # December 14 (no year written)
        re.compile(rf"(?<![\w-]){_MONTH.format('month')}\s+{_DAY.format('day')}(?![\w-])(?!,?\s*\d)"),
    ),
    (
        "decade",  # the 1990s
        re.compile(r"(?<![\w-])(?P<year>1\d{2}0|20\d0)s(?![\w-])"),
    ),
    (
        "year-range",  # 1992–1997, from 1992 to 1997, between 1992 and 1997
        re.compile(
            r"(?<![\w-])(?:(?:[Ff]rom|[Bb]etween)\s+)?(?P<year>1\d{3}|20\d{2})"
            + _DASH
            + r"(?P<year2>1\d{3}|20\d{2}|\d{2})(?![\w-])"
        ),
    ),
    (
        "year",  # In 2011, since 1991: a bare number counts as a year only after one of these words
        re.compile(
            r"(?<![\w-])(?P<lead>[Ii]n|[Ss]ince|[Bb]y|[Ff]rom|[Uu]ntil|[Tt]ill|[Dd]uring|[Aa]fter|[Bb]efore|[Aa]round|"
            r"[Cc]irca|c\.|[Oo]f|[Ii]n\s+early|[Ii]n\s+late|[Ii]n\s+mid-?)\s+(?P<year>1\d{3}|20\d{2})(?![\w-])"
        ),
    ),
]

#: Words after which a full stop does not end a sentence ("No. 3503", "Gen. Smith").
_ABBREVIATIONS = {"no", "nos", "mr", "mrs", "ms", "dr", "st", "gen", "lt", "col", "maj", "capt", "sgt", "c", "ca"}
_BOUNDARY = re.compile(r"[.!?][\"'”’)]*\s+(?=[\"'“‘(]?[A-Z0-9\u0400-\u04FF])")


@dataclass(frozen=True)
class When:
    """A date as the text writes it, and where it sorts."""

    written: str  # the words of the text, e.g. "14 December" or "the 1990s"
    kind: str  # the PATTERNS name that matched, or "infobox"
    year: int | None
    month: int | None = None
    day: int | None = None
    end_year: int | None = None  # the last year of a range or a decade
    inferred_year: bool = False  # the year comes from the sentence before
    annual: bool = False  # a day of every year (an anniversary)

    @property
    def sort_key(self) -> tuple[int, int, int, int]:
        """Undated and annual events sort after every dated one."""
        if self.year is None:
            return (1 if not self.annual else 2, self.month or 0, self.day or 0, 0)
        return (0, self.year, self.month or 0, self.day or 0)

    @property
    def shown(self) -> str:
        """What a reader sees in the date column: the words of the text, plus the year placed."""
        if self.inferred_year:
            return f"{self.written} [{self.year}]"
        return self.written

    @property
    def note(self) -> str | None:
        """What a reader should know about the date, as a code the templates word (``_macros.j2``, ``when``)."""
        if self.inferred_year:
            return "year-inferred"
        if self.annual:
            return "every-year"
        if self.year is None:
            return "no-year"
        return None


@dataclass(frozen=True)
class Event:
    """One dated sentence (or infobox field) of one record."""

    when: When
    text: str  # the sentence, as written
    line: int | None
    section: str | None  # the section heading it is under; None in the lead or infobox
    source: str  # "text" or "infobox"


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph, cut after ``.``/``!``/``?`` and a space before a capital or digit.

    A full stop after a known abbreviation (``No.``, ``Gen.``) or a single capital
    letter (an initial) does not end a sentence. The pieces joined with one space
    give the text back.
    """
    pieces: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[max(start, match.start() - 40) : match.start() + 1]  # the word before the stop
        word = re.search(r"(\w+)\.$", before.rstrip("\"'”’)"))
        if word and (word[1].casefold() in _ABBREVIATIONS or (len(word[1]) == 1 and word[1].isupper())):
            continue
        pieces.append(text[start : match.end()].rstrip())
        start = match.end()
    pieces.append(text[start:])
    return [p for p in pieces if p]


def find_date(sentence: str) -> When | None:
    """The first date the sentence writes, or None."""
    best: tuple[int, int, re.Match[str], str] | None = None
    for order, (kind, pattern) in enumerate(PATTERNS):
        match = pattern.search(sentence)
        if match is None:
            continue
        position = match.start("year") if kind == "year" else match.start()
        if best is None or (position, order) < best[:2]:
            best = (position, order, match, kind)
    if best is None:
        return None
    _, _, match, kind = best
    groups = match.groupdict()
    written = match.group(0)
    if kind == "year":
        written = groups["year"]
    elif kind == "decade":
        start = match.start()
        the = re.search(r"(?:[Tt]he\s+)$", sentence[:start])
        written = (the.group(0) if the else "") + written
    month_text = groups.get("month")
    month = (int(month_text) if month_text.isdigit() else _MONTH_NUMBER[month_text.casefold()]) if month_text else None
    day = int(groups["day"]) if groups.get("day") else None
    year = int(groups["year"]) if groups.get("year") else None
    end_year = None
    if kind == "decade":
        end_year = year + 9
    elif kind == "year-range":
        tail = groups["year2"]
        end_year = int(tail) if len(tail) == 4 else (year // 100) * 100 + int(tail)
        if end_year < year:
            return When(groups["year"], "year", year)
    return When(written=written, kind=kind, year=year, month=month, day=day, end_year=end_year)


def _texts(blocks: list[Block]) -> Iterator[tuple[str, int | None]]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text, block.line
        elif isinstance(block, ListBlock):
            stack = list(reversed(block.items))
            while stack:
                item = stack.pop()
                yield item.text, item.line
                for child in reversed(item.children):
                    stack.extend(reversed(child.items))


def _from_text(text: str, line: int | None, section: str | None) -> Iterator[Event]:
    previous_year: int | None = None
    for sentence in sentences(text):
        when = find_date(sentence)
        if when is not None and when.year is None and previous_year is not None:
            when = When(when.written, when.kind, previous_year, when.month, when.day, inferred_year=True)
        if when is not None:
            yield Event(when=when, text=sentence, line=line, section=section, source="text")
        previous_year = when.year if when is not None else None


#: Infobox keys (folded, numbers taken off) whose values are dates of the record's history.
DATED_KEYS = {"formed", "founded", "established", "dissolved", "disbanded", "anniversary", "date"}


def _from_infobox(article: Article) -> Iterator[Event]:
    infobox = article.infobox
    if infobox is None:
        return
    for field in infobox.fields:
        parts = split_family(field.key)
        base = fold_key(parts[0] if parts else field.key)
        if base not in DATED_KEYS or not field.value.strip():
            continue
        when = find_date(field.value)
        text = f"{field.label}: {field.value}"
        if when is None:
            year = re.fullmatch(r"\s*(1\d{3}|20\d{2})\s*", field.value)
            if year:
                when = When(year[1], "year", int(year[1]))
        if when is None:
            continue
        if base == "anniversary":
            when = When(when.written, when.kind, None, when.month, when.day, annual=True)
        yield Event(when=when, text=text, line=field.line, section=None, source="infobox")


def events(article: Article) -> list[Event]:
    """Every dated event of the record, sorted by date, then by source order."""
    found = list(_from_infobox(article))
    for text, line in _texts(article.lead):
        found.extend(_from_text(text, line, None))
    for section in article.sections:
        for text, line in _texts(section.blocks):
            found.extend(_from_text(text, line, section.title))
    order = {id(event): i for i, event in enumerate(found)}
    return sorted(found, key=lambda e: (e.when.sort_key, order[id(e)]))


@dataclass(frozen=True)
class RecordEvent:
    """An event of one record in the chronology across records."""

    slug: str
    title: str
    event: Event


def combined(records: list[tuple[str, str, list[Event]]]) -> list[RecordEvent]:
    """Every record's events (slug, title, events) in one list, by date, then in record order."""
    found = [RecordEvent(slug, title, event) for slug, title, found in records for event in found]
    return sorted(found, key=lambda r: r.event.when.sort_key)  # stable: record order breaks ties
