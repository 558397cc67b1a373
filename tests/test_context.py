"""The context stage (pipeline/context.py): the typed views every template shows.

Panel rows keep each value as written, in parts; section ids are worked out once
and the headings, the handbook nav, the pack's contents and the PDF bookmarks all
land on them; the credit and the logo are data that the templates word.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from pipeline.build import check, order_records
from pipeline.context import CreditView, article_view, logo, panel_rows, section_id
from pipeline.slugs import assign_slugs
from pipeline.sources import discover
from tests.conftest import SAMPLE, TEST_RECORDS, cli

XHTML = "{http://www.w3.org/1999/xhtml}"
GOLDEN_RECORDS = Path(__file__).resolve().parent / "golden" / "records"


def _checked(path: Path):
    record = check(discover([path]))[0]
    assert record.ok, record.outcome.diagnostics
    return record


def _view(path: Path, slug: str = "x"):
    record = _checked(path)
    return article_view(record.outcome.article, slug, record.source.media_dir)


# -- panel ---------------------------------------------------------------------------


def test_panel_rows_are_label_and_value_parts_as_written():
    article = _checked(TEST_RECORDS / "coastal-guard-unit.txt").outcome.article
    rows = panel_rows(article.infobox)
    by_label = {row.label: row for row in rows}
    # every key of the infobox is shown by exactly one row, in source order within its row
    assert sorted(k for row in rows for k in row.keys) == sorted(f.key for f in article.infobox.fields)
    # a numbered family is one row; each entry's other fields are notes with their own label
    commanders = by_label["Commanders"]
    assert commanders.keys == ["Commander1", "Commander1Label", "Commander2", "Commander2Label"]
    assert [v.text for v in commanders.values] == ["Captain A. Example", "Commander B. Example"]
    # the military-unit profile labels a commander's Label field "Role"
    assert [(n.label, n.text) for n in commanders.values[0].notes] == [("Role", "Commanding officer")]
    assert commanders.values[0].field.key == "Commander1"  # the source field, for its cross-links
    # values are the source text, never reformatted (markup stays text for the template to escape)
    assert by_label["Motto"].values[0].text == "Φυλάσσω & <προσέχω>"
    assert by_label["Size"].values[0].text == "about 400 (2020)"


def test_panel_of_a_known_profile_follows_its_order():
    rows = _view(SAMPLE).panel
    labels = [row.label for row in rows]
    assert labels[:5] == ["Agency name", "Native name", "Country", "Headquarters", "Parent agency"]
    assert labels.index("Agency executives") < labels.index("Activities") < labels.index("Anniversaries")
    assert [v.text for v in rows[labels.index("Anniversaries")].values] == [
        "November 10 (Day of the Tajik Police)",
        "April 10",
    ]


def test_no_infobox_no_panel():
    assert panel_rows(None) == []
    assert _view(TEST_RECORDS / "field-notes.txt").panel == []


# -- outline -------------------------------------------------------------------------


def test_section_ids_are_unique_stable_and_nested():
    view = _view(TEST_RECORDS / "gulf-maritime-police.txt", "gulf")
    ids = [node.id for node in view.sections]
    assert ids == [section_id(n) for n in range(1, len(view.article.sections) + 1)] == ["s1", "s2", "s3", "s4"]
    assert ids == [node.id for node in _view(TEST_RECORDS / "gulf-maritime-police.txt", "gulf").sections]
    # "== Organisation ==" holds two "===" subsections; the nav nests them
    top = view.outline
    assert [(n.id, n.title) for n in top][:1] == [("s1", "Organisation")]
    assert [(c.id, c.level) for c in top[0].children] == [("s2", 3), ("s3", 3)]
    # in a document that holds several records, every id carries the slug
    shared = view.placed(xref=("#", ""), shared=True)
    assert [n.id for n in shared.sections] == ["gulf-s1", "gulf-s2", "gulf-s3", "gulf-s4"]
    assert shared.chronology_id == "gulf-chronology" and view.chronology_id == "chronology"
    assert shared.record_id == "gulf" and view.record_id == "top"


def test_a_skipped_level_nests_under_the_nearest_shallower_section(tmp_path: Path):
    record = tmp_path / "levels.txt"
    record.write_text("= Levels =\n\nLead.\n\n=== Deep first ===\nA.\n\n== Top ==\nB.\n\n==== Deeper ====\nC.\n")
    outline = _view(record).outline
    assert [(n.id, [c.id for c in n.children]) for n in outline] == [("s1", []), ("s2", ["s3"])]


def _ids(tree) -> set[str]:
    return {e.get("id") for e in tree.iter() if e.get("id")}


def test_headings_and_nav_use_the_outline_ids(built: Path):
    handbook = built / "handbook"
    nav = etree.parse(str(handbook / "nav.xhtml"))
    for path in (SAMPLE, TEST_RECORDS / "gulf-maritime-police.txt", TEST_RECORDS / "coastal-guard-unit.txt"):
        view = _view(path)
        slug = next(p.stem for p in handbook.glob("*.xhtml") if _title_of(p) == view.article.title)
        chapter = etree.parse(str(handbook / f"{slug}.xhtml"))
        headings = [h for h in chapter.iter(*(f"{XHTML}h{n}" for n in range(2, 7))) if h.get("id", "").startswith("s")]
        assert [(h.get("id"), "".join(h.itertext())) for h in headings] == [(n.id, n.title) for n in view.sections]
        targets = [a.get("href") for a in nav.iter(f"{XHTML}a") if a.get("href", "").startswith(f"{slug}.xhtml#")]
        assert targets == [f"{slug}.xhtml#{n.id}" for n in view.sections]
        assert {t.partition("#")[2] for t in targets} <= _ids(chapter)


def _title_of(path: Path) -> str:
    h1 = etree.parse(str(path)).find(f".//{XHTML}h1")
    return "".join(h1.itertext()) if h1 is not None else ""


def _destination(pdf: pikepdf.Pdf, dest) -> tuple[int, float]:
    page = next(i for i, p in enumerate(pdf.pages) if p.objgen == dest[0].objgen)
    return page, float(dest[3])


def test_pack_contents_and_bookmarks_land_on_the_outline_ids(built: Path):
    with pikepdf.open(built / "briefing.pdf") as pdf:
        named = {str(k): _destination(pdf, v) for k, v in pikepdf.NameTree(pdf.Root.Names.Dests).items()}
        bookmarks: list[tuple[str, tuple[int, float]]] = []
        with pdf.open_outline() as outline:
            pending = list(outline.root)
            while pending:
                item = pending.pop(0)
                bookmarks.append((item.title, _destination(pdf, item.destination)))
                pending[:0] = item.children
        links = {
            str(annot.Dest)
            for page in pdf.pages
            for annot in page.get("/Annots", [])
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot
        }
    records = order_records(check(discover([SAMPLE.parent, TEST_RECORDS])), None)
    slugs = assign_slugs([(r.source.name, r.outcome.article.title) for r in records])  # as the build gives them
    assert len(records) == 4
    for record in records:
        view = article_view(record.outcome.article, slugs[record.source.name]).placed(xref=("#", ""), shared=True)
        assert view.record_id in named and view.record_id in links
        for node in view.sections:
            assert node.id in named, node.id
            assert (node.title, named[node.id]) in bookmarks, (node.id, node.title)  # bookmark and heading agree
        contents = [n.id for n in view.sections if n.level == 2]
        assert contents and set(contents) <= links  # the pack's contents link every top section


# -- credit --------------------------------------------------------------------------


def test_credit_is_in_parts():
    view = _view(SAMPLE)
    assert view.credit == CreditView(
        title="Tajikistani Internal Troops",
        path="records/tajikistani-internal-troops.txt",
        sha256=view.article.provenance.sha256,
        attribution="Wikipedia contributors, “Tajikistani Internal Troops”, Wikipedia, The Free Encyclopedia",
        licence="CC BY-SA 4.0",
    )
    assert view.credit.source == view.credit.attribution
    bare = CreditView("T", "records/t.txt", "0" * 64, attribution="Wiki\u202epedia")
    assert bare.source == "Wikipedia"  # a running line never carries an invisible control
    assert CreditView("T", "records/t.txt", "0" * 64).source == "records/t.txt"


def test_epub_credits_a_record_that_has_a_licence_and_no_attribution(tmp_path: Path):
    records = tmp_path / "records"
    records.mkdir()
    (records / "sources.toml").write_text('[defaults]\nlicence = "CC0 1.0"\n', encoding="utf-8")
    (records / "plain.txt").write_text("= Plain Record =\n\nText.\n", encoding="utf-8")
    result = cli("build", records, "-o", tmp_path / "out", "--format", "epub")
    assert result.exit_code == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "out" / "handbook.epub") as epub:
        opf = etree.fromstring(epub.read("OEBPS/content.opf"))
    rights = [e.text for e in opf.iter("{http://purl.org/dc/elements/1.1/}rights")]
    assert rights == ["Plain Record (CC0 1.0)"]


# -- logo ----------------------------------------------------------------------------


def test_logo_view_of_a_checked_file():
    view = _view(GOLDEN_RECORDS / "harbour-police.txt", "harbour")
    media = (GOLDEN_RECORDS / "media").resolve()
    assert view.logo.path == media / "harbour-police.svg"
    assert view.logo.src == view.logo.path.as_uri()
    assert view.logo.media.media_type == "image/svg+xml" and b"<circle" in view.logo.media.data
    assert view.logo.name == "Northport Harbour Police" and view.logo.left_out is None
    placed = view.placed(xref=("", ".xhtml"), logo_src="media/harbour-logo.svg")
    assert placed.logo.src == "media/harbour-logo.svg" and placed.logo.media == view.logo.media
    assert view.logo.src == view.logo.path.as_uri()  # placing a view leaves the original alone


def test_logo_left_out_says_why(tmp_path: Path):
    view = _view(SAMPLE)
    assert view.logo.src is None and view.logo.path is None
    assert view.logo.left_out == "'Police of Tajikistan.png' is not in the media folder"
    # a file that turns bad after validation is left out when the view is made
    records = tmp_path / "records"
    (records / "media").mkdir(parents=True)
    (records / "media" / "x.png").write_bytes(b"not a png")
    record = records / "x.txt"
    record.write_text("= X =\n\nInfobox\n- Logo: File:x.png\n\nText.\n", encoding="utf-8")
    article = check(discover([record]))[0].outcome.article
    assert article is not None
    found = logo(article, records / "media")
    assert found.src is None and found.left_out.startswith("'x.png' ")


@pytest.mark.parametrize("outside", [True, False])
def test_logo_never_served_from_outside_media(tmp_path: Path, outside: bool):
    records = tmp_path / "records"
    (records / "media").mkdir(parents=True)
    source = (tmp_path if outside else records / "media") / "real.svg"
    source.write_bytes((GOLDEN_RECORDS / "media" / "harbour-police.svg").read_bytes())
    if outside:
        (records / "media" / "real.svg").symlink_to(source)
    record = records / "x.txt"
    record.write_text("= X =\n\nInfobox\n- Logo: File:real.svg\n\nText.\n", encoding="utf-8")
    article = check(discover([record]))[0].outcome.article
    found = logo(article, records / "media")
    assert (found.src is None) == outside
