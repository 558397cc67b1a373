"""The context stage, between validate and render: a validated article -> the typed views templates show.

:func:`article_view` turns a resolved
:class:`schemas.Article` (with its slug, media folder, chronology and cross-links)
into an :class:`ArticleView` whose parts are ready for a template and hold no
markup and no English words: the key-facts panel (rows of label and value parts),
the outline (each section's id, worked out here and nowhere else), the credit,
the logo and the native name. The templates decide how each part looks and word
it; every output (fact sheet, pack, handbook chapter, single file) reads the same
view and says only how it places and links the record (:meth:`ArticleView.placed`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.bidi import plain
from pipeline.chronology import Event, events
from pipeline.crosslinks import RecordLinks, link
from pipeline.media import Media
from pipeline.media import load as load_media
from schemas import Article, Infobox, InfoboxField, ScriptText, Section, fold_key, profile_for, split_family

# -- the key-facts panel -----------------------------------------------------------


@dataclass
class Note:
    """Another field of a numbered entry (``Person1Title`` beside ``Person1Name``)."""

    label: str
    text: str
    field: InfoboxField | None = None  # the source field, for its cross-links


@dataclass
class PanelValue:
    """One value of a row, as written, with the other fields of its numbered entry."""

    text: str  # the source text; empty when the record gives the key no value
    notes: list[Note] = field(default_factory=list)
    field: InfoboxField | None = None  # the source field, for its cross-links


@dataclass
class PanelRow:
    """One row of the key-facts panel: a field, or a numbered family as one row."""

    label: str  # from the profile (schemas.infobox), or made readable from the key
    keys: list[str]  # every source key the row shows, as written
    values: list[PanelValue]


def panel_rows(infobox: Infobox | None) -> list[PanelRow]:
    """Key-facts rows: numbered families as one row, in the order the record's profile ranks them."""
    if infobox is None:
        return []
    profile = profile_for(infobox)
    rows: dict[str, PanelRow] = {}
    groups = {group.family.casefold(): group for group in infobox.groups}
    for f in infobox.fields:
        parts = profile.split(f.key)
        if parts is None:
            rows[fold_key(f.key)] = PanelRow(profile.label(f.key), [f.key], [PanelValue(f.value, field=f)])
            continue
        family = parts[0].casefold()
        if f"{family}*" in rows:
            continue
        group = groups[family]
        values = []
        for entry in group.entries:
            main = next(
                (e for e in entry.fields if split_family(e.key)[2].casefold() in ("", "name")),
                entry.fields[0],
            )
            notes = [Note(profile.entry_label(e.key), e.value, e) for e in entry.fields if e is not main]
            values.append(PanelValue(main.value, notes, main))
        keys = [e.key for entry in group.entries for e in entry.fields]
        rows[f"{family}*"] = PanelRow(profile.family_label(group.family), keys, values)
    ordered = sorted(enumerate(rows), key=lambda pair: (profile.rank(pair[1]), pair[0]))
    return [rows[key] for _, key in ordered]


def keywords(article: Article) -> list[str]:
    """Words for the PDF's keywords: what a search finds, so never an invisible control."""
    words = [article.title]
    infobox = article.infobox
    if infobox:
        if infobox.profile or infobox.template:
            words.append(infobox.profile or infobox.template)
        profile = profile_for(infobox)
        for f in infobox.fields:
            if profile.is_keyword(f.key) and f.value:
                words.append(f.value)
    return list(dict.fromkeys(plain(w) for w in words))


# -- the outline ---------------------------------------------------------------------


@dataclass
class OutlineNode:
    """A section in the outline: its heading's id, and the sections nested under it.

    The same node gives a heading its ``id`` and the handbook nav, the pack's
    contents and the PDF bookmarks their target, so they cannot disagree.
    """

    id: str  # the heading's id in the output the view is placed in
    number: int  # 1-based position among the record's sections
    section: Section
    children: list[OutlineNode] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.section.title

    @property
    def level(self) -> int:
        return self.section.level


def section_id(number: int) -> str:
    """The id of a record's ``number``-th section (1-based) within the record: ``s3``."""
    return f"s{number}"


# -- credit, logo --------------------------------------------------------------------


@dataclass(frozen=True)
class CreditView:
    """Where a record's text comes from, in parts: each output words and arranges them."""

    title: str  # the record credited
    path: str  # the source file, as the manifest names it
    sha256: str
    attribution: str | None = None  # who wrote the text, and where
    licence: str | None = None

    @property
    def source(self) -> str:
        """What a running source line names: the attribution, else the file; never an invisible control."""
        return plain(self.attribution or self.path)


