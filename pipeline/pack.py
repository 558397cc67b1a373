"""The briefing pack, laid out in pieces and put together: flat memory, chapters in parallel.

One WeasyPrint document of a thousand chapters holds every page's layout at once
(about 5 MiB a record). Instead each chapter is laid out alone, in the worker
processes like the fact sheets, without its "Page X of Y". With every chapter's
page count known, the cover and contents are laid out with their page numbers
written in, then one page per pack page holding only "Page X of Y" in the usual
margin box. pikepdf joins the pages, stamps the numbers on, points the contents'
links (named destinations) at the chapters and rebuilds the bookmarks.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Piece:
    """One laid-out part of the pack: its PDF, its page count and the page index of each element id."""

    data: bytes
    pages: int
    anchors: dict[str, int] = field(default_factory=dict)


def page_numbers(chapters: Iterable[Piece], front_pages: int) -> dict[str, int]:
    """The pack page (from 1) of every anchor in the chapters, after ``front_pages`` pages of cover and contents."""
    numbers: dict[str, int] = {}
    first = front_pages + 1
    for chapter in chapters:
        for name, index in chapter.anchors.items():
            numbers.setdefault(name, first + index)
        first += chapter.pages
    return numbers


def assemble(front: bytes, chapters: list[Piece], numbers: bytes) -> bytes:
    """The pack: ``front`` (with its metadata), then the chapters; page numbers stamped from ``numbers``."""
    import pikepdf

    sources = []
    try:
        pack = pikepdf.open(io.BytesIO(front))
        sources.append(pack)
        with pack.open_outline() as outline:
            destinations: dict[str, tuple[int, list]] = {}
            for chapter in chapters:
                source = pikepdf.open(io.BytesIO(chapter.data))
                sources.append(source)
                offset = len(pack.pages)
                where = {page.objgen: offset + i for i, page in enumerate(source.pages)}
                pack.pages.extend(source.pages)
                if "/Names" in source.Root and "/Dests" in source.Root.Names:
                    for name, target in pikepdf.NameTree(source.Root.Names.Dests).items():
                        destinations[name] = (where[target[0].objgen], list(target[1:]))
                with source.open_outline() as chapter_outline:
                    outline.root.extend(_copy_outline(item, where) for item in chapter_outline.root)
        if destinations:
            tree = pikepdf.NameTree.new(pack)
            if "/Names" in pack.Root and "/Dests" in pack.Root.Names:
                for name, target in pikepdf.NameTree(pack.Root.Names.Dests).items():
                    tree[name] = target
            for name, (index, location) in destinations.items():
                tree[name] = pikepdf.Array([pack.pages[index].obj, *location])
            if "/Names" not in pack.Root:
                pack.Root.Names = pikepdf.Dictionary()
            pack.Root.Names.Dests = tree.obj
        stamps = pikepdf.open(io.BytesIO(numbers))
        sources.append(stamps)
        if len(stamps.pages) != len(pack.pages):
            raise ValueError(f"{len(stamps.pages)} page numbers for {len(pack.pages)} pages")
        for number, (page, stamp) in enumerate(zip(pack.pages, stamps.pages, strict=True), start=1):
            _stamp(page, stamp, number)
        buffer = io.BytesIO()
        pack.save(buffer, deterministic_id=True)
        return buffer.getvalue()
    finally:
        for source in reversed(sources):
            source.close()


def _copy_outline(item, where: dict[tuple[int, int], int]):
    """A chapter's bookmark, pointing at the same place among the pack's pages."""
    import pikepdf

    target = item.destination
    if isinstance(target, pikepdf.Array) and len(target) >= 4 and target[0].objgen in where:
        copy = pikepdf.OutlineItem(
            str(item.title), where[target[0].objgen], "XYZ", left=float(target[2]), top=float(target[3])
        )
    else:
        copy = pikepdf.OutlineItem(str(item.title))
    copy.children.extend(_copy_outline(child, where) for child in item.children)
    return copy


def _stamp(page, stamp, number: int) -> None:
    """Draw ``stamp`` (a page of the same size) over ``page``, as pikepdf's add_overlay does.

    add_overlay picks a random resource name, and the pack must be reproducible;
    the name holds the page number because pages of one piece share their resources.
    """
    import pikepdf

    formx = stamp.as_form_xobject()
    name = page.add_resource(formx, pikepdf.Name.XObject, name=pikepdf.Name(f"/MRPageNumber{number}"))
    placement = page.calc_form_xobject_placement(formx, name, pikepdf.Rectangle(page.trimbox))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n", prepend=False)
    page.contents_add(placement, prepend=False)
    page.contents_coalesce()
