"""The briefing pack: lay its parts out apart, number the pages, join them into one tagged PDF.

One WeasyPrint document keeps the layout of every page in memory until it is
written (about 5 MiB a record: 1,000 records did not fit in 1 GiB) and cannot be
shared between processes. So the pack is made of parts, each a small WeasyPrint
document, laid out in the workers: the chapters a few records at a time, the
chronology, the index of names (it shows the chapters' pages) and the cover and
contents (they show the pages of everything). :class:`Numbering` numbers the body
as its parts come in, so the contents are laid out beside the chapters, each part
as soon as the chapters it lists are numbered; :class:`Joiner` puts the parts into
one file with pikepdf as they come: one page tree, one structure tree, one
outline, one set of named destinations, links between parts made internal, and
page labels.

Front matter (cover, contents) is numbered i, ii, ... and the body 1 to Y, as in a
book: the body's numbers are known once the body is laid out, whatever the length
of the contents. The body's "Page X of Y" is print.css's ``@bottom-right`` margin
box, laid out over Y empty pages that each say their number (the *folios*,
``css/pack-folios.css``) and drawn over the joined pages as an artifact; the parts
themselves print no page number (``css/pack-piece.css``)."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import unquote

from pipeline.chronology import combined
from pipeline.context import ArticleView
from pipeline.render import PACK_LINK, Piece

#: Records per chapters part. Fixed, so the parts (and so the bytes: each part has its
#: own font subsets) do not depend on the number of workers; small, so a part's layout
#: stays a few tens of MiB and the parts spread over the workers.
CHAPTERS_PER_PART = 8

#: Contents entries (records) and chronology rows per part at most: a part's layout stays a few
#: tens of MiB; each part starts where the page the previous one ended on started. Contents
#: parts are small (about ten pages), so the last, which waits for the whole body, is short.
CONTENTS_ROWS = 60
CHRONOLOGY_ROWS = 400

PIECE_CSS = "css/pack-piece.css"
FRONT_CSS = "css/pack-front.css"
FOLIOS_CSS = "css/pack-folios.css"

#: Folios (page numbers) per part: laying out empty pages costs more per page the more there
#: are in one document (2,500 took 12 s and 290 MiB; 250 take 0.65 s), and the parts spread
#: over the workers.
FOLIO_PAGES = 250


def chapter_groups(views: Sequence[ArticleView]) -> list[list[ArticleView]]:
    """The records of each chapters part, in the pack's order."""
    return [list(views[i : i + CHAPTERS_PER_PART]) for i in range(0, len(views), CHAPTERS_PER_PART)]


def folio_runs(pages: int) -> list[tuple[int, int]]:
    """The page numbers of each folios part: (first, last), from 1 to ``pages``."""
    return [(first, min(first + FOLIO_PAGES - 1, pages)) for first in range(1, pages + 1, FOLIO_PAGES)]


def timeline(views: Sequence[ArticleView]) -> list:
    """The pack's chronology: every dated event of ``views``, in order (its parts show runs of it)."""
    return combined([(v.slug, v.article.title, v.chronology) for v in views])


def flowing(lay_out: Callable[[tuple[int, int], bool], Piece], total: int, most: int) -> list[Piece]:
    """``total`` rows laid out in parts of at most ``most`` rows that continue each other.

    ``lay_out((start, end), flow)`` lays out one part; with ``flow`` (more rows
    follow) it leaves out its pages from the last that starts with a whole row, and
    the next part starts with that row, so no page is left half empty between parts.
    A part that has no such page (its rows fit on one page) is laid out again with
    twice the rows.
    """
    parts: list[Piece] = []
    start = 0
    while start < total or not parts:
        size = most
        while True:
            end = min(start + size, total)
            piece = lay_out((start, end), end < total)
            if piece.carry is not None or end >= total:
                break
            size *= 2
        parts.append(piece)
        start = piece.carry if piece.carry is not None else end
    return parts


