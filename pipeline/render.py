"""Stage 3: validated articles -> HTML (Jinja, autoescaped) -> PDF (WeasyPrint).

A :class:`Renderer` loads templates, stylesheets and fonts once and renders many
records. It shows the views of :mod:`pipeline.context`; the templates decide how they
look and word them.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from jinja2 import Environment, StrictUndefined, TemplateError

from pipeline import __version__
from pipeline.assets import FACES, font_files, templates_dir
from pipeline.bidi import needs_isolation, plain
from pipeline.context import ArticleView, article_view
from pipeline.diagnostics import shown
from pipeline.errors import ConfigurationError
from pipeline.names import name_index
from pipeline.scripts import direction, runs
from pipeline.theme import Theme, problem
from schemas import Article

PAPER_SIZES = {"a4": "A4", "letter": "letter"}


#: The last second of year 9999: dates past it have no ISO 8601 form.
MAX_EPOCH = 253402300799


class EpochError(ConfigurationError):
    """SOURCE_DATE_EPOCH is set to something that is not a usable date."""


def build_moment() -> datetime:
    """The build's date: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now.

    The one place the variable is read. Only ASCII digits count: ``str.isdigit``
    and ``int`` also take ``²`` and Arabic-Indic digits, which no tool that sets
    the variable writes.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return datetime.now(UTC).replace(microsecond=0)
    digits = epoch.lstrip("0") or "0"
    if not re.fullmatch(r"[0-9]+", epoch) or len(digits) > len(str(MAX_EPOCH)) or int(digits) > MAX_EPOCH:
        raise EpochError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 (ASCII digits, "
            f"at most {MAX_EPOCH}, the end of year 9999), got {shown(repr(epoch))}"
        )
    return datetime.fromtimestamp(int(digits), UTC)


@dataclass(frozen=True)
class BuildInfo:
    """What every output of one build shares: its date, marking and paper."""

    date: str
    timestamp: str
    marking: str | None = None
    paper: str = "a4"
    title: str = "Briefing handbook"
    version: str = __version__
    chronology: bool = True  # a "Chronology" table per record and across records
    archival: bool = False  # PDF/A-3a on top of PDF/UA-1
    theme: Theme = field(default_factory=Theme)  # the project's theme folder and extra stylesheets (docs/theming.md)

    @classmethod
    def create(
        cls,
        marking: str | None = None,
        paper: str = "a4",
        title: str = "Briefing handbook",
        archival: bool = False,
        chronology: bool = True,
        theme: Theme | None = None,
    ) -> BuildInfo:
        """Dates come from SOURCE_DATE_EPOCH when set, so builds are reproducible."""
        moment = build_moment()
        return cls(
            date=moment.date().isoformat(),
            timestamp=moment.isoformat().replace("+00:00", "Z"),
            marking=marking or None,
            paper=paper,
            title=title,
            chronology=chronology,
            archival=archival,
            theme=theme or Theme(),
        )


