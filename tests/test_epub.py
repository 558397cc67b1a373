"""epub.py on its own: which files become publication resources, their ids, the spine, the zip layout."""

from __future__ import annotations

import zipfile
from pathlib import Path
from types import SimpleNamespace

from lxml import etree

from pipeline.epub import _items

OPF = "{http://www.idpf.org/2007/opf}"


def test_items_ids_media_types_and_spine_order():
    handbook = SimpleNamespace(
        chapters=[SimpleNamespace(href="zeta.xhtml"), SimpleNamespace(href="alpha.xhtml")],
        extra=["chronology.xhtml"],
    )
    files = dict.fromkeys(
        [
            "alpha.xhtml",
            "css/handbook.css",
            "fonts/OFL.txt",
            "fonts/NotoSans-Regular.ttf",
            "media/1 logo.PNG",
            "nav.xhtml",
            "chronology.xhtml",
            "index.xhtml",
            "zeta.xhtml",
        ],
        b"",
    )
    items = _items(handbook, files)
    assert [i.href for i in items if i.spine] == ["index.xhtml", "zeta.xhtml", "alpha.xhtml", "chronology.xhtml"]
    by_href = {i.href: i for i in items}
    assert "fonts/OFL.txt" not in by_href  # kept in handbook/, not a publication resource
    assert by_href["nav.xhtml"].properties == "nav" and not by_href["nav.xhtml"].spine
    assert by_href["media/1 logo.PNG"].media_type == "image/png"
    assert by_href["fonts/NotoSans-Regular.ttf"].media_type == "font/ttf"
    ids = [i.id for i in items]
    assert len(set(ids)) == len(ids)
    assert all(i[0].isalpha() and all(c.isalnum() or c in "_-" for c in i) for i in ids), ids


def test_built_epub_lists_every_resource_once(built: Path):
    with zipfile.ZipFile(built / "handbook.epub") as archive:
        infos = archive.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"
        opf = etree.fromstring(archive.read("OEBPS/content.opf"))
        names = {info.filename for info in infos}
        assert len({info.date_time for info in infos}) == 1  # one timestamp for every entry
    items = {item.get("id"): item.get("href") for item in opf.iter(f"{OPF}item")}
    assert {f"OEBPS/{href}" for href in items.values()} == names - {
        "mimetype",
        "META-INF/container.xml",
        "OEBPS/content.opf",
    }
    spine = [ref.get("idref") for ref in opf.iter(f"{OPF}itemref")]
    assert spine[0] == next(i for i, href in items.items() if href == "index.xhtml")
    assert set(spine) <= set(items)
    handbook = built / "handbook"
    chapters = sorted(p.name for p in handbook.glob("*.xhtml") if p.name not in ("index.xhtml", "nav.xhtml"))
    assert sorted(items[i] for i in spine[1:]) == chapters