class Numbering:
    """The body page each id starts on (1 = the first body page), as the body's parts are laid out in order.

    The main thread adds the parts; the thread laying out the contents waits here
    until the chapters of the records it lists are numbered (:meth:`wait`), so the
    contents are laid out while later chapters still are.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.pages: dict[str, int] = {}
        self.next_page = 1
        self.records = 0  # records whose chapters are numbered
        self.complete = False  # every id the contents show is numbered
        self.failed = False

    @property
    def page_count(self) -> int:
        return self.next_page - 1

    def add(self, piece: Piece, records: int = 0) -> None:
        """The next part of the body (holding ``records`` chapters): its ids are on the pages after those before."""
        with self._changed:
            for name, index in piece.anchors.items():
                self.pages.setdefault(name, self.next_page + index)
            self.next_page += piece.pages
            self.records += records
            self._changed.notify_all()

    def expect(self, name: str) -> None:
        """The next part starts with ``name`` (the index of names): numbered before it is laid out."""
        with self._changed:
            self.pages.setdefault(name, self.next_page)

    def finish(self, failed: bool = False) -> None:
        """Every id the contents show is numbered (or the pack failed: waiting threads give up)."""
        with self._changed:
            self.complete, self.failed = True, failed
            self._changed.notify_all()

    def wait(self, records: int | None) -> dict[str, int]:
        """The pages once the chapters of the first ``records`` records are numbered (None: once complete)."""
        with self._changed:
            self._changed.wait_for(lambda: self.complete or (records is not None and self.records >= records))
            if self.failed:
                raise RuntimeError("the briefing pack was abandoned")
            return dict(self.pages)


def _numbers(array) -> list[tuple[int, object]]:
    """A flat number tree (``/Nums``: key, value, key, value...) as (key, value) pairs."""
    items = list(array)
    return [(int(items[i]), items[i + 1]) for i in range(0, len(items), 2)]


def _names(array) -> list[tuple[bytes, object]]:
    """A flat name tree (``/Names``) as (name, value) pairs."""
    items = list(array)
    return [(bytes(items[i]), items[i + 1]) for i in range(0, len(items), 2)]


# -- the join, streamed ---------------------------------------------------------------
#: An indirect reference in unparsed PDF, outside strings (QPDF escapes every parenthesis in a literal string).
_TOKEN = re.compile(rb"\((?:\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>|(\d+) (\d+) R")
#: Stand-ins written into a part's objects before they are unparsed, replaced by references after.
_FOLIO, _OPEN, _STAMP = b"/make-report-folio", b"/make-report-open", b"/make-report-stamp"
#: Objects per object stream.
_PACKED = 200
#: Entries per leaf of the parent tree and the destination name tree (viewers look up by halving).
_LEAF = 256


class _Writer:
    """Writes numbered objects to a file as they come, and the cross-reference stream at the end.

    Objects other than streams go into compressed object streams of :data:`_PACKED`
    (PDF 1.5): the structure tree is most of a pack's objects, and small.
    """

    def __init__(self, out: BinaryIO, version: str):
        self.out = out
        self.where: list[tuple[int, int, int]] = [(0, 0, 65535)]  # cross-reference entries: type, field 2, field 3
        self.batch: list[tuple[int, bytes]] = []
        self.digest = hashlib.md5(usedforsecurity=False)
        self._put(b"%%PDF-%s\n%%\xb5\xb6\xb7\xb8\n" % version.encode())

    def _put(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)

    def reserve(self) -> int:
        self.where.append((-1, 0, 0))
        return len(self.where) - 1

    def put(self, number: int, body: bytes) -> None:
        """Object ``number`` (not a stream): packed with others into an object stream."""
        self.batch.append((number, body))
        if len(self.batch) == _PACKED:
            self._pack()

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.put(number, body)
        return number

    def stream(self, number: int, dictionary: bytes, data: bytes) -> None:
        """Stream object ``number``: ``dictionary`` (with the right /Length) and the data as stored."""
        self.where[number] = (1, self.out.tell(), 0)
        self._put(b"%d 0 obj\n%s\nstream\n%s\nendstream\nendobj\n" % (number, dictionary, data))

    def _pack(self) -> None:
        if not self.batch:
            return
        number = self.reserve()
        header, bodies, offset = [], [], 0
        for index, (member, body) in enumerate(self.batch):
            header.append(b"%d %d" % (member, offset))
            bodies.append(body)
            offset += len(body) + 1
            self.where[member] = (2, number, index)
        first = b" ".join(header) + b"\n"
        data = zlib.compress(first + b"\n".join(bodies) + b"\n")
        self.batch = []
        dictionary = b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>"
        self.stream(number, dictionary % (len(header), len(first), len(data)), data)

    def finish(self, root: int, info: int | None) -> None:
        """The cross-reference stream (with the trailer's entries; the file's ID is a digest of its bytes)."""
        self._pack()
        number = self.reserve()
        self.where[number] = (1, self.out.tell(), 0)
        missing = [n for n, (kind, _, _) in enumerate(self.where) if kind < 0]
        assert not missing, f"objects reserved and never written: {missing[:5]}"
        table = zlib.compress(b"".join(struct.pack(">BIH", *entry) for entry in self.where))
        ident = b"<%s>" % self.digest.hexdigest().encode()
        info_entry = b" /Info %d 0 R" % info if info else b""
        start = self.out.tell()
        self._put(
            b"%d 0 obj\n<< /Type /XRef /Size %d /W [ 1 4 2 ] /Root %d 0 R%s /ID [ %s %s ] /Filter /FlateDecode"
            b" /Length %d >>\nstream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
            % (number, len(self.where), root, info_entry, ident, ident, len(table), table, start)
        )


class _Renumbered:
    """Rewrites one part's references to the objects' numbers in the joined file (a missing one: null)."""

    def __init__(self, table: dict[int, int]):
        self.table = table

    def __call__(self, data: bytes) -> bytes:
        def sub(match: re.Match) -> bytes:
            if match.group(1) is None:
                return match.group(0)
            number = self.table.get(int(match.group(1)))
            return b"null" if number is None else b"%d 0 R" % number

        return _TOKEN.sub(sub, data)


@dataclass
class _Outline:
    """A part's first and last top-level bookmarks, written once the parts around it are known."""

    first: int
    first_body: bytes
    last: int
    last_body: bytes
    count: int


