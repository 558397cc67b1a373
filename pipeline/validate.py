"""Stage 2: parsed record -> validated :class:`schemas.Article`, plus warnings.

Structure errors come from the reader; this stage adds what needs meaning: typed
infobox values that do not parse, a logo that cannot be found, characters the
bundled fonts cannot show. Those are warnings (the source text is still shown as
written); ``--strict`` turns them into errors in :func:`pipeline.build.check`.
"""

from __future__ import annotations

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
from schemas.infobox import MAX_FAMILY_DIGITS, MediaRef, fold_key, split_family
from schemas.profiles import Profile, choose, parsers

NATIVE_NAME_KEYS = ("nativename", "nativenamea", "commonnativename", "nativename1")


@dataclass(frozen=True)
class Options:
    """What validation depends on beyond the record itself."""

    source_name: str | None = None  # how outputs name the source (messages use the path as given)
    media_dir: Path | None = None
    media_label: str | None = None  # how messages name the media folder
    require_complete: bool = False  # the completeness report's findings are errors, not info
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

    def warn(self, line: int | None, message: str, code: str) -> None:
        self.diagnostics.append(Diagnostic(self.raw.path, line or 1, "warning", message, code=code))

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
                    code="MR021",
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
                    Diagnostic(raw.path, raw.title_line, "error", f"{_loc(error['loc'])}: {error['msg']}", code="MR111")
                )
            return None

    # -- infobox --------------------------------------------------------------
    def infobox(self) -> Infobox:
        """The fields as written, read by the record's profile: typed values, the logo, what is missing."""
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
                    code="MR034",
                )
        template = raw.infobox_template
        profile = choose(template, [f.key for f in fields])
        typed, problems = profile.parse(fields)
        shown = profile.image_field(fields)
        for f, problem in problems:
            if f is not shown:  # the logo's own check below says it, with the media folder
                self.warn(f.line, f"infobox '{f.key}': {problem}", code="MR035")
        self.completeness(profile, fields)
        return Infobox(
            template=template,
            profile=profile.name if profile.typed else None,
            line=raw.infobox_line,
            fields=fields,
            image=self.logo(shown) if shown else None,
            typed=typed.model_dump(mode="json") if typed is not None else None,
        )

    def completeness(self, profile: Profile, fields: list[InfoboxField]) -> None:
        """The completeness report: the fields the profile expects that the record lacks (info, or errors)."""
        missing = profile.missing(fields)
        if not missing:
            return
        article = "an" if profile.name[:1] in "aeiou" else "a"
        message = (
            f"{article} {profile.name} record usually has {', '.join(profile.expected)}: "
            f"this one lacks {', '.join(missing)}"
        )
        if self.options.require_complete:
            message += "; add them, or leave out --require-complete"
        severity = "error" if self.options.require_complete else "info"
        self.diagnostics.append(Diagnostic(self.raw.path, self.raw.infobox_line or 1, severity, message, code="MR036"))

    def logo(self, f: InfoboxField) -> MediaRef:
        named, problem = parsers.file(f.value)
        name = named.name or ""
        if problem or Path(name).suffix.casefold() not in MEDIA_SUFFIXES:
            self.warn(
                f.line,
                f"infobox '{f.key}': '{f.value}' is not an image file name ('File:Name.png') in the "
                "media folder; it is shown as text and not loaded",
                code="MR070",
            )
            return MediaRef(text=f.value, file=None, left_out=f"'{f.value}' is not an image file name")
        media = self.options.media_dir
        where = f"{self.options.media_label or media}/" if media else "the media folder"
        if media is None or not (media / name).is_file():
            self.warn(
                f.line, f"infobox '{f.key}': image '{name}' not found in {where}; no image is shown", code="MR071"
            )
            return MediaRef(text=f.value, file=None, left_out=f"'{name}' is not in the media folder")
        if not (media / name).resolve().is_relative_to(media.resolve()):
            self.warn(
                f.line,
                f"infobox '{f.key}': image '{name}' in {where} links to a file outside the media folder; "
                "it is not loaded",
                code="MR072",
            )
            return MediaRef(text=f.value, file=None, left_out=f"'{name}' links outside the media folder")
        checked = media_load(media / name)
        if checked.media is None:
            self.warn(f.line, f"infobox '{f.key}': image '{name}' {checked.problem}; it is left out", code="MR073")
            return MediaRef(text=f.value, file=None, left_out=f"'{name}' {checked.problem}")
        if checked.removed:
            self.warn(
                f.line,
                f"infobox '{f.key}': SVG image '{name}' holds active content, taken out of every output: "
                f"{', '.join(checked.removed)}",
                code="MR074",
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
                    code="MR080",
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
                self.diagnostics.append(Diagnostic(self.raw.path, line or 1, severity, message, code="MR081"))


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
                Diagnostic(
                    raw.path, json_line(raw.authored, error["loc"]), "error", _schema_message(error), code="MR015"
                )
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
