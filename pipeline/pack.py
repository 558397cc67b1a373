"""The briefing pack: lay its parts out apart, number the pages, join them into one tagged PDF.

One WeasyPrint document keeps the layout of every page in memory until it is
written (about 5 MiB a record: 1,000 records did not fit in 1 GiB) and cannot be
shared between processes. So the pack is made of parts, each a small WeasyPrint
document: the chapters a few records at a time and the chronology (in parallel),
then the index of names (it shows the chapters' pages), then the cover and
contents (they show every page) and the page numbers. :func:`join` puts them into
one file with pikepdf: one page tree, one structure tree, one outline, one set of
named destinations, links between parts made internal, and page labels.

Front matter (cover, contents) is numbered i, ii, ... and the body 1 to Y, as in a
book: the body's numbers are known once the body is laid out, whatever the length
of the contents. The body's "Page X of Y" is print.css's ``@bottom-right`` margin
box, laid out once over Y empty pages (the *folios*) and drawn over the joined
pages as an artifact; the parts themselves print no page number
(``css/pack-piece.css``).
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from collections.abc import Callable, Iterable, Sequence
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
#: tens of MiB; each part starts where the page the previous one ended on started.
CONTENTS_ROWS = 150
CHRONOLOGY_ROWS = 400

PIECE_CSS = "css/pack-piece.css"
FRONT_CSS = "css/pack-front.css"
FRONT_FOLIOS_CSS = "css/pack-front-folios.css"


def chapter_groups(views: Sequence[ArticleView]) -> list[list[ArticleView]]:
    """The records of each chapters part, in the pack's order."""
    return [list(views[i : i + CHAPTERS_PER_PART]) for i in range(0, len(views), CHAPTERS_PER_PART)]


def chronology_rows(views: Sequence[ArticleView]) -> int:
    """How many rows the pack's chronology has."""
    return len(combined([(v.slug, v.article.title, v.chronology) for v in views]))


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


@dataclass(frozen=True)
class Body:
    """The laid-out body parts and where each id landed: its body page number (1 = first body page)."""

    parts: list[Piece]
    pages: dict[str, int]

    @property
    def page_count(self) -> int:
        return sum(part.pages for part in self.parts)


def body(parts: Iterable[Piece]) -> Body:
    """Number the body: each part's pages follow the previous part's."""
    parts = list(parts)
    pages: dict[str, int] = {}
    first = 1
    for part in parts:
        for name, index in part.anchors.items():
            pages.setdefault(name, first + index)
        first += part.pages
    return Body(parts, pages)


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
_FOLIO, _OPEN, _STAMP, _PREV = (
    b"/make-report-folio",
    b"/make-report-open",
    b"/make-report-stamp",
    b"/make-report-prev",
)
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
class _Joined:
    """What the join gathers from every part and writes at the end."""

    pages: int  # the Pages object
    tree: int  # StructTreeRoot
    document: int  # the one Document structure element
    outlines: int
    page_numbers: list[int] = field(default_factory=list)
    kids: list[bytes] = field(default_factory=list)  # the Document element's children
    parent_tree: list[tuple[int, bytes]] = field(default_factory=list)
    next_key: int = 0
    dests: dict[bytes, bytes] = field(default_factory=dict)
    outline_first: int | None = None
    outline_last: tuple[int, bytes] | None = None  # written when the next part's first item is known
    outline_count: int = 0