@dataclass
class _Section:
    """What the join gathers from the parts of the front matter or of the body, in order."""

    pages: list[int] = field(default_factory=list)  # the joined file's page objects
    kids: list[bytes] = field(default_factory=list)  # children of the Document structure element
    dests: list[tuple[bytes, bytes]] = field(default_factory=list)
    outlines: list[_Outline] = field(default_factory=list)


class Joiner:
    """Joins the parts of the pack into one PDF as they are laid out: front matter first, body after.

    The parts are read one at a time and their objects written out as they are
    read, renumbered, so memory holds one part, not the whole pack (pikepdf would
    hold every object of the result: about 1 KiB each, 500 a record). Body parts can
    be added while the front matter is still being laid out: the page tree, the
    structure tree, the bookmarks and the destinations are put in reading order by
    :meth:`finish`. Structure elements of each part go under one Document element,
    with parent-tree keys moved past those before; destinations and bookmarks
    follow their pages; links made with :data:`PACK_LINK` become internal links to
    the named destination; page ``i`` of a section's folios is drawn over page
    ``i`` of that section, as an artifact. The same parts added in the same order
    give the same bytes.
    """

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.writer: _Writer | None = None
        self.sections = {"front": _Section(), "body": _Section()}
        self.parent_tree: list[tuple[int, bytes]] = []
        self.next_key = 0
        self.entries: dict[str, bytes] = {}  # the catalog's entries from the base part
        self.info: int | None = None
        self.folio_forms: dict[tuple[str, int], int] = {}  # (section, page index) -> its page number's form

    def _start(self, version: str) -> None:
        writer = self.writer = _Writer(self.out, version)
        self.pages, self.tree, self.document, self.outlines, self.catalog = (writer.reserve() for _ in range(5))
        stamp = b"\nQ\n/Artifact BMC q /MRFolio Do Q EMC\n"
        self.streams = (writer.reserve(), writer.reserve())
        writer.stream(self.streams[0], b"<< /Length 2 >>", b"q\n")
        writer.stream(self.streams[1], b"<< /Length %d >>" % len(stamp), stamp)

    def _folio(self, section: str, index: int) -> int:
        """The object number of the form that draws page ``index``'s number (written by :meth:`add_folios`)."""
        key = (section, index)
        if key not in self.folio_forms:
            self.folio_forms[key] = self.writer.reserve()
        return self.folio_forms[key]

    def add(self, section: str, piece: Piece, base: bool = False) -> None:
        """The next part of ``section`` ("front" or "body"); the ``base`` part gives the catalog and metadata."""
        import pikepdf

        with pikepdf.open(io.BytesIO(piece.data)) as source:
            if self.writer is None:
                self._start(str(source.pdf_version))
            self._write_part(source, section, base)

    def add_folios(self, section: str, piece: Piece, first: int = 0) -> None:
        """Page numbers of ``section``: page ``i`` of ``piece`` as a form XObject drawn over page ``first + i``."""
        import pikepdf

        with pikepdf.open(io.BytesIO(piece.data)) as numbers:
            forms = [numbers.make_indirect(page.as_form_xobject()) for page in numbers.pages]
            reached: dict[int, object] = {}
            pending = list(forms)
            while pending:
                item = pending.pop()
                if isinstance(item, pikepdf.Object) and item.is_indirect:
                    if item.objgen[0] in reached:
                        continue
                    reached[item.objgen[0]] = item
                if isinstance(item, pikepdf.Stream):
                    pending.extend(item.stream_dict.values())
                elif isinstance(item, pikepdf.Dictionary):
                    pending.extend(item.values())
                elif isinstance(item, pikepdf.Array):
                    pending.extend(item)
            table = {form.objgen[0]: self._folio(section, first + index) for index, form in enumerate(forms)}
            for number in sorted(reached):
                if number not in table:
                    table[number] = self.writer.reserve()
            renumbered = _Renumbered(table)
            for number in sorted(reached):
                _write_object(self.writer, table[number], reached[number], renumbered)

    def _write_part(self, source, section: str, base: bool) -> None:
        """Every object of one part, renumbered, and what the catalog and the trees need from it."""
        import pikepdf

        writer, gathered = self.writer, self.sections[section]

        root = source.Root
        tree = root.StructTreeRoot
        document = tree.K[0]
        special = {root.Pages.objgen[0]: self.pages, tree.objgen[0]: self.tree, document.objgen[0]: self.document}
        outlines = root.get("/Outlines")
        if outlines is not None and outlines.is_indirect:
            special[outlines.objgen[0]] = self.outlines
        names = root.get("/Names")
        dropped = {root.objgen[0], *_indirect(tree.get("/ParentTree")), *_indirect(names)}
        if names is not None:
            dropped |= _indirect(names.get("/Dests"))
        if not base:  # its metadata and information are the base part's
            dropped |= {*_indirect(root.get("/Metadata")), *_indirect(source.trailer.get("/Info"))}
        objects = [
            o for o in source.objects if not (isinstance(o, pikepdf.Stream) and o.get("/Type") in ("/ObjStm", "/XRef"))
        ]
        table = dict(special)
        for obj in objects:
            number = obj.objgen[0]
            if number not in special and number not in dropped:
                table[number] = writer.reserve()
        renumbered = _Renumbered(table)
        offset = self.next_key
        changed: dict[int, dict[bytes, bytes] | None] = {}  # object -> stand-ins to fill in (None: written later)
        open_stream, stamp_stream = self.streams
        for page in source.pages:
            page = page.obj
            gathered.pages.append(table[page.objgen[0]])
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + offset
            for annotation in page.get("/Annots", []):
                if "/StructParent" in annotation:
                    annotation.StructParent = int(annotation.StructParent) + offset
                _internal_link(annotation)
            xobjects = pikepdf.Dictionary({key: value for key, value in page.Resources.get("/XObject", {}).items()})
            xobjects.MRFolio = pikepdf.Name(_FOLIO.decode())
            resources = pikepdf.Dictionary({key: value for key, value in page.Resources.items()})
            resources.XObject = xobjects
            page.Resources = resources
            page.Contents = pikepdf.Array([pikepdf.Name(_OPEN.decode()), page.Contents, pikepdf.Name(_STAMP.decode())])
            changed[page.objgen[0]] = {  # this page's number, drawn over it
                _FOLIO: b"%d 0 R" % self._folio(section, len(gathered.pages) - 1),
                _OPEN: b"%d 0 R" % open_stream,
                _STAMP: b"%d 0 R" % stamp_stream,
            }
        for kid in document.K:
            gathered.kids.append(renumbered(kid.unparse()))
        nums = _numbers(tree.ParentTree.Nums)
        self.parent_tree += [(key + offset, renumbered(value.unparse())) for key, value in nums]
        self.next_key = offset + max((key for key, _ in nums), default=-1) + 1
        if names is not None and "/Dests" in names:
            gathered.dests += [(name, renumbered(dest.unparse())) for name, dest in _names(names.Dests.Names)]
        if outlines is not None and "/First" in outlines:
            first, last = outlines.First, outlines.Last
            gathered.outlines.append(
                _Outline(
                    table[first.objgen[0]],
                    renumbered(first.unparse(resolved=True)),
                    table[last.objgen[0]],
                    renumbered(last.unparse(resolved=True)),
                    int(outlines.get("/Count", 0)),
                )
            )
            changed[first.objgen[0]] = changed[last.objgen[0]] = None  # linked to the other parts' by finish()
        for obj in objects:
            number = obj.objgen[0]
            if number in table and number not in special and changed.get(number, {}) is not None:
                _write_object(writer, table[number], obj, renumbered, changed.get(number))
        if base:
            for key, value in root.items():
                if key not in ("/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names", "/PageLabels"):
                    self.entries[key] = renumbered(value.unparse())
            if names is not None:
                for key, value in names.items():
                    if key != "/Dests":
                        self.entries["/Names" + key] = renumbered(value.unparse())
            info = source.trailer.get("/Info")
            self.info = table.get(info.objgen[0]) if info is not None and info.is_indirect else None

    def finish(self) -> bytes:
        """The objects made for the joined file (page tree, trees, outline, catalog) and the file's bytes."""
        import pikepdf

        writer, front, body = self.writer, self.sections["front"], self.sections["body"]
        pages = front.pages + body.pages
        kids = b" ".join(b"%d 0 R" % number for number in pages)
        writer.put(self.pages, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (kids, len(pages)))
        writer.put(
            self.document,
            b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>"
            % (self.tree, b" ".join(front.kids + body.kids)),
        )
        parent_tree = _tree(writer, b"/Nums", sorted(self.parent_tree), lambda key: b"%d" % key)
        writer.put(
            self.tree,
            b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R /ParentTreeNextKey %d >>"
            % (self.document, parent_tree, self.next_key),
        )
        self._write_outline(front.outlines + body.outlines)
        dests: dict[bytes, bytes] = {}
        for name, dest in front.dests + body.dests:
            dests.setdefault(name, dest)  # the first of a name wins
        dests_tree = _tree(writer, b"/Names", sorted(dests.items()), lambda name: pikepdf.String(name).unparse())
        names = b" ".join(
            b"%s %s" % (key[len("/Names") :].encode(), value)
            for key, value in sorted(self.entries.items())
            if key.startswith("/Names/")
        )
        own = {
            "/Type": b"/Catalog",
            "/Pages": b"%d 0 R" % self.pages,
            "/StructTreeRoot": b"%d 0 R" % self.tree,
            "/Outlines": b"%d 0 R" % self.outlines,
            "/Names": b"<< /Dests %d 0 R %s >>" % (dests_tree, names),
            "/PageLabels": b"<< /Nums [ 0 << /S /r >> %d << /S /D >> ] >>" % len(front.pages),
        }
        own |= {key: value for key, value in self.entries.items() if not key.startswith("/Names/")}
        writer.put(self.catalog, b"<< %s >>" % b" ".join(b"%s %s" % (key.encode(), own[key]) for key in sorted(own)))
        writer.finish(self.catalog, self.info)
        return self.out.getvalue()

    def _write_outline(self, parts: list[_Outline]) -> None:
        """Chain the parts' top-level bookmarks in reading order, and the outline's root."""

        def linked(body: bytes, **links: int | None) -> bytes:
            extra = b"".join(b" /%s %d 0 R" % (key.title().encode(), n) for key, n in links.items() if n is not None)
            return body[: body.rindex(b">>")] + extra + b" >>"

        for index, part in enumerate(parts):
            before = parts[index - 1].last if index else None
            after = parts[index + 1].first if index + 1 < len(parts) else None
            if part.first == part.last:
                self.writer.put(part.first, linked(part.first_body, prev=before, next=after))
            else:
                self.writer.put(part.first, linked(part.first_body, prev=before))
                self.writer.put(part.last, linked(part.last_body, next=after))
        if parts:
            count = sum(part.count for part in parts)
            self.writer.put(
                self.outlines,
                b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (parts[0].first, parts[-1].last, count),
            )
        else:
            self.writer.put(self.outlines, b"<< /Type /Outlines /Count 0 >>")