class Renderer:
    """Loads templates, stylesheets and fonts once; renders any number of records."""

    def __init__(self, build: BuildInfo, media_dirs: list[Path] = ()):
        self.build = build
        self.templates = templates_dir()
        self.media_dirs = [Path(m).resolve() for m in media_dirs]
        self.theme = build.theme
        self.env = Environment(
            loader=self.theme.loader(self.templates),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.globals.update(runs=runs, direction=direction, isolate=needs_isolation)
        self.env.filters["plain"] = plain
        self.env.filters["roman"] = roman
        self._weasy: dict = {}  # extra stylesheet -> (font configuration, stylesheets)
        self._fonts = None
        self._fetcher = None
        logo = self.theme.logo
        self.theme_logo = (self.theme.folder / logo[0]).resolve().as_uri() if logo else None  # served checked
        self._check_theme()

    def _check_theme(self) -> None:
        """Compile the theme's templates now: a syntax error stops the build before anything is written."""
        if self.theme.folder is None:
            return
        for name in self.env.loader.loaders[0].list_templates():
            if name.endswith(".j2"):
                try:
                    self.env.get_template(name)
                except TemplateError as exc:
                    raise problem(exc, sys.exc_info()[2], self.template_roots) from None

    @property
    def template_roots(self) -> list[Path]:
        """Where templates come from: the theme folder (if any), then the bundled templates."""
        return [*([self.theme.folder] if self.theme.folder else []), self.templates]

    @property
    def fetcher(self):
        """The SafeFetcher, made on first use: importing WeasyPrint costs 0.3 s that validate never needs."""
        if self._fetcher is None:
            from pipeline.fetch import SafeFetcher

            self._fetcher = SafeFetcher([self.templates, *self.media_dirs], theme=self.theme.folder)
        return self._fetcher

    def view(self, article: Article, slug: str, media_dir: Path | None = None) -> ArticleView:
        """The view of ``article`` for this build (with its chronology unless the build leaves it out)."""
        return article_view(article, slug, media_dir, chronology=self.build.chronology)

    def render(self, template: str, **context) -> str:
        """One template with the build and the given context; a template error as :class:`TemplateProblem`."""
        context.setdefault("theme_logo", self.theme_logo)
        try:
            return self.env.get_template(template).render(build=self.build, **context)
        except TemplateError as exc:
            raise problem(exc, sys.exc_info()[2], self.template_roots) from None

    def factsheet_html(self, view: ArticleView) -> str:
        return self.render("factsheet.html.j2", view=view)

    def pack_html(
        self,
        part: str,
        views: list[ArticleView],
        count: int,
        pages: dict[str, int] | None = None,
        rows: tuple[int, int] | None = None,
        timeline: list | None = None,
    ) -> str | None:
        """One part of the briefing pack (``pack.html.j2``) showing ``views``, of ``count`` records in all.

        ``pages`` gives the body page of each id the contents and the index of names
        show. Links between records go through :data:`PACK_LINK`; :mod:`pipeline.pack`
        makes them internal when it joins the parts. ``rows`` (start, end) picks the
        run of contents entries or of ``timeline`` (the chronology's rows,
        :func:`pipeline.pack.timeline`) the part shows. None for an index of names
        without names.
        """
        start, end = rows or (0, None)
        context: dict = {"part": part, "count": count, "pages": pages or {}, "link": PACK_LINK, "start": start}
        context["end"] = count if end is None else end
        if part == "chronology":
            context["timeline"] = timeline
        if part == "names":
            context["names"] = name_index([(v.slug, v.article) for v in views])
            if not context["names"]:
                return None
        views = [v.placed(xref=(PACK_LINK, ""), shared=True) for v in views]  # ids carry the slugs
        return self.render("pack.html.j2", views=views, **context)

    def folios_html(self, first: int, last: int, total: int, roman: bool = False) -> str:
        """Empty pages numbered ``first`` to ``last`` (of ``total``; ``roman``: the front matter's numbers).

        Only the page numbers print (``css/pack-folios.css``); :mod:`pipeline.pack`
        draws them over the pages of the joined pack.
        """
        return self.render(
            "pack.html.j2", part="folios", first=first, last=last, total=total, roman=roman, views=[], count=0, start=0
        )

    # -- PDF ---------------------------------------------------------------------
    def _weasyprint(self, extra: str | None = None):
        """WeasyPrint's font configuration and the stylesheets (print.css, ``extra``, the theme's), made once."""
        if extra in self._weasy:
            return self._weasy[extra]
        _isolate_fontconfig()
        _tag_structure_attributes()
        _lay_out_leaders_in_one_run()
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        if not self._weasy:
            self._fonts = FontConfiguration()
        fonts = self._fonts

        def sheet(name: str) -> CSS:
            return CSS(filename=str(self.theme.file(self.templates, name)), url_fetcher=self.fetcher, font_config=fonts)

        paper = CSS(string=f"@page {{ size: {PAPER_SIZES[self.build.paper]}; }}", font_config=fonts)
        sheets = [sheet("css/print.css"), paper]
        if self.build.marking:
            sheets.append(sheet("css/marking.css"))
        if extra:
            sheets.append(sheet(extra))
        sheets += [  # the theme's css/theme.css, then --extra-css: after the bundled rules, so they win
            CSS(filename=str(path), url_fetcher=self.fetcher, font_config=fonts) for path in self.theme.appended_css()
        ]
        self._weasy[extra] = (fonts, sheets)
        return self._weasy[extra]

    def _document(self, html: str, extra: str | None = None):
        """The laid-out WeasyPrint document of ``html`` (print.css, then ``extra``, then the theme's)."""
        from weasyprint import HTML

        fonts, stylesheets = self._weasyprint(extra)
        return HTML(
            string=html,
            base_url=self.templates.as_uri() + "/",
            url_fetcher=self.fetcher,
        ).render(stylesheets=stylesheets, font_config=fonts)

    def pdf(self, html: str, attachments: Sequence[Embedded] = ()) -> tuple[bytes, int, list[str]]:
        """Render HTML to a tagged (PDF/UA-1) PDF, PDF/A-3a when archival, carrying ``attachments``.

        Returns the bytes, the page count and refused URLs.
        """
        document = self._document(html)
        return self._write(document, attachments), len(document.pages), self.fetcher.take_refused()

    def _write(self, document, attachments: Sequence[Embedded]) -> bytes:
        """The tagged PDF of a laid-out document, with our metadata and ``attachments``."""
        from weasyprint import VERSION, Attachment

        moment = datetime.fromisoformat(self.build.timestamp)
        files = [
            Attachment(
                string=item.data,
                name=item.name,
                description=item.description,
                relationship=item.relationship,
                created=moment,
                modified=moment,
            )
            for item in attachments
        ]
        variant = "pdf/a-3a" if self.build.archival else "pdf/ua-1"

        def finish(document, pdf) -> None:
            _artifact_margin_content(pdf)
            _associate_files(pdf, files)
            xmp = self.render(
                "pdf/xmp.xml.j2",
                meta=document.metadata,
                rights=document.metadata.custom.get("dcterms.rights"),
                producer=f"WeasyPrint {VERSION}",
                pdfa_part=3 if self.build.archival else None,
                pdfa_conformance="A",
                bom="\ufeff",
            )
            _set_metadata(pdf, xmp.encode("utf-8"))

        return document.write_pdf(pdf_variant=variant, attachments=files, finisher=finish)

    def piece(
        self,
        html: str,
        extra: str | None,
        tagged: bool = True,
        attachments: Sequence[Embedded] | None = None,
        flow_from: int | None = None,
    ) -> Piece:
        """A part of a larger PDF (:mod:`pipeline.pack` joins them): its pages, structure and anchors.

        Tagged parts carry their structure tree; an untagged one (the folios) is only
        drawn. The part given ``attachments`` is the one whose metadata, XMP and
        attached files the joined file keeps (:meth:`pdf`). With ``flow_from`` (the
        first of the numbered rows, ``data-row``, this part shows) the part is cut at
        its last page boundary between two rows (:func:`_row_boundary`), and
        ``Piece.carry`` says which row the next part starts with: a long table or list
        runs on over the joined pages.
        """
        document = self._document(html, extra)
        carry = None
        if flow_from is not None:
            cut = _row_boundary(document.pages, flow_from)
            if cut is not None:
                kept, carry = cut
                document = document.copy(document.pages[:kept])
        anchors: dict[str, int] = {}
        for number, page in enumerate(document.pages):
            for name in page.anchors:  # a box split over pages is an anchor on each: the first page counts
                anchors.setdefault(name, number)
        if attachments is not None:
            data = self._write(document, attachments)
        elif tagged:
            data = document.write_pdf(
                pdf_variant="pdf/ua-1", finisher=lambda document, pdf: _artifact_margin_content(pdf)
            )
        else:
            data = document.write_pdf()
        return Piece(data, len(document.pages), anchors, self.fetcher.take_refused(), carry)


def _row_boundary(pages, first: int) -> tuple[int, int] | None:
    """Where a part that more rows follow is cut: (pages kept, the first row of the first page left out).

    The last page that starts with a whole row (no row runs onto it from the page
    before) after ``first``: the pages before it are final, and the next part starts
    with that row at the top of a fresh page, where it would have been. None when
    no page but the first starts with a whole row (the part fits on one page).
    """

    def rows(page) -> set[int]:
        return {
            int(box.element.get("data-row"))
            for box in page._page_box.descendants()
            if getattr(box, "element", None) is not None and box.element.get("data-row") is not None
        }

    found = [rows(page) for page in pages]
    for index in range(len(pages) - 1, 0, -1):
        here, before = found[index], found[index - 1]
        if here and min(here) not in before and min(here) > first:
            return index, min(here)
    return None


def roman(number: int) -> str:
    """``number`` (1 to 3999) in lower-case roman numerals, as the front matter of a book is numbered."""
    digits = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc")]
    digits += [(50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    written = []
    for value, letters in digits:
        count, number = divmod(number, value)
        written.append(letters * count)
    return "".join(written)


#: Links from one part of the briefing pack to another start with this (an id follows);
#: WeasyPrint keeps them as URIs and :mod:`pipeline.pack` turns them into internal links.
PACK_LINK = "x-make-report-pack:"


@dataclass(frozen=True)
class Piece:
    """One part of a PDF laid out on its own: bytes, page count, the page index of each id, refused URLs."""

    data: bytes
    pages: int
    anchors: dict[str, int]
    refused: list[str]
    carry: int | None = None  # the row the next part starts with (``flow_from``)


@dataclass(frozen=True)
class Embedded:
    """A file a PDF carries (a PDF/A-3 associated file): a source record or its provenance."""

    name: str
    data: bytes
    relationship: str  # "Source" for a record, "Data" for the provenance JSON
    description: str


#: The name of the provenance attachment every PDF carries; ``verify`` reads it.
PROVENANCE_NAME = "make-report-provenance.json"


def provenance_attachments(sources: Sequence[tuple[Article, bytes]], build: BuildInfo) -> list[Embedded]:
    """The source records' bytes (``/Source``) and one JSON describing them (``/Data``).

    The JSON is the manifest's view of each record: path, sha256, licence,
    attribution, and the generator and build date, plus the attachment that
    holds its bytes. Two records with one file name get distinct names.
    """
    files: list[Embedded] = []
    records = []
    taken: set[str] = set()
    for article, data in sources:
        provenance = article.provenance
        stem, dot, suffix = PurePosixPath(provenance.path).name.rpartition(".")
        name, n = PurePosixPath(provenance.path).name, 1
        while name in taken or name == PROVENANCE_NAME:
            n += 1
            name = f"{stem} ({n}){dot}{suffix}" if dot else f"{suffix} ({n})"
        taken.add(name)
        files.append(Embedded(name, data, "Source", f"Source record {provenance.path}"))
        records.append(
            {
                "path": provenance.path,
                "sha256": provenance.sha256,
                "licence": provenance.licence,
                "attribution": provenance.attribution,
                "attachment": name,
            }
        )
    entry = {"generator": f"make-report {build.version}", "build": {"date": build.timestamp}, "records": records}
    text = json.dumps(entry, indent=2, ensure_ascii=False) + "\n"
    files.append(Embedded(PROVENANCE_NAME, text.encode("utf-8"), "Data", "Provenance: the source records, hashed"))
    return files


# -- What WeasyPrint 70 leaves to us in a tagged PDF ---------------------------------


def _tag_structure_attributes() -> None:
    """Carry two HTML attributes into the structure tree when WeasyPrint tags.

    WeasyPrint 70 writes the document language only, and no ``/Scope`` on header
    cells. PDF/UA wants every passage in another language (a native name, a
    Cyrillic run) to say so, and a row header to say it heads a row. Its tag
    builder is one recursive function, so a wrapper sees each box with the
    structure elements made for it. Installed once a process (as
    :func:`_lay_out_leaders_in_one_run`): put in and taken out around each
    document, it raced between the threads of a Dask worker.
    """
    import pydyf
    from weasyprint.formatting_structure import boxes
    from weasyprint.pdf import tags

    original = tags._build_box_tree
    if getattr(original, "make_report", False):
        return
    scopes = {"row": "/Row", "col": "/Column"}

    def build(box, *args, **kwargs):
        elements = original(box, *args, **kwargs)
        element = getattr(box, "element", None)
        if element is None or isinstance(box, boxes.PageBox) or box.element_tag in ("html", "body"):
            yield from elements
            return
        lang, scope = element.get("lang"), scopes.get(element.get("scope", ""))
        for made in elements:
            if lang and "Lang" not in made:
                made["Lang"] = pydyf.String(lang)
            if scope and made.get("S") == "/TH" and "A" in made:
                made["A"]["Scope"] = scope
            yield made

    build.make_report = True
    tags._build_box_tree = build


def _lay_out_leaders_in_one_run() -> None:
    """Lay out a dot leader (``leader(".")``, the pack's contents) as one run of dots, not one box a dot.

    WeasyPrint 70 fills a leader with a copy of its text box for every dot, each
    drawn as text on its own: 90 boxes a contents line, most of the time of a long
    contents (6.5 s of 6.9 s for 100 records). The copies sit side by side, one
    dot's advance apart, so one box holding as many dots, where the leftmost copy
    was, draws the same dots in one text run.

    Installed once a process, not around each document: a worker with several
    threads (Dask) lays out documents side by side, and every one must get it.
    """
    from math import inf

    from weasyprint.layout import inline, leader

    original = inline.handle_leader
    if getattr(original, "make_report", False):
        return

    def handle_leader(context, line, containing_block):
        original(context, line, containing_block)
        _, box = leader.leader_index(line)
        if box is None or len(box.children) < 2:
            return
        copies = box.children
        unit = copies[0]
        merged, _, _ = inline.split_text_box(context, unit.copy_with_text(unit.text * len(copies)), inf, 0)
        if merged is None:
            return
        merged.position_x = min(copy.position_x for copy in copies)
        merged.position_y = unit.position_y
        box.children = (merged,)

    handle_leader.make_report = True
    inline.handle_leader = handle_leader


def _objects(pdf, reference) -> object:
    return pdf.objects[int(reference.split()[0])]


def _artifact_margin_content(pdf) -> None:
    """Mark the running header, footer and marking as artifacts (PDF/UA-1 7.8).

    WeasyPrint 70 tags the text of margin boxes and leaves its structure elements
    outside the tree (PDF 1.7 has no artifact element). Content that no element
    of the tree reaches becomes an ``/Artifact`` marked-content sequence, and its
    entry in the parent tree is emptied.
    """
    root = pdf.catalog.get("StructTreeRoot")
    if root is None:
        return
    root = _objects(pdf, root)
    reached: set[int] = set()
    pending = list(root["K"])
    while pending:
        kid = pending.pop()
        if isinstance(kid, bytes) and kid.endswith(b" R"):
            number = int(kid.split()[0])
            if number not in reached:
                reached.add(number)
                element = pdf.objects[number]
                if isinstance(element, dict) and "K" in element:
                    pending.extend(element["K"])
    nums = _objects(pdf, root["ParentTree"])["Nums"]
    for page_number, page in enumerate(pdf.pages["Kids"][::3]):  # Kids: number, 0, R
        mapping = nums[2 * page_number + 1]
        orphans = {mcid for mcid, ref in enumerate(mapping) if int(ref.split()[0]) not in reached}
        if not orphans:
            continue
        stream = _objects(pdf, pdf.objects[page]["Contents"])
        ops = stream.stream
        for i in range(len(ops) - 2):
            props = ops[i + 1]
            if ops[i + 2] == b"BDC" and isinstance(props, dict) and props.get("MCID") in orphans:
                ops[i : i + 3] = ["/Artifact", b"", b"BMC"]
        for mcid in orphans:
            mapping[mcid] = "null"


def _associate_files(pdf, files) -> None:
    """Every embedded file is an associated file of the document, once, with its relationship.

    WeasyPrint 70 sets ``/AF`` and ``/AFRelationship`` for PDF/A-3 only, and lists
    each file twice in ``/AF``; a tagged PDF that is not archival gets the same,
    so ``verify`` reads both alike. Files are told apart by their checksum, as
    WeasyPrint does.
    """
    import pydyf

    relationships = {f"<{file.md5}>": file.relationship for file in files if file.md5}
    specs = [obj for obj in pdf.objects if isinstance(obj, dict) and obj.get("Type") == "/Filespec"]
    if not specs:
        return
    for spec in specs:
        checksum = _objects(pdf, spec["EF"]["F"]).extra["Params"]["CheckSum"]
        spec["AFRelationship"] = f"/{relationships.get(checksum, 'Unspecified')}"
    pdf.catalog["AF"] = pydyf.Array([spec.reference for spec in specs])


def _set_metadata(pdf, xmp: bytes) -> None:
    """Replace the XMP packet WeasyPrint wrote with ours (one packet, both identifications)."""
    metadata = _objects(pdf, pdf.catalog["Metadata"])
    metadata.stream = [xmp]


_FONTCONFIG: str | None = None


def _isolate_fontconfig() -> None:
    """Point fontconfig at the explicit font list only: no other font can slip into a PDF.

    The generated configuration lists a folder of links to exactly the files of
    :data:`~pipeline.assets.FACES` (bundled, and the system CJK font at its fixed path)
    and gives each face its CSS family name (``MR Serif``, ``MR Georgian``...), as an
    ``@font-face`` rule would. Fallback for a character the named fonts lack then stays
    among these fonts, and two machines with the same set-up give the same bytes.
    """
    global _FONTCONFIG
    if _FONTCONFIG is None:
        folder = Path(tempfile.mkdtemp(prefix="make-report-fontconfig-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        links = folder / "fonts"
        links.mkdir()
        rules = []
        for number, path in enumerate(font_files()):
            link = links / f"{number:02d}-{path.name}"
            link.symlink_to(path)
            for face in (f for f in FACES if f.path == path):
                rules.append(
                    f'<match target="scan"><test name="file"><string>{escape(str(link))}</string></test>'
                    f'<test name="index"><int>{face.index}</int></test>'
                    f'<edit name="family" mode="prepend"><string>{escape(face.family)}</string></edit></match>'
                )
        config = folder / "fonts.conf"
        config.write_text(
            '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
            f"<fontconfig><dir>{escape(str(links))}</dir>\n" + "\n".join(rules) + "\n</fontconfig>\n",
            encoding="utf-8",
        )
        _FONTCONFIG = str(config)
    os.environ["FONTCONFIG_FILE"] = _FONTCONFIG