def join(front: Sequence[Piece], body: Sequence[Piece], front_folios: Piece, body_folios: Piece) -> bytes:
    """One PDF: the first front part's catalog (metadata, attachments, language), then every part's pages.

    The parts are read one at a time and their objects written out as they are
    read, renumbered, so memory holds one part, not the whole pack (pikepdf would
    hold every object of the result: about 1 KiB each, 500 a record). Structure
    elements of each part go under one Document element in page order, with
    parent-tree keys moved past those before; destinations and bookmarks follow
    their pages; links made with :data:`PACK_LINK` become internal links to the
    named destination; page ``i`` of the folios is drawn over page ``i`` of the
    front matter and of the body, as an artifact. The same parts give the same bytes.
    """
    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(front[0].data)) as first:
        writer = _Writer(out, str(first.pdf_version))
        joined = _Joined(writer.reserve(), writer.reserve(), writer.reserve(), writer.reserve())
        catalog = writer.reserve()
        forms = []
        for folios in (front_folios, body_folios):
            with pikepdf.open(io.BytesIO(folios.data)) as numbers:
                forms += _write_folios(writer, numbers)
        stamp = b"\nQ\n/Artifact BMC q /MRFolio Do Q EMC\n"
        streams = (writer.reserve(), writer.reserve())
        writer.stream(streams[0], b"<< /Length 2 >>", b"q\n")
        writer.stream(streams[1], b"<< /Length %d >>" % len(stamp), stamp)
        folio = (forms, *streams)
        front_entries, info = _write_part(writer, joined, first, folio, base=True)
    for part in (*front[1:], *body):
        with pikepdf.open(io.BytesIO(part.data)) as source:
            _write_part(writer, joined, source, folio, base=False)
    _write_catalog(writer, joined, catalog, front_entries, sum(part.pages for part in front))
    writer.finish(catalog, info)
    return out.getvalue()


def _write_folios(writer: _Writer, numbers) -> list[int]:
    """Each page of ``numbers`` as a form XObject (with what it uses); their object numbers, page by page."""
    import pikepdf

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
    renumbered = _Renumbered({number: writer.reserve() for number in sorted(reached)})
    for number in sorted(reached):
        _write_object(writer, renumbered.table[number], reached[number], renumbered)
    return [renumbered.table[form.objgen[0]] for form in forms]


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


def _link_outline(writer: _Writer, joined: _Joined, outlines, table: dict[int, int], changed: dict) -> None:
    """Chain this part's top-level bookmarks after the previous parts'.

    The last top-level item of a part is written only once the next part's first
    is known (its ``/Next``), or at the end.
    """
    import pikepdf

    first, last = outlines.First, outlines.Last
    first_number, last_number = table[first.objgen[0]], table[last.objgen[0]]
    if joined.outline_last is None:
        joined.outline_first = first_number
    else:
        number, body = joined.outline_last
        writer.put(number, body[: body.rindex(b">>")] + b" /Next %d 0 R >>" % first_number)
        first.Prev = pikepdf.Name(_PREV.decode())
        changed[first.objgen[0]] = {_PREV: b"%d 0 R" % number}
    joined.outline_count += int(outlines.get("/Count", 0))
    body = _Renumbered(table)(last.unparse(resolved=True))
    for stand_in, reference in changed.get(last.objgen[0], {}).items():
        body = body.replace(stand_in, reference)
    joined.outline_last = (last_number, body)
    changed[last.objgen[0]] = None  # written later