def _write_object(writer: _Writer, number: int, obj, renumbered: _Renumbered, stand_ins: dict | None = None) -> None:
    """One object of a part under its new number; ``stand_ins`` (placeholder -> reference) are filled in after."""
    import pikepdf

    if isinstance(obj, pikepdf.Stream):
        data = obj.read_raw_bytes()
        dictionary = pikepdf.Dictionary({key: value for key, value in obj.stream_dict.items()})
        dictionary.Length = len(data)
        writer.stream(number, renumbered(dictionary.unparse()), data)
        return
    body = renumbered(obj.unparse(resolved=True))
    for stand_in, reference in (stand_ins or {}).items():
        body = body.replace(stand_in, reference)
    writer.put(number, body)


def _indirect(obj) -> set[int]:
    """The object number of ``obj`` if it is an indirect object, else nothing."""
    return {obj.objgen[0]} if obj is not None and obj.is_indirect else set()


def _internal_link(annotation) -> None:
    """A link to another part (a :data:`PACK_LINK` URI) becomes a link to the named destination."""
    import pikepdf

    action = annotation.get("/A")
    if action is None or action.get("/S") != "/URI":
        return
    uri = str(action.URI)
    if uri.startswith(PACK_LINK):
        target = pikepdf.String(unquote(uri[len(PACK_LINK) :]))
        del annotation["/A"]
        annotation.Dest = target
        annotation.Contents = target


def _tree(writer: _Writer, kind: bytes, items: list[tuple], key_bytes: Callable[[object], bytes]) -> int:
    """A number tree (``/Nums``) or name tree (``/Names``) of sorted ``items``, in leaves of :data:`_LEAF`."""

    def flat(chunk: list[tuple]) -> bytes:
        return b" ".join(b"%s %s" % (key_bytes(key), value) for key, value in chunk)

    if len(items) <= _LEAF:
        return writer.add(b"<< %s [ %s ] >>" % (kind, flat(items)))
    leaves = []
    for start in range(0, len(items), _LEAF):
        chunk = items[start : start + _LEAF]
        limits = b"%s %s" % (key_bytes(chunk[0][0]), key_bytes(chunk[-1][0]))
        leaves.append(writer.add(b"<< /Limits [ %s ] %s [ %s ] >>" % (limits, kind, flat(chunk))))
    return writer.add(b"<< /Kids [ %s ] >>" % b" ".join(b"%d 0 R" % leaf for leaf in leaves))
