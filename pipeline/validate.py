"""Stage 2: parsed record -> validated :class:`schemas.Article`, plus warnings.

Structure errors come from the reader; this stage adds what needs meaning: typed
infobox values that do not parse, a logo that cannot be found, characters the
bundled fonts cannot show. Those are warnings (the source text is still shown as
written); ``--strict`` turns them into errors in :func:`pipeline.build.check`.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pipeline.assets import install_hint, uncovered
from pipeline.bidi import describe, has_visible, suspicious
from pipeline.diagnostics import Diagnostic, has_errors
from pipeline.media import SUFFIXES as MEDIA_SUFFIXES
from pipeline.media import load as media_load
from pipeline.read import (
    RawBlock,
    RawField,
    RawItem,
    RawList,
    RawParagraph,
    RawRecord,
    RawScriptText,
    RawSection,
    check_structure,
    json_line,
)
from pipeline.scripts import RTL_SCRIPTS, lang_for, main_script
from schemas import Article, Infobox, InfoboxField, ListBlock, ListItem, Paragraph, Section
from schemas.article import Provenance, ScriptText
from schemas.authored import WORKED_OUT, AuthoredArticle
from schemas.infobox import (
    MAX_FAMILY_DIGITS,
    Activity,
    DayOfYear,
    Flag,
    LawEnforcementAgency,
    MediaRef,
    Number,
    PartialDate,
    Person,
    fold_key,
    split_family,
)

NATIVE_NAME_KEYS = ("nativename", "nativenamea", "commonnativename", "nativename1")
IMAGE_KEYS = ("logo", "image", "insignia", "flag", "seal")
#: Counts such as Employees: more digits than this is no count (and Python refuses
#: to convert integers of more than 4,300 digits at all).
MAX_NUMBER_DIGITS = 18
_MONTHS = {name.casefold(): i for i, name in enumerate(calendar.month_name) if name} | {
    name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name
}


@dataclass(frozen=True)
class Options:
    """What validation depends on beyond the record itself."""

    source_name: str | None = None  # how outputs name the source (messages use the path as given)
    media_dir: Path | None = None
    media_label: str | None = None  # how messages name the media folder
    allow_missing_glyphs: bool = False  # a character no font has is a warning, not an error
    licence: str | None = None
    attribution: str | None = None


@dataclass
class Outcome:
    """A validated article, or None, with every diagnostic of its file."""

    article: Article | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.article is not None


def validate(raw: RawRecord, options: Options = Options()) -> Outcome:
    """Turn a parsed record into an Article; never raises for bad input."""
    if raw.authored is not None:
        _read_authored(raw)
    checker = _Checker(raw, options)
    article = checker.build()
    diagnostics = sorted(raw.diagnostics + checker.diagnostics, key=lambda d: d.line)
    if has_errors(diagnostics):
        return Outcome(None, diagnostics)
    return Outcome(article, diagnostics)


class _Checker:
    def __init__(self, raw: RawRecord, options: Options):
        self.raw = raw
        self.options = options
        self.diagnostics: list[Diagnostic] = []

    def warn(self, line: int | None, message: str) -> None:
        self.diagnostics.append(Diagnostic(self.raw.path, line or 1, "warning", message))

    def build(self) -> Article | None:
        raw = self.raw
        self.check_coverage()
        self.check_invisible()
        if raw.title is not None and not has_visible(raw.title):
            self.diagnostics.append(
                Diagnostic(
                    raw.path,
                    raw.title_line,
                    "error",
                    "title has no visible character (only spaces, controls or zero-width characters); "
                    "write the record's name",
                )
            )
            return None
        if has_errors(raw.diagnostics) or raw.title is None:
            return None
        infobox = self.infobox() if raw.infobox_line else None
        try:
            return Article(
                title=raw.title,
                title_line=raw.title_line,
                lang=raw.lang or "en",
                native_name=self.native_name(),
                infobox=infobox,
                lead=[_block(b) for b in raw.lead],
                sections=[
                    Section(title=s.title, level=s.level, line=s.line, blocks=[_block(b) for b in s.blocks])
                    for s in raw.sections
                ],
                provenance=Provenance(
                    path=self.options.source_name or raw.path,
                    sha256=raw.sha256,
                    licence=self.options.licence,
                    attribution=self.options.attribution,
                ),
            )
        except ValidationError as exc:  # the reader should have caught it; say where anyway
            for error in exc.errors():
                self.diagnostics.append(
                    Diagnostic(raw.path, raw.title_line, "error", f"{_loc(error['loc'])}: {error['msg']}")
                )
            return None

    # -- infobox --------------------------------------------------------------
    def infobox(self) -> Infobox:
        raw = self.raw
        fields = [InfoboxField(key=f.key, value=f.value, line=f.line) for f in raw.infobox]
        too_long = re.compile(rf"[A-Za-z]+\d{{{MAX_FAMILY_DIGITS + 1},}}[A-Za-z_]*")
        for f in fields:
            if split_family(f.key) is None and too_long.fullmatch(f.key):
                short = f.key if len(f.key) <= 40 else f"{f.key[:24]}…{f.key[-12:]}"
                self.warn(
                    f.line,
                    f"infobox key '{short}' numbers its entry with more than {MAX_FAMILY_DIGITS} digits; "
                    "it is shown as a row of its own, not with its family",
                )
        template = raw.infobox_template
        keys = {fold_key(f.key) for f in fields}
        profile = None
        agency = None
        if (template and fold_key(template) == "lawenforcementagency") or (template is None and "agencyname" in keys):
            profile = "law enforcement agency"
            agency = self.agency(fields)
        image = agency.logo if agency else None
        if image is None:
            first = next((f for f in fields if fold_key(f.key) in IMAGE_KEYS and f.value), None)
            image = self.logo(first) if first else None
        return Infobox(
            template=template, profile=profile, line=raw.infobox_line, fields=fields, image=image, agency=agency
        )

    def agency(self, fields: list[InfoboxField]) -> LawEnforcementAgency:
        plain = {
            "agencyname": "agency_name",
            "country": "country",
            "headquarters": "headquarters",
            "parentagency": "parent_agency",
            "activitytype": "activity_type",
            "motto": "motto",
        }
        data: dict = {"people": [], "activities": [], "anniversaries": []}
        people: dict[int, Person] = {}
        for f in fields:
            key = fold_key(f.key)
            if not f.value:
                continue
            if key in plain:
                data[plain[key]] = f.value
            elif key in NATIVE_NAME_KEYS:
                data.setdefault("native_name", f.value)
            elif key in ("gendarmerie", "police"):
                data[key] = self.flag(f)
            elif key == "logo":
                data["logo"] = self.logo(f)
            elif key in ("formed", "formedyear"):
                data["formed"] = self.partial_date(f)
            elif key == "employees":
                data["employees"] = self.number(f)
            elif key == "website":
                data["website"] = self.website(f)
            elif (parts := split_family(f.key)) is not None:
                family, index, attribute = parts
                family, attribute = family.casefold(), attribute.casefold()
                if family == "person" and attribute in ("name", "title"):
                    person = people.setdefault(index, Person(index=index))
                    setattr(person, attribute, f.value)
                elif family == "activity" and attribute == "name":
                    data["activities"].append(Activity(index=index, name=f.value))
                elif family == "anniversary" and attribute == "":
                    data["anniversaries"].append(self.day_of_year(f, index))
        data["people"] = [people[i] for i in sorted(people)]
        return LawEnforcementAgency(**data)

    def flag(self, f: InfoboxField) -> Flag:
        value = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}.get(
            f.value.strip().casefold()
        )
        if value is None:
            self.warn(f.line, f"infobox '{f.key}': expected yes or no, got '{f.value}'; shown as written")
        return Flag(text=f.value, value=value)

    def day_of_year(self, f: InfoboxField, index: int) -> DayOfYear:
        match = re.fullmatch(
            r"(?:(?P<m1>[A-Za-z]+)\.? (?P<d1>\d{1,2})|(?P<d2>\d{1,2}) (?P<m2>[A-Za-z]+)\.?)"
            r"(?:\s*\((?P<label>[^()]+)\))?",
            f.value.strip(),
        )
        if match:
            month = _MONTHS.get((match["m1"] or match["m2"]).casefold())
            day = int(match["d1"] or match["d2"])
            if month and 1 <= day <= calendar.monthrange(2024, month)[1]:
                label = match["label"].strip() if match["label"] else None
                return DayOfYear(index=index, text=f.value, month=month, day=day, label=label)
        self.warn(
            f.line,
            f"infobox '{f.key}': expected a day of the year such as 'November 10 (Police Day)', "
            f"got '{f.value}'; shown as written",
        )
        return DayOfYear(index=index, text=f.value)

    def partial_date(self, f: InfoboxField) -> PartialDate:
        text = f.value.strip()
        if re.fullmatch(r"\d{3,4}", text):
            return PartialDate(text=f.value, year=int(text))
        patterns = (
            r"(?P<d>\d{1,2}) (?P<m>[A-Za-z]+) (?P<y>\d{3,4})",
            r"(?P<m>[A-Za-z]+) (?P<d>\d{1,2}), (?P<y>\d{3,4})",
            r"(?P<y>\d{4})-(?P<mn>\d{2})-(?P<d>\d{2})",
            r"(?P<m>[A-Za-z]+) (?P<y>\d{3,4})",
        )
        for pattern in patterns:
            match = re.fullmatch(pattern, text)
            if not match:
                continue
            groups = match.groupdict()
            month = int(groups["mn"]) if groups.get("mn") else _MONTHS.get((groups.get("m") or "").casefold())
            day = int(groups["d"]) if groups.get("d") else None
            year = int(groups["y"])
            if month and 1 <= month <= 12 and (day is None or 1 <= day <= calendar.monthrange(year or 4, month)[1]):
                return PartialDate(text=f.value, year=year, month=month, day=day)
        self.warn(f.line, f"infobox '{f.key}': expected a year or a date, got '{f.value}'; shown as written")
        return PartialDate(text=f.value)

    def number(self, f: InfoboxField) -> Number:
        match = re.fullmatch(
            r"(?:about |approx\.? |c\. ?|~)?(\d{1,3}(?:[, ]\d{3})+|\d+)\+?(?:\s*\(.*\))?", f.value.strip()
        )
        digits = re.sub(r"[, ]", "", match[1]) if match else ""
        if match and len(digits) > MAX_NUMBER_DIGITS:
            self.warn(
                f.line,
                f"infobox '{f.key}': a number of {len(digits):,} digits is too long for a count "
                f"(at most {MAX_NUMBER_DIGITS}); shown as written",
            )
            return Number(text=f.value, value=None)
        if match:
            return Number(text=f.value, value=int(digits))
        self.warn(
            f.line,
            f"infobox '{f.key}': expected a number such as '11,000', got '{f.value}'; shown as written",
        )
        return Number(text=f.value, value=None)

    def website(self, f: InfoboxField) -> str:
        if not re.fullmatch(r"(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?", f.value.strip()):
            self.warn(f.line, f"infobox '{f.key}': '{f.value}' does not look like a web address")
        return f.value

    def logo(self, f: InfoboxField) -> MediaRef:
        name = re.sub(r"^(?:File|Image):", "", f.value.strip(), flags=re.IGNORECASE).strip()
        unsafe = (
            not name
            or "/" in name
            or "\\" in name
            or name.startswith(".")
            or ":" in name
            or Path(name).suffix.casefold() not in MEDIA_SUFFIXES
        )
        if unsafe:
            self.warn(
                f.line,
                f"infobox '{f.key}': '{f.value}' is not an image file name ('File:Name.png') in the "
                "media folder; it is shown as text and not loaded",
            )
            return MediaRef(text=f.value, file=None, left_out=f"'{f.value}' is not an image file name")
        media = self.options.media_dir
        where = f"{self.options.media_label or media}/" if media else "the media folder"
        if media is None or not (media / name).is_file():
            self.warn(f.line, f"infobox '{f.key}': image '{name}' not found in {where}; no image is shown")
            return MediaRef(text=f.value, file=None, left_out=f"'{name}' is not in the media folder")
        if not (media / name).resolve().is_relative_to(media.resolve()):
            self.warn(
                f.line,
                f"infobox '{f.key}': image '{name}' in {where} links to a file outside the media folder; "
                "it is not loaded",
            )
            return MediaRef(text=f.value, file=None, left_out=f"'{name}' links outside the media folder")
        checked = media_load(media / name)
        if checked.media is None:
            self.warn(f.line, f"infobox '{f.key}': image '{name}' {checked.problem}; it is left out")
            return MediaRef(text=f.value, file=None, left_out=f"'{name}' {checked.problem}")
        if checked.removed:
            self.warn(
                f.line,
                f"infobox '{f.key}': SVG image '{name}' holds active content, taken out of every output: "
                f"{', '.join(checked.removed)}",
            )
        return MediaRef(text=f.value, file=name)

    def native_name(self) -> ScriptText | None:
        """As authored (JSON), else the infobox's native-name field; script and direction from its letters."""
        authored = self.raw.native_name
        value = authored.text if authored else None
        if value is None:
            value = next((f.value for f in self.raw.infobox if fold_key(f.key) in NATIVE_NAME_KEYS and f.value), None)
        if value is None:
            return None
        script = main_script(value)
        lang = "und" if script is None else lang_for(value, script)
        direction = "rtl" if script in RTL_SCRIPTS else "ltr"
        if authored:
            lang, direction = authored.lang or lang, authored.dir or direction
        return ScriptText(text=value, lang=lang, dir=direction)

    # -- every string ------------------------------------------------------------
    def check_invisible(self) -> None:
        """Bidi controls and zero-width characters: they make text read other than it is."""
        for text, line in _strings(self.raw):
            found = suspicious(text)
            if found:
                self.warn(
                    line,
                    f"invisible characters that change how the text reads: {describe(found)}; "
                    "remove them (titles and metadata leave them out, the text shows them isolated)",
                )

    def check_coverage(self) -> None:
        """Every character a record holds must print: one that no font has is an error.

        The verdict comes from the cmaps of the explicit font list (pipeline/assets.py),
        the same fonts the renderer is limited to, so it holds without rendering.
        ``--allow-missing-glyphs`` turns the errors into warnings.
        """
        seen: set[str] = set()
        severity = "warning" if self.options.allow_missing_glyphs else "error"
        for text, line in _strings(self.raw):
            for char in uncovered(text):
                if char in seen:
                    continue
                seen.add(char)
                kind = {"Co": "a private-use character", "Cn": "an unassigned code point"}
                name = unicodedata.name(char, "") or kind.get(unicodedata.category(char), "no name")
                hint = install_hint(char)
                if hint:
                    what = f"{hint}; or build with --allow-missing-glyphs to print it as a box"
                elif severity == "error":
                    what = "it would print as an empty box; replace it, or build with --allow-missing-glyphs"
                else:
                    what = "it prints as an empty box"
                message = f"no font can print U+{ord(char):04X} ({name}); {what}"
                self.diagnostics.append(Diagnostic(self.raw.path, line or 1, severity, message))