def credit(article: Article) -> CreditView:
    """The article's provenance as a credit."""
    p = article.provenance
    return CreditView(article.title, p.path, p.sha256, p.attribution, p.licence)


@dataclass(frozen=True)
class Logo:
    """The record's logo as an output uses it, or why a logo the record names is left out."""

    path: Path | None = None  # the file, inside a media folder
    src: str | None = None  # how this output refers to it (a file URI, a path in the handbook, a data URI)
    media: Media | None = None  # the checked bytes every output uses (a sanitised SVG)
    name: str = ""  # whose logo it is, for the alternative text the templates word
    left_out: str | None = None  # why a logo the record names is not shown (a message, as validate words it)


def logo(article: Article, media_dir: Path | None) -> Logo:
    """The checked logo of the article's infobox image, served from inside ``media_dir`` only."""
    image = article.infobox.image if article.infobox else None
    path = (media_dir / image.file).resolve() if image and image.file and media_dir else None
    if path and path.is_relative_to(media_dir.resolve()) and path.is_file():  # never a link out of media/
        checked = load_media(path)
        if checked.media is not None:
            # served by SafeFetcher, which serves the same checked bytes
            return Logo(path=path, src=path.as_uri(), media=checked.media, name=plain(article.title))
        return Logo(left_out=f"'{image.file}' {checked.problem}")
    if image and image.left_out:
        return Logo(left_out=image.left_out)
    return Logo()


# -- the article view ----------------------------------------------------------------


@dataclass
class ArticleView:
    """An article as the templates see it, placed in one output."""

    article: Article
    slug: str
    panel: list[PanelRow]
    keywords: list[str]
    credit: CreditView
    logo: Logo = field(default_factory=Logo)
    chronology: list[Event] = field(default_factory=list)  # dated events, sorted; empty with --no-chronology
    links: RecordLinks | None = None  # names of other records of the build, and who names this one
    xref: tuple[str, str] | None = None  # how this output links a record: prefix + slug + suffix; None: no links
    shared: bool = False  # the output holds several records in one document (pack, single file): ids carry the slug

    @property
    def native_name(self) -> ScriptText | None:
        return self.article.native_name

    def anchor(self, name: str) -> str:
        """The id of a part of this record (``s3``, ``chronology``) in the output the view is placed in."""
        return f"{self.slug}-{name}" if self.shared else name

    @property
    def record_id(self) -> str:
        """The id of the element that holds the whole record."""
        return self.slug if self.shared else "top"

    @property
    def keyfacts_id(self) -> str:
        """The key-facts heading's id: it names the slug in every output, so it is unique in any of them."""
        return f"{self.slug}-keyfacts"

    @property
    def chronology_id(self) -> str:
        return self.anchor("chronology")

    @property
    def sections(self) -> list[OutlineNode]:
        """Every section in source order, each with the id its heading carries."""
        return [
            OutlineNode(self.anchor(section_id(number)), number, section)
            for number, section in enumerate(self.article.sections, start=1)
        ]

    @property
    def outline(self) -> list[OutlineNode]:
        """The sections nested by level; a skipped level nests under the nearest shallower one."""
        root: list[OutlineNode] = []
        stack: list[OutlineNode] = []
        for node in self.sections:
            while stack and stack[-1].level >= node.level:
                stack.pop()
            (stack[-1].children if stack else root).append(node)
            stack.append(node)
        return root

    def placed(self, xref: tuple[str, str] | None, shared: bool = False, logo_src: str | None = None) -> ArticleView:
        """This view as one output shows it: how it links records, whether ids carry the slug, where its logo is."""
        logo = dataclasses.replace(self.logo, src=logo_src) if logo_src is not None else self.logo
        return dataclasses.replace(self, xref=xref, shared=shared, logo=logo)


def article_view(article: Article, slug: str, media_dir: Path | None = None, chronology: bool = True) -> ArticleView:
    """The view of one validated article; ``chronology=False`` leaves its dated events out."""
    return ArticleView(
        article=article,
        slug=slug,
        panel=panel_rows(article.infobox),
        keywords=keywords(article),
        credit=credit(article),
        logo=logo(article, media_dir),
        chronology=events(article) if chronology else [],
    )


def with_links(views: list[ArticleView]) -> list[ArticleView]:
    """The views with their cross-links to each other (one matcher over all records' names)."""
    found = link([(view.slug, view.article) for view in views])
    return [dataclasses.replace(view, links=found[view.slug]) for view in views]
