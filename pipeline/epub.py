"""The handbook packaged as EPUB 3, byte for byte the same for the same inputs.

The zip is written by hand with :mod:`zipfile` because reproducibility needs
control of every entry: ``mimetype`` first and stored, fixed timestamps and
permissions, entries in a fixed order.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime

from pipeline.handbook import Handbook
from pipeline.render import BuildInfo

MEDIA_TYPES = {
    ".xhtml": "application/xhtml+xml",
    ".css": "text/css",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
}


@dataclass
class Item:
    id: str
    href: str
    media_type: str
    properties: str | None = None
    spine: bool = False


def _items(handbook: Handbook, files: dict[str, bytes]) -> list[Item]:
    chapters = {chapter.href for chapter in handbook.chapters} | set(handbook.extra)
    items = []
    for href in files:
        suffix = href[href.rfind(".") :].lower()
        if suffix not in MEDIA_TYPES:
            continue  # e.g. the font licence text: kept in handbook/, not a publication resource
        item_id = re.sub(r"[^A-Za-z0-9_-]", "-", href)
        item_id = item_id if item_id[0].isalpha() else f"i-{item_id}"
        properties = "nav" if href == "nav.xhtml" else None
        spine = href == "index.xhtml" or href in chapters
        items.append(Item(item_id, href, MEDIA_TYPES[suffix], properties, spine))
    spine = ["index.xhtml", *(c.href for c in handbook.chapters), *handbook.extra]
    order = {href: i for i, href in enumerate(spine)}
    return sorted(items, key=lambda item: (not item.spine, order.get(item.href, 0), item.href))


def identifier(handbook: Handbook, build: BuildInfo) -> str:
    """Stable for the same records and title, different when they change."""
    parts = [build.title] + [c.view.article.provenance.sha256 + c.view.slug for c in handbook.chapters]
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'make-report:' + '|'.join(parts))}"


def package(handbook: Handbook, build: BuildInfo, files: dict[str, bytes] | None = None) -> bytes:
    """The EPUB of ``files`` (by default every file of the handbook, made here)."""
    files = handbook.files() if files is None else files
    items = _items(handbook, files)
    # each distinct credit once, in a fixed order; the template words it
    credits = sorted(
        {
            (c.view.credit.title, c.view.credit.attribution or "", c.view.credit.licence or ""): c.view.credit
            for c in handbook.chapters
            if c.view.credit.attribution or c.view.credit.licence
        }.items()
    )
    opf = handbook.renderer.render(
        "epub/content.opf.j2",
        items=items,
        identifier=identifier(handbook, build),
        credits=[credit for _, credit in credits],
        image_types=[kind for kind in MEDIA_TYPES.values() if kind.startswith("image/")],
    )
    container = (handbook.renderer.templates / "epub" / "container.xml").read_bytes()
    moment = datetime.fromisoformat(build.timestamp.replace("Z", "+00:00"))
    stamp = max(
        (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second), (1980, 1, 1, 0, 0, 0)
    )

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:

        def add(name: str, data: bytes, compress: bool = True) -> None:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, data, compresslevel=9 if compress else None)

        add("mimetype", b"application/epub+zip", compress=False)
        add("META-INF/container.xml", container)
        add("OEBPS/content.opf", opf.encode("utf-8"))
        for item in items:
            add(f"OEBPS/{item.href}", files[item.href])
    return buffer.getvalue()