def _read_authored(raw: RawRecord) -> None:
    """A JSON record: check its shape against the authored model, then treat it as if read from text.

    The same checks (keys, headings, typed profiles, images, fonts) then apply to
    both ways of writing a record. A field the model does not know is an error that
    names it; nothing authored is dropped without a word.
    """
    try:
        article = AuthoredArticle.model_validate(raw.authored)
    except ValidationError as exc:
        for error in exc.errors():
            raw.diagnostics.append(
                Diagnostic(raw.path, json_line(raw.authored, error["loc"]), "error", _schema_message(error))
            )
        return

    def line(given: int | None, *loc: str | int) -> int:
        return given or json_line(raw.authored, loc)

    raw.title, raw.title_line = article.title, line(article.title_line, "title")
    raw.lang = article.lang
    if article.native_name:
        name = article.native_name
        raw.native_name = RawScriptText(name.text, name.lang, name.dir, line(None, "native_name"))
    if article.infobox:
        raw.infobox_line = line(article.infobox.line, "infobox")
        raw.infobox_template = article.infobox.template
        raw.infobox = [
            RawField(f.key, f.value, line(f.line, "infobox", "fields", i)) for i, f in enumerate(article.infobox.fields)
        ]
    raw.lead = [_raw_block(b, line, ("lead", i)) for i, b in enumerate(article.lead)]
    raw.sections = [
        RawSection(
            s.title,
            s.level,
            line(s.line, "sections", i),
            [_raw_block(b, line, ("sections", i, "blocks", j)) for j, b in enumerate(s.blocks)],
        )
        for i, s in enumerate(article.sections)
    ]
    check_structure(raw)


