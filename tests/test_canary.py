"""No local file outside the templates and the media folder is ever read into an output.

A canary file holding a unique marker is planted next to (outside) the records folder.
Records name it from every place a record holds text, in every form a renderer might
follow: a file URL, a bare path, ``<img src>``, ``<link rel="attachment">`` (which
WeasyPrint would embed in the PDF), CSS ``url()`` and ``@import``, relative paths and
symlinks in the media folder. Every format is built, and the marker must be in no
output: not in any file, not in any decompressed PDF stream, not in any EPUB member,
not in any base64 ``data:`` URL of the single-file handbook.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shutil
import subprocess
import uuid
import zipfile
from pathlib import Path

import pikepdf
import pytest

from pipeline.assets import templates_dir
from pipeline.fetch import RefusedURL, SafeFetcher

from .conftest import EPOCH, cli

MARKER = f"CANARY-{uuid.uuid4().hex}"
NEEDLE = MARKER.encode()
DATA_URL = re.compile(rb"data:[^,\"')\s]*;base64,([A-Za-z0-9+/=\s]+)")


def _png(marker: str) -> bytes:
    """A real PNG (so an image loader would draw it) carrying the marker in a text chunk."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("canary", marker)
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue() + marker.encode()


def _pdf_bytes(path: Path) -> bytes:
    """Every object of a PDF, streams both raw and decompressed."""
    chunks = []
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream):
                chunks.append(obj.read_raw_bytes())
                with contextlib.suppress(pikepdf.PdfError):
                    chunks.append(obj.read_bytes())
            else:
                chunks.append(repr(obj).encode("utf-8", "replace"))
        chunks.extend(bytes(name, "utf-8") for name in pdf.attachments)
    return b"\n".join(chunks)


