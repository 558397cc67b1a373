"""The reader and schemas on the sample record: what an analyst expects to be found."""

from __future__ import annotations

import codecs

from pipeline.read import parse_bytes, read_record
from pipeline.validate import validate
from schemas import Article, ListBlock, Paragraph

from .conftest import SAMPLE


def sample() -> Article:
    outcome = validate(read_record(SAMPLE))
    assert outcome.article is not None, outcome.diagnostics
    return outcome.article


def test_title_and_native_name():
    article = sample()
    assert article.title == "Tajikistani Internal Troops"
    assert article.title_line == 1
    assert article.native_name.text == "Қӯшунҳои дохилии Тоҷикистон"
    assert article.native_name.lang == "tg-Cyrl"


def test_infobox_fields_in_source_order_with_lines():
    fields = sample().infobox.fields
    assert [f.key for f in fields] == [
        "Agencyname",
        "Nativenamea",
        "Logo",
        "Country",
        "Gendarmerie",
        "Police",
        "Headquarters",
        "Parentagency",
        "Person1Name",
        "Person2Name",
        "Activitytype",
        "Activity1Name",
        "Anniversary1",
        "Anniversary2",
    ]
    assert [f.line for f in fields] == list(range(4, 18))
    assert fields[7].value == "Ministry of Internal Affairs (VKD)"
    assert fields[7].label == "Parent agency"
    assert fields[0].label == "Agency name"


def test_numbered_families_grouped():
    groups = {g.family: g for g in sample().infobox.groups}
    assert [e.index for e in groups["Person"].entries] == [1, 2]
    assert [e.fields[0].value for e in groups["Person"].entries] == [
        "Major General Negmatullo Kurbanov",
        "Khisrav Bobozoda",
    ]
    assert len(groups["Activity"].entries) == 1
    assert len(groups["Anniversary"].entries) == 2


def test_law_enforcement_profile_is_typed():
    infobox = sample().infobox
    assert infobox.profile == "law enforcement agency"
    agency = infobox.values
    assert agency.profile == "law enforcement agency"
    assert agency.agency_name == "Tajikistani Internal Troops"
    assert agency.gendarmerie.value is True and agency.gendarmerie.text == "yes"
    assert agency.police.value is True
    assert [(p.index, p.name) for p in agency.people] == [
        (1, "Major General Negmatullo Kurbanov"),
        (2, "Khisrav Bobozoda"),
    ]
    assert agency.activity_type == "Battle"
    assert [a.name for a in agency.activities] == ["Tajikistani Civil War"]
    first, second = (a.date for a in agency.anniversaries)
    assert (first.month, first.day, first.label) == (11, 10, "Day of the Tajik Police")
    assert first.text == "November 10 (Day of the Tajik Police)"
    assert (second.month, second.day, second.label) == (4, 10, None)
    assert agency.logo.text == "File:Police of Tajikistan.png"
    assert agency.logo.name == "Police of Tajikistan.png"
    assert infobox.image.file is None  # not in records/media: warned, not loaded


def test_sections_blocks_and_nested_list():
    article = sample()
    assert [(s.level, s.title, s.line) for s in article.sections] == [
        (2, "Background", 21),
        (2, "Modern history", 25),
        (2, "Role", 28),
        (2, "Structure", 41),
        (2, "Notable personnel", 51),
    ]
    assert len(article.lead) == 1 and article.lead[0].line == 19
    role = article.sections[2].blocks
    assert [type(b) for b in role] == [Paragraph, ListBlock, Paragraph]
    assert len(role[1].items) == 7
    structure = article.sections[3].blocks[1]
    assert [i.text for i in structure.items] == [
        "Separate Brigade",
        "Special-Purpose Operational Brigade",
        "Special Detachments",
        "Military Unit 3503 (GBAO)",
    ]
    nested = structure.items[2].children[0]
    assert [i.text for i in nested.items] == ["Mountain Rangers", "Alpine Skier Unit"]
    assert [i.line for i in nested.items] == [47, 48]
    assert [i.text for i in article.sections[4].blocks[0].items] == [
        "Gulmurod Khalimov",
        "Mahmud Khudoiberdiyev",
        "Ghaffor Mirzoyev",
    ]


def test_provenance_hash_of_source_bytes():
    import hashlib

    assert sample().provenance.sha256 == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


def test_bom_and_crlf_read_like_plain_lf():
    data = SAMPLE.read_bytes()
    plain = parse_bytes(data, "x.txt")
    windows = parse_bytes(codecs.BOM_UTF8 + data.replace(b"\n", b"\r\n"), "x.txt")
    assert windows.diagnostics == plain.diagnostics == []
    assert windows.title == plain.title
    assert [(f.key, f.value, f.line) for f in windows.infobox] == [(f.key, f.value, f.line) for f in plain.infobox]
    assert [(s.title, s.line) for s in windows.sections] == [(s.title, s.line) for s in plain.sections]


def test_wrapped_lines_join_and_numbered_lists():
    raw = parse_bytes(
        b"= T =\n\nFirst line\nsecond line.\n\n== S ==\n3. three\n4. four\n  - sub\n",
        "t.txt",
    )
    assert raw.diagnostics == []
    assert raw.lead[0].text == "First line second line."
    numbered = raw.sections[0].blocks[0]
    assert numbered.ordered and [i.number for i in numbered.items] == [3, 4]
    assert numbered.items[1].children[0].items[0].text == "sub"


def test_heading_spellings_and_subsections():
    raw = parse_bytes(b"= T =\n==A==\n== B ==\n===C===\n=== D ===\n", "t.txt")
    assert [(s.title, s.level) for s in raw.sections] == [("A", 2), ("B", 2), ("C", 3), ("D", 3)]


def test_json_schema_export():
    from .conftest import cli

    result = cli("schema")
    assert result.exit_code == 0
    import json

    schema = json.loads(result.stdout)
    assert schema["title"] == "AuthoredArticle"  # what a JSON record may say, not the resolved Article
    assert "infobox" in schema["properties"] and "lang" in schema["properties"]
    assert "provenance" not in schema["properties"]
    assert "profile" not in schema["$defs"]["AuthoredInfobox"]["properties"]