def _write_part(
    writer: _Writer, joined: _Joined, source, folio: tuple, base: bool
) -> tuple[dict[str, bytes], int | None]:
    """Every object of one part, renumbered, and what the catalog needs from it.

    ``folio`` holds the form XObjects of the page numbers (one a page of the
    joined file) and the two content streams around them; ``base`` is the part
    whose catalog the joined file keeps. Returns the front's catalog entries
    (metadata, language, attachments...) and its document information.
    """
    import pikepdf

    root = source.Root
    tree = root.StructTreeRoot
    document = tree.K[0]
    special = {root.Pages.objgen[0]: joined.pages, tree.objgen[0]: joined.tree, document.objgen[0]: joined.document}
    outlines = root.get("/Outlines")
    if outlines is not None and outlines.is_indirect:
        special[outlines.objgen[0]] = joined.outlines
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
    offset = joined.next_key
    changed: dict[int, dict[bytes, bytes] | None] = {}  # object -> stand-ins to fill in (None: written later)
    for page in source.pages:
        page = page.obj
        joined.page_numbers.append(table[page.objgen[0]])
        if "/StructParents" in page:
            page.StructParents = int(page.StructParents) + offset
        for annotation in page.get("/Annots", []):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset
            _internal_link(annotation)
        forms, open_stream, stamp_stream = folio  # this page's number, drawn over it
        xobjects = pikepdf.Dictionary({key: value for key, value in page.Resources.get("/XObject", {}).items()})
        xobjects.MRFolio = pikepdf.Name(_FOLIO.decode())
        resources = pikepdf.Dictionary({key: value for key, value in page.Resources.items()})
        resources.XObject = xobjects
        page.Resources = resources
        page.Contents = pikepdf.Array([pikepdf.Name(_OPEN.decode()), page.Contents, pikepdf.Name(_STAMP.decode())])
        changed[page.objgen[0]] = {
            _FOLIO: b"%d 0 R" % forms[len(joined.page_numbers) - 1],
            _OPEN: b"%d 0 R" % open_stream,
            _STAMP: b"%d 0 R" % stamp_stream,
        }
    for kid in document.K:
        joined.kids.append(renumbered(kid.unparse()))
    nums = _numbers(tree.ParentTree.Nums)
    joined.parent_tree += [(key + offset, renumbered(value.unparse())) for key, value in nums]
    joined.next_key = offset + max((key for key, _ in nums), default=-1) + 1
    if names is not None and "/Dests" in names:
        for name, dest in _names(names.Dests.Names):
            joined.dests.setdefault(name, renumbered(dest.unparse()))  # the first of a name wins
    if outlines is not None and "/First" in outlines:
        _link_outline(writer, joined, outlines, table, changed)
    for obj in objects:
        number = obj.objgen[0]
        if number in table and number not in special and changed.get(number, {}) is not None:
            _write_object(writer, table[number], obj, renumbered, changed.get(number))
    entries: dict[str, bytes] = {}
    if base:
        for key, value in root.items():
            if key not in ("/Type", "/Pages", "/StructTreeRoot", "/Outlines", "/Names", "/PageLabels"):
                entries[key] = renumbered(value.unparse())
        if names is not None:
            for key, value in names.items():
                if key != "/Dests":
                    entries["/Names" + key] = renumbered(value.unparse())
    info = source.trailer.get("/Info")
    return entries, (table.get(info.objgen[0]) if info is not None and info.is_indirect else None)


def _write_catalog(writer: _Writer, joined: _Joined, catalog: int, entries: dict[str, bytes], front_pages: int) -> None:
    """The objects made for the joined file: page tree, structure tree root, trees, outline root, catalog."""
    import pikepdf

    kids = b" ".join(b"%d 0 R" % number for number in joined.page_numbers)
    writer.put(joined.pages, b"<< /Type /Pages /Kids [ %s ] /Count %d >>" % (kids, len(joined.page_numbers)))
    writer.put(
        joined.document,
        b"<< /Type /StructElem /S /Document /P %d 0 R /K [ %s ] >>" % (joined.tree, b" ".join(joined.kids)),
    )
    parent_tree = _tree(writer, b"/Nums", sorted(joined.parent_tree), lambda key: b"%d" % key)
    writer.put(
        joined.tree,
        b"<< /Type /StructTreeRoot /K [ %d 0 R ] /ParentTree %d 0 R /ParentTreeNextKey %d >>"
        % (joined.document, parent_tree, joined.next_key),
    )
    if joined.outline_last is not None:
        writer.put(*joined.outline_last)
        writer.put(
            joined.outlines,
            b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
            % (joined.outline_first, joined.outline_last[0], joined.outline_count),
        )
    else:
        writer.put(joined.outlines, b"<< /Type /Outlines /Count 0 >>")
    dests = _tree(writer, b"/Names", sorted(joined.dests.items()), lambda name: pikepdf.String(name).unparse())
    names = b" ".join(
        b"%s %s" % (key[len("/Names") :].encode(), value)
        for key, value in sorted(entries.items())
        if key.startswith("/Names/")
    )
    labels = b"<< /Nums [ 0 << /S /r >> %d << /S /D >> ] >>" % front_pages
    own = {
        "/Type": b"/Catalog",
        "/Pages": b"%d 0 R" % joined.pages,
        "/StructTreeRoot": b"%d 0 R" % joined.tree,
        "/Outlines": b"%d 0 R" % joined.outlines,
        "/Names": b"<< /Dests %d 0 R %s >>" % (dests, names),
        "/PageLabels": labels,
    }
    own |= {key: value for key, value in entries.items() if not key.startswith("/Names/")}
    writer.put(catalog, b"<< %s >>" % b" ".join(b"%s %s" % (key.encode(), own[key]) for key in sorted(own)))


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