def _qdf_bytes(path: Path, tmp: Path) -> bytes:
    """The PDF as qpdf --qdf writes it: uncompressed, object streams unpacked."""
    target = tmp / f"{path.stem}.qdf.pdf"
    done = subprocess.run(
        ["qpdf", "--qdf", "--object-streams=disable", "--decode-level=all", str(path), str(target)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode in (0, 3), done.stderr  # 3: warnings only
    return target.read_bytes()


def _decoded_data_urls(data: bytes) -> list[bytes]:
    result = []
    for match in DATA_URL.finditer(data):
        with contextlib.suppress(ValueError):
            result.append(base64.b64decode(re.sub(rb"\s", b"", match.group(1)), validate=False))
    return result


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory):
    """Plant the canary, write the records that point at it, build every format once."""
    root = tmp_path_factory.mktemp("canary")
    canary = root / "canary.png"
    canary.write_bytes(_png(MARKER))
    text = root / "canary.txt"
    text.write_text(f"{MARKER}\n", encoding="utf-8")
    outside = root / "outside"
    outside.mkdir()
    (outside / "canary.png").write_bytes(_png(MARKER))
    records = root / "records"
    media = records / "media"
    media.mkdir(parents=True)
    (media / "link.png").symlink_to(canary)
    (media / "dirlink").symlink_to(outside, target_is_directory=True)

    png_url, text_url = canary.as_uri(), text.as_uri()
    forms = [
        png_url,
        text_url,
        str(canary),
        str(text),
        f'<img src="{png_url}">',
        f'<img src="{png_url}" />',
        f'<link rel="attachment" href="{text_url}">',
        f'<link rel="attachment" href="{png_url}" />',
        f"url({png_url})",
        f"url('{text_url}')",
        f"<style>@import url({text_url});</style>",
        f'<object data="{text_url}"></object>',
        f'<iframe src="{text_url}"></iframe>',
        '<img src="../canary.png">',
        '<link rel="attachment" href="../../canary.txt">',
        f'<a rel="attachment" href="{text_url}">a</a>',
    ]
    main = [f"= Canary {forms[4]} =", "", "Infobox"]
    main += [f"- Key{i} {form}: value {form}" for i, form in enumerate(forms)]
    main += ["- Logo: File:link.png", ""]
    main += [f"Paragraph {form}." for form in forms]
    main += [""]
    for i, form in enumerate(forms):
        main += [f"== Heading {i} {form} ==", "", f"- item {form}", f"  - nested {form}", f"1. ordered {form}", ""]
    (records / "canary.txt").write_text("\n".join(main), encoding="utf-8")
    for i, form in enumerate(forms):
        (records / f"title-{i:02d}.txt").write_text(f"= T{i} {form} =\n\nText.\n", encoding="utf-8")
    logos = {
        "logo-path": str(canary),
        "logo-url": png_url,
        "logo-parent": "File:../canary.png",
        "logo-grandparent": "File:../../canary.png",
        "logo-bare-parent": "../canary.png",
        "logo-symlink": "File:link.png",
        "logo-dir-symlink": "File:dirlink/canary.png",
        "logo-img": f'<img src="{png_url}">',
    }
    for name, value in logos.items():
        (records / f"{name}.txt").write_text(
            f"= {name} =\n\nInfobox\n- Agencyname: {name}\n- Logo: {value}\n\nText.\n", encoding="utf-8"
        )
        (records / f"image-{name}.txt").write_text(
            f"= image {name} =\n\nInfobox\n- Image: {value}\n\nText.\n", encoding="utf-8"
        )
    # A record authored as JSON names its logo like a text record (naming the resolved
    # "image" itself is an error: tests/test_json_records.py).
    authored = {
        "title": f"JSON {forms[6]}",
        "infobox": {
            "fields": [{"key": "Logo", "value": "File:link.png"}, {"key": f"K {forms[7]}", "value": forms[8]}],
        },
        "lead": [{"kind": "paragraph", "text": f"Lead {forms[4]}"}],
        "sections": [],
    }
    (records / "authored.json").write_text(json.dumps(authored), encoding="utf-8")

    out = root / "out"
    result = cli("build", records, "-o", out, "--format", "pdf,html,epub,pack", "--single-file")
    return out, canary, result


@pytest.fixture(autouse=True)
def _epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def test_build_succeeds_and_says_what_it_did_not_load(planted):
    _out, _canary, result = planted
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "infobox 'Logo': 'File:../canary.png' is not an image file name" in result.stderr
    assert "link.png' in " in result.stderr and "links to a file outside the media folder" in result.stderr
    assert MARKER not in result.stderr


def test_every_format_was_built(planted):
    out, _canary, _result = planted
    for name in ("briefing.pdf", "handbook.epub", "handbook.html", "manifest.json", "handbook/index.xhtml"):
        assert (out / name).is_file(), name
    assert len(list(out.glob("*.pdf"))) >= 30
    assert not (out / "handbook" / "media").exists()


def test_marker_is_in_no_file(planted):
    out, _canary, _result = planted
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert len(files) >= 40
    for path in files:
        data = path.read_bytes()
        assert NEEDLE not in data, path
        for decoded in _decoded_data_urls(data):
            assert NEEDLE not in decoded, f"{path}: in a data: URL"


def test_marker_is_in_no_pdf_object(planted):
    out, _canary, _result = planted
    pdfs = sorted(out.glob("*.pdf"))
    assert out / "briefing.pdf" in pdfs
    for path in pdfs:
        assert NEEDLE not in _pdf_bytes(path), path
        with pikepdf.open(path) as pdf:
            # A PDF carries its own records and their provenance, nothing else.
            records = {p.name: p.read_bytes() for p in (out.parent / "records").rglob("*") if p.is_file()}
            for name, spec in pdf.attachments.items():
                data = spec.get_file().read_bytes()
                if name == "make-report-provenance.json":
                    assert spec.obj.AFRelationship == "/Data", path
                else:
                    assert spec.obj.AFRelationship == "/Source" and records.get(name) == data, (path, name)
            specs = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Type") == "/Filespec"]
            assert len(specs) == len(pdf.attachments), path
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    # No record here has a loadable image: any image drawn came from outside.
                    assert obj.get("/Subtype") != "/Image", path


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf is not installed")
def test_marker_is_in_no_qdf_output(planted, tmp_path: Path):
    out, _canary, _result = planted
    for path in sorted(out.glob("*.pdf")):
        assert NEEDLE not in _qdf_bytes(path, tmp_path), path


def test_marker_is_in_no_epub_member(planted):
    out, _canary, _result = planted
    with zipfile.ZipFile(out / "handbook.epub") as epub:
        names = epub.namelist()
        assert len(names) > 5
        for member in names:
            data = epub.read(member)
            assert NEEDLE not in data, member
            for decoded in _decoded_data_urls(data):
                assert NEEDLE not in decoded, member
            assert not member.endswith(("canary.png", "canary.txt")), member


def test_handbook_and_manifest_hold_no_marker(planted):
    out, _canary, _result = planted
    handbook = out / "handbook"
    for path in [*handbook.rglob("*"), out / "handbook.html", out / "manifest.json"]:
        if path.is_file():
            assert NEEDLE not in path.read_bytes(), path
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert MARKER not in json.dumps(manifest)
    single = (out / "handbook.html").read_text(encoding="utf-8")
    assert "<img" not in single
    assert not re.search(r"<link[^>]+attachment", single)


# -- the fetcher itself --------------------------------------------------------------------
@pytest.fixture
def fetcher_setup(tmp_path: Path):
    root = tmp_path / "allowed"
    root.mkdir()
    (root / "ok.png").write_bytes(_png("fine"))
    secret = tmp_path / "secret"
    secret.mkdir()
    canary = secret / "canary.png"
    canary.write_bytes(_png(MARKER))
    (root / "escape.png").symlink_to(canary)
    (root / "escape-dir").symlink_to(secret, target_is_directory=True)
    fetcher = SafeFetcher([templates_dir(), root])
    return fetcher, root, canary


def test_fetcher_serves_a_bundled_font(fetcher_setup):
    fetcher, root, _canary = fetcher_setup
    font = templates_dir() / "fonts" / "NotoSans-Regular.ttf"
    assert font.is_file()
    response = fetcher.fetch(font.as_uri())
    assert response.read() == font.read_bytes()
    assert fetcher.fetch((root / "ok.png").as_uri()).read() == (root / "ok.png").read_bytes()
    assert fetcher.take_refused() == []


def test_fetcher_refuses_everything_else(fetcher_setup):
    fetcher, root, canary = fetcher_setup
    refused = [
        canary.as_uri(),
        f"file://{canary}",
        f"file://localhost{canary}",
        f"FILE://{canary}",
        f"file:{canary}",
        "file:///etc/hostname",
        "file://otherhost/etc/hostname",
        "http://example.com/",
        "https://example.com/x.css",
        "ftp://example.com/x",
        f"{root.as_uri()}/../secret/canary.png",
        f"{root.as_uri()}/%2E%2E/secret/canary.png",
        f"{root.as_uri()}/..%2Fsecret%2Fcanary.png",
        f"{(templates_dir() / 'fonts').as_uri()}/../../../../../../../../{canary}",
        (root / "escape.png").as_uri(),
        (root / "escape-dir" / "canary.png").as_uri(),
        root.as_uri(),  # a folder, not a file
        f"{root.as_uri()}/ok.png%00.txt",
        "data:text/plain;base64," + base64.b64encode(NEEDLE).decode(),
        "data:text/plain," + MARKER,
        "data:image/png;base64," + base64.b64encode(_png(MARKER)).decode(),
        "canary.png",
        str(canary),
    ]
    for url in refused:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.take_refused() == refused
    assert fetcher.take_refused() == []


def test_weasyprint_with_the_fetcher_embeds_nothing_from_outside(fetcher_setup, tmp_path: Path):
    """The last line of defence: even real markup reaching WeasyPrint loads nothing outside."""
    from weasyprint import HTML

    fetcher, _root, canary = fetcher_setup
    url = canary.as_uri()
    html = (
        f'<html><head><link rel="attachment" href="{url}"><link rel="stylesheet" href="{url}">'
        f"<style>@import url({url}); body {{ background: url({url}) }}</style></head>"
        f'<body><img src="{url}"><a rel="attachment" href="{url}">x</a>'
        f'<object data="{url}"></object><embed src="{url}">'
        f'<img src="data:image/png;base64,{base64.b64encode(_png(MARKER)).decode()}"></body></html>'
    )
    pdf = tmp_path / "direct.pdf"
    HTML(string=html, base_url=templates_dir().as_uri() + "/", url_fetcher=fetcher).write_pdf(pdf)
    assert NEEDLE not in _pdf_bytes(pdf)
    if shutil.which("qpdf"):
        assert NEEDLE not in _qdf_bytes(pdf, tmp_path)
    assert url in fetcher.take_refused()


def test_the_checks_would_catch_a_leak(tmp_path: Path):
    """Without the safe fetcher, WeasyPrint embeds the canary; the checks above must see it."""
    from weasyprint import HTML

    canary = tmp_path / "canary.txt"
    canary.write_bytes(NEEDLE)
    pdf = tmp_path / "leaky.pdf"
    HTML(string=f'<link rel="attachment" href="{canary.as_uri()}"><p>x</p>').write_pdf(pdf)
    assert NEEDLE in _pdf_bytes(pdf)
    if shutil.which("qpdf"):
        assert NEEDLE in _qdf_bytes(pdf, tmp_path)
    page = b"<p><img src='data:image/png;base64," + base64.b64encode(_png(MARKER)) + b"'></p>"
    assert any(NEEDLE in decoded for decoded in _decoded_data_urls(page))