def _schema_message(error: dict) -> str:
    where = _loc(error["loc"])
    if error["type"] == "extra_forbidden":
        key = str(error["loc"][-1])
        why = WORKED_OUT.get(key, "make-report schema lists the fields a record may hold")
        return f"{where}: '{key}' is not a field of a record ({why}); remove it"
    return f"{where}: {error['msg']}"


def _raw_block(block: Paragraph | ListBlock, line: Callable[..., int], loc: tuple) -> RawBlock:
    """A block of a JSON record, each part with the line it was written on."""
    if isinstance(block, Paragraph):
        return RawParagraph(block.text, line(block.line, *loc))
    return RawList(
        block.ordered,
        line(block.line, *loc),
        [
            RawItem(
                item.text,
                line(item.line, *loc, "items", i),
                item.number,
                [_raw_block(c, line, (*loc, "items", i, "children", j)) for j, c in enumerate(item.children)],
            )
            for i, item in enumerate(block.items)
        ],
    )


def _strings(raw: RawRecord) -> Iterator[tuple[str, int]]:
    if raw.title:
        yield raw.title, raw.title_line
    if raw.native_name:
        yield raw.native_name.text, raw.native_name.line
    for f in raw.infobox:
        yield f"{f.key} {f.key.upper()} {f.value}", f.line  # keys print as upper-case labels
    yield from _block_strings(raw.lead)
    for section in raw.sections:
        yield section.title, section.line
        yield from _block_strings(section.blocks)


def _block_strings(blocks: list[RawBlock]) -> Iterator[tuple[str, int]]:
    for block in blocks:
        if isinstance(block, RawParagraph):
            yield block.text, block.line
        else:
            for item in block.items:
                yield item.text, item.line
                yield from _block_strings(item.children)


def _block(block: RawBlock) -> Paragraph | ListBlock:
    if isinstance(block, RawParagraph):
        return Paragraph(text=block.text, line=block.line)
    return _list(block)


def _list(block: RawList) -> ListBlock:
    return ListBlock(
        ordered=block.ordered,
        line=block.line,
        items=[
            ListItem(text=i.text, line=i.line, number=i.number, children=[_list(c) for c in i.children])
            for i in block.items
        ],
    )


def _loc(loc: tuple) -> str:
    return ".".join(str(part) for part in loc)
