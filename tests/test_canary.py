"""No local file outside the templates and the media folder is ever read into an output."""

from __future__ import annotations

import uuid
import zipfile
from pathlib import Path

import pikepdf
import pytest

from pipeline.assets import templates_dir
from pipeline.fetch import RefusedURL, SafeFetcher

from .conftest import cli

MARKER = f"CANARY-{uuid.uuid4().hex}"


def _pdf_bytes(path: Path) -> bytes:
    """Every object of a PDF, with streams decompressed."""
    chunks = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                try:
                    chunks.append(obj.read_bytes())
                except pikepdf.PdfError:
                    chunks.append(obj.read_raw_bytes())
            else:
                chunks.append(repr(obj).encode("utf-8", "replace"))
    return b"\n".join(chunks)


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    root = tmp_path_factory.mktemp("canary")
    canary = root / "canary.png"
    canary.write_text(MARKER, encoding="utf-8")
    records = root / "records"
    (records / "media").mkdir(parents=True)
    (records / "media" / "link.png").symlink_to(canary)
    url = canary.as_uri()
    forms = [url, f'<img src="{url}">', f'<link rel="attachment" href="{url}">', f"url({url})", str(canary)]
    lines = [f"= Canary {forms[1]} =", "", "Infobox"]
    lines += [f"- Key{i} {form}: value {form}" for i, form in enumerate(forms)]
    lines += ["- Logo: File:link.png", "", *[f"Paragraph {form}." for form in forms], ""]
    lines += [f"== Heading {forms[2]} ==", *[f"- item {form}" for form in forms], ""]
    (records / "canary.txt").write_text("\n".join(lines), encoding="utf-8")
    (records / "relative.txt").write_text(
        "= Relative =\n\nInfobox\n- Image: File:../canary.png\n\nText.\n", encoding="utf-8"
    )
    out = root / "out"
    result = cli("build", records, "-o", out, "--format", "pdf,html,epub,pack", "--single-file")
    return out, canary, result.stderr + f"\nexit {result.exit_code}"


def test_build_succeeds_and_says_what_it_did_not_load(planted):
    _out, _canary, stderr = planted
    assert stderr.endswith("exit 0"), stderr
    assert "infobox 'Image': 'File:../canary.png' is not an image file name" in stderr


def test_marker_is_in_no_output(planted):
    out, _canary, _ = planted
    checked = 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert MARKER.encode() not in data, path
        if path.suffix == ".pdf":
            assert MARKER.encode() not in _pdf_bytes(path), path
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as epub:
                for member in epub.namelist():
                    assert MARKER.encode() not in epub.read(member), member
        checked += 1
    assert checked >= 10
    assert (out / "briefing.pdf").is_file() and (out / "handbook.epub").is_file() and (out / "handbook.html").is_file()


def test_symlinked_logo_pointing_outside_is_not_loaded(planted):
    out, _canary, _ = planted
    assert not (out / "handbook" / "media").exists()
    with pikepdf.open(next(out.glob("canary*.pdf"))) as pdf:
        for page in pdf.pages:
            assert not [k for k, v in page.Resources.get("/XObject", {}).items() if v.Subtype == "/Image"]


def test_fetcher_serves_templates_and_media_only(tmp_path: Path):
    media = tmp_path / "media"
    media.mkdir()
    (media / "ok.png").write_bytes(b"png")
    outside = tmp_path / "secret.txt"
    outside.write_text(MARKER, encoding="utf-8")
    (media / "escape.png").symlink_to(outside)
    fetcher = SafeFetcher([templates_dir(), media])
    font = templates_dir() / "fonts" / "NotoSans-Regular.ttf"
    assert fetcher.fetch(font.as_uri()).read() == font.read_bytes()
    assert fetcher.fetch((media / "ok.png").as_uri()).read() == b"png"
    refused = [
        outside.as_uri(),
        (media / "escape.png").as_uri(),
        (media / ".." / "secret.txt").as_uri(),
        "file:///etc/hostname",
        "file://otherhost/etc/hostname",
        "http://example.com/x.png",
        "https://example.com/x.css",
        "data:text/plain;base64,SGVsbG8=",
        "ftp://example.com/x",
    ]
    for url in refused:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.take_refused() == refused
    assert fetcher.take_refused() == []
