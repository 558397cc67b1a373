"""Infobox profiles as data (issue 10): one realistic record per profile, the completeness report, parsers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from .conftest import ROOT, SAMPLE, cli, normalise, pdf_text

PROFILED = Path(__file__).resolve().parent / "data" / "profiles"
MINISTRY = "ministry-of-internal-affairs-tajikistan"
XHTML = "{http://www.w3.org/1999/xhtml}"

#: record -> (profile, panel labels in order, as the XHTML chapter shows them)
RECORDS = {
    "national-gendarmerie": (
        "law enforcement agency",
        [
            "Agency name",
            "Native name",
            "Abbreviation",
            "Country",
            "Jurisdiction",
            "Headquarters",
            "Parent agency",
            "Gendarmerie",
            "Police",
            "Agency executives",
            "Anniversaries",
            "Motto",
            "Formed",
            "Employees",
            "Budget",
            "Website",
        ],
    ),
    "coldstream-guards": (
        "military unit",
        [
            "Unit name",
            "Active",
            "Country",
            "Allegiance",
            "Branch",
            "Type",
            "Role",
            "Size",
            "Part of",
            "Garrison",
            "Nickname",
            "Motto",
            "March",
            "Engagements",
            "Commanders",
            "Image",
        ],
    ),
    "emomali-rahmon": (
        "officeholder",
        [
            "Name",
            "Native name",
            "Order",
            "Office",
            "Took office",
            "Prime minister",
            "Preceded by",
            "Political party",
            "Date of birth",
            "Place of birth",
            "Spouse",
            "Children",
            "Alma mater",
        ],
    ),
    "sadriddin-ayni": (
        "person",
        [
            "Name",
            "Native name",
            "Date of birth",
            "Place of birth",
            "Date of death",
            "Place of death",
            "Nationality",
            "Occupation",
            "Years active",
            "Known for",
            "Notable works",
        ],
    ),
    "dushanbe": (
        "settlement",
        [
            "Name",
            "Native name",
            "Type",
            "Subdivision type",
            "Part of",
            "Established as",
            "Established",
            "Leader title",
            "Leader",
            "Area (km²)",
            "Elevation (m)",
            "Population",
            "Population as of",
            "Time zone",
            "Postal code",
            "Area code",
            "Website",
            "Flag",
        ],
    ),
    "ministry-of-internal-affairs-tajikistan": (
        "government agency",
        [
            "Agency name",
            "Native name",
            "Type",
            "Jurisdiction",
            "Headquarters",
            "Formed",
            "Ministers responsible",
            "Parent department",
            "Child agencies",
            "Website",
        ],
    ),
}


def _validated(path: Path):
    from pipeline.read import read_record
    from pipeline.validate import Options, validate

    outcome = validate(read_record(path), Options(media_dir=PROFILED / "media"))
    assert outcome.article is not None, [str(d) for d in outcome.diagnostics]
    return outcome


@pytest.fixture(scope="module")
def profiles_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The six records built once, fact sheets and handbook."""
    out = tmp_path_factory.mktemp("profiles")
    result = cli("build", PROFILED, "-o", out, "--format", "pdf,html")
    assert result.exit_code == 0, result.stderr
    return out


# -- each profile, on a record written for it ---------------------------------------


@pytest.mark.parametrize("name", RECORDS)
def test_record_validates_with_its_profile_and_no_warning(name: str):
    outcome = _validated(PROFILED / f"{name}.txt")
    assert outcome.article.infobox.profile == RECORDS[name][0]
    assert outcome.article.infobox.values.profile == RECORDS[name][0]
    assert [d for d in outcome.diagnostics if d.severity != "info"] == []


def test_typed_values_law_enforcement():
    agency = _validated(PROFILED / "national-gendarmerie.txt").article.infobox.values
    assert (agency.formed.year, agency.formed.month, agency.formed.day) == (1791, 2, 16)
    assert (agency.employees.value, agency.employees.unit, agency.employees.as_of) == (101000, "active personnel", 2022)
    assert (agency.budget.value, agency.budget.unit, agency.budget.as_of) == (9_900_000_000, "€", 2022)
    assert agency.website.href == "https://www.gendarmerie.interieur.gouv.fr"
    assert agency.gendarmerie.value is True
    assert [(p.name, p.title) for p in agency.people] == [("Général d'armée Hubert Bonneau", "Director General")]
    assert agency.anniversaries[0].date.label == "Foundation of the Gendarmerie"


def test_typed_values_military_unit():
    unit = _validated(PROFILED / "coldstream-guards.txt").article.infobox.values
    assert (unit.dates.start.year, unit.dates.end, unit.dates.present) == (1650, None, True)
    assert (unit.size.value, unit.size.unit, unit.size.as_of) == (1100, "personnel", 2023)
    assert unit.battles.names[1] == "Battle of Waterloo" and len(unit.battles.names) == 5
    assert [(c.index, c.name, c.role) for c in unit.commanders] == [
        (1, "King Charles III", "Colonel-in-Chief"),
        (2, "Lieutenant General Sir James Bucknall", "Colonel of the Regiment"),
    ]
    assert unit.image.name == "Coldstream Guards cap badge.png"


def test_typed_values_officeholder_person_settlement_agency():
    rahmon = _validated(PROFILED / "emomali-rahmon.txt").article.infobox.values
    assert (rahmon.term_start.year, rahmon.term_start.month, rahmon.term_start.day) == (1994, 11, 16)
    assert rahmon.birth_date.year == 1952 and rahmon.office == "President of Tajikistan"
    ayni = _validated(PROFILED / "sadriddin-ayni.txt").article.infobox.values
    assert (ayni.years_active.start.year, ayni.years_active.end.year) == (1896, 1954)
    assert ayni.notable_works.names == ["Odina", "Dokhunda", "Slaves", "Memoirs"]
    assert ayni.death_date.year == 1954
    city = _validated(PROFILED / "dushanbe.txt")
    dushanbe = city.article.infobox.values
    assert (dushanbe.population.value, dushanbe.population.as_of) == (1201800, 2020)
    assert (dushanbe.elevation_m.value, dushanbe.elevation_m.unit) == (706, "m")
    assert dushanbe.established.year == 1924
    assert city.article.infobox.image.file == "Flag of Dushanbe.png"  # the settlement's flag is its logo
    ministry = _validated(PROFILED / f"{MINISTRY}.txt").article.infobox.values
    assert [a.name for a in ministry.child_agencies] == ["Internal Troops", "Militsiya"]
    assert ministry.ministers[0].portfolio == "Minister of Internal Affairs"


@pytest.mark.parametrize("name", RECORDS)
def test_every_field_is_kept_as_written_and_shown(profiles_built: Path, name: str):
    source = (PROFILED / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    written = [tuple(line[2:].split(": ", 1)) for line in source[3:] if line.startswith("- ") and ": " in line]
    written = written[: len(_validated(PROFILED / f"{name}.txt").article.infobox.fields)]
    article = _validated(PROFILED / f"{name}.txt").article
    assert [(f.key, f.value) for f in article.infobox.fields] == written
    chapter = "".join(etree.parse(str(profiles_built / "handbook" / f"{name}.xhtml")).getroot().itertext())
    for _key, value in written:
        if not value.startswith("File:"):  # an image shown is its picture, not its name
            assert normalise(value) in normalise(chapter), value


@pytest.mark.parametrize("name", RECORDS)
def test_panel_shows_profile_labels_in_profile_order(profiles_built: Path, name: str):
    chapter = etree.parse(str(profiles_built / "handbook" / f"{name}.xhtml"))
    labels = ["".join(th.itertext()) for th in chapter.iter(f"{XHTML}th") if th.get("scope") == "row"]
    assert labels == RECORDS[name][1]
    text = normalise(pdf_text(profiles_built / f"{name}.pdf"))
    for label in RECORDS[name][1]:
        assert normalise(label.upper()) in text, label  # the panel sets labels in capitals


def test_family_notes_use_the_profile_labels(profiles_built: Path):
    text = normalise(pdf_text(profiles_built / "coldstream-guards.pdf"))
    assert normalise("Role: Colonel-in-Chief") in text
    chapter = etree.parse(str(profiles_built / "handbook" / "ministry-of-internal-affairs-tajikistan.xhtml"))
    body = "".join(chapter.getroot().itertext())
    assert "Portfolio: Minister of Internal Affairs" in body


def test_profile_keywords_reach_the_pdf(profiles_built: Path):
    from pypdf import PdfReader

    keywords = PdfReader(profiles_built / "coldstream-guards.pdf").metadata["/Keywords"]
    for word in ("military unit", "British Army", "Wellington Barracks, London", "King Charles III"):
        assert word in keywords
    assert "Infantry" not in keywords  # Type is no keyword


# -- choosing a profile --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("coldstream-guards", "military unit"),
        ("emomali-rahmon", "officeholder"),
        ("dushanbe", "settlement"),
        ("national-gendarmerie", "law enforcement agency"),
    ],
)
def test_bare_infobox_chooses_by_signature_keys(tmp_path: Path, name: str, profile: str):
    text = (PROFILED / f"{name}.txt").read_text(encoding="utf-8")
    first, rest = text.split("\n\n", 1)
    infobox, body = rest.split("\n", 1)
    assert infobox.startswith("Infobox ")
    bare = tmp_path / f"{name}.txt"
    bare.write_text(f"{first}\n\nInfobox\n{body}", encoding="utf-8")
    article = _validated(bare).article
    assert article.infobox.template is None
    assert article.infobox.profile == profile


def test_records_written_bare_are_recognised():
    assert _validated(PROFILED / "sadriddin-ayni.txt").article.infobox.profile == "person"
    assert _validated(PROFILED / f"{MINISTRY}.txt").article.infobox.profile == "government agency"
    assert _validated(SAMPLE).article.infobox.profile == "law enforcement agency"


def test_template_aliases_and_unknown_templates(tmp_path: Path):
    record = tmp_path / "r.txt"
    record.write_text(
        "= Kulob =\n\nInfobox city\n- Populationtotal: 105,000\n- Name: Kulob\n\nText.\n", encoding="utf-8"
    )
    assert _validated(record).article.infobox.profile == "settlement"
    built = cli("build", "--format", "pdf", "-o", tmp_path / "out", record)
    assert built.exit_code == 0, built.stderr
    # the kicker names the profile and keeps the template as the record writes it
    assert "SETTLEMENT(INFOBOXCITY)" in normalise(pdf_text(tmp_path / "out" / "kulob.pdf")).upper()
    record.write_text(
        "= Tajikistan =\n\nInfobox country\n- Capital: Dushanbe\n- Populationtotal: 10,000,000\n\nText.\n",
        encoding="utf-8",
    )
    infobox = _validated(record).article.infobox
    assert (infobox.template, infobox.profile, infobox.typed) == ("country", None, None)  # named: not guessed


def test_unknown_template_keeps_source_order_and_generic_labels(tmp_path: Path):
    from pipeline.context import panel_rows

    record = tmp_path / "r.txt"
    record.write_text(
        "= Tajikistan =\n\nInfobox country\n- Website: x.tj\n- Conventionallongname: Republic of Tajikistan\n"
        "- Capital: Dushanbe\n\nText.\n",
        encoding="utf-8",
    )
    rows = panel_rows(_validated(record).article.infobox)
    assert [r.label for r in rows] == ["Website", "Official name", "Capital"]


def test_adding_a_profile_is_one_module(tmp_path: Path):
    """A module dropped into schemas/profiles/ is found, chosen and typed with no other change."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "schemas" / "profiles" / "ship.py").write_text(
        "from schemas.profiles import parsers\n"
        "from schemas.profiles.base import Key, Profile\n"
        "PROFILE = Profile(name='ship', signature={'shiplaunched': 3}, entries=[\n"
        "    Key('shipname', 'ship_name', label='Name'),\n"
        "    Key('shiplaunched', 'launched', parsers.partial_date, label='Launched', expected=True),\n"
        "    Key('shipdisplacement', 'displacement', parsers.quantity, label='Displacement', expected=True),\n"
        "])\n",
        encoding="utf-8",
    )
    code = (
        "from schemas import Infobox, InfoboxField\n"
        "from schemas.profiles import choose\n"
        "fields = [InfoboxField(key='Shipname', value='Aurora'), InfoboxField(key='Shiplaunched', value='1900')]\n"
        "p = choose(None, [f.key for f in fields])\n"
        "typed, problems = p.parse(fields)\n"
        "box = Infobox(profile=p.name, fields=fields, typed=typed.model_dump(mode='json'))\n"
        "print(p.name, box.values.launched.year, p.missing(fields), p.label('Shipname'))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ship 1900 ['Displacement'] Name"


# -- the completeness report -----------------------------------------------------------


def test_completeness_report_is_info_in_validate():
    result = cli("validate", PROFILED)
    assert result.exit_code == 0, result.stderr
    assert (
        f"{MINISTRY}.txt:3: info: a government agency record usually has Jurisdiction, Headquarters, Formed, "
        "Employees, Annual budget, Agency executives: this one lacks Employees, Annual budget, Agency executives" + "\n"
    ) in result.stderr
    assert result.stderr.count(": info: ") == 1  # the other five have what their template expects
    assert "6 of 6 records valid" in result.stderr


def test_sample_completeness_report():
    result = cli("validate", SAMPLE)
    assert result.exit_code == 0
    assert (
        f"{SAMPLE.name}:3: info: a law enforcement agency record usually has Jurisdiction, Formed, Employees, Website: "
        "this one lacks Jurisdiction, Formed, Employees, Website" + "\n"
    ) in result.stderr


def test_strict_leaves_info_alone_require_complete_makes_it_an_error():
    ministry = PROFILED / f"{MINISTRY}.txt"
    assert cli("validate", "--strict", ministry).exit_code == 0
    result = cli("validate", "--require-complete", ministry)
    assert result.exit_code == 1
    assert (
        f"{MINISTRY}.txt:3: error: a government agency record usually has Jurisdiction, Headquarters, Formed, "
        "Employees, Annual budget, Agency executives: this one lacks Employees, Annual budget, Agency executives; "
        "add them, or leave out --require-complete" + "\n"
    ) in result.stderr
    assert "0 of 1 records valid" in result.stderr
    assert cli("validate", "--require-complete", PROFILED / "dushanbe.txt").exit_code == 0


def test_build_counts_missing_fields_in_the_manifest(profiles_built: Path, tmp_path: Path):
    manifest = json.loads((profiles_built / "manifest.json").read_text(encoding="utf-8"))
    counts = {Path(r["path"]).stem: r["missing_fields"] for r in manifest["records"]}
    assert counts == {name: 3 if name == MINISTRY else 0 for name in RECORDS}
    assert all(r["warnings"] == [] for r in manifest["records"])  # info is not a warning

    result = cli("build", PROFILED, "-o", tmp_path / "out", "--format", "html")
    assert result.exit_code == 0
    assert ": info: " not in result.stderr  # build counts them, validate lists them
    assert "records lacking fields their infobox usually has: 1 (validate lists them)" in result.stderr

    strict = cli("build", PROFILED, "-o", tmp_path / "req", "--format", "html", "--require-complete")
    assert strict.exit_code == 1
    assert f"{MINISTRY}.txt:3: error: a government agency record" in strict.stderr
    manifest = json.loads((tmp_path / "req" / "manifest.json").read_text(encoding="utf-8"))
    entry = next(r for r in manifest["records"] if r["path"].endswith(f"{MINISTRY}.txt"))
    assert (entry["status"], entry["missing_fields"]) == ("invalid", None)
    assert (tmp_path / "req" / "handbook" / "dushanbe.xhtml").is_file()


# -- JSON Schema and export --------------------------------------------------------------


def test_schema_per_profile():
    listed = cli("schema", "--list-profiles")
    assert listed.exit_code == 0
    names = [line.split("\t")[0] for line in listed.stdout.splitlines()]
    assert names == [
        "government-agency",
        "law-enforcement-agency",
        "military-unit",
        "officeholder",
        "person",
        "settlement",
        "generic",
    ]
    result = cli("schema", "--profile", "military-unit")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["title"] == "Infobox military unit"
    size = schema["properties"]["size"]
    assert size["title"] == "Size" and size["x-parser"] == "number" and size["x-expected"] is True
    assert "x-keys" in schema["properties"]["garrison"] and schema["properties"]["garrison"]["x-keyword"] is True
    assert schema["$defs"]["Quantity"]["properties"]["as_of"]
    assert cli("schema", "--profile", "Military unit").stdout == result.stdout
    wrong = cli("schema", "--profile", "ship")
    assert wrong.exit_code == 2 and "choose from government-agency" in wrong.stderr


def test_plain_schema_is_the_authored_record():
    from schemas.authored import AuthoredArticle

    assert json.loads(cli("schema").stdout) == AuthoredArticle.model_json_schema()


@pytest.mark.parametrize("name", ["coldstream-guards", "dushanbe"])
def test_export_round_trips(tmp_path: Path, name: str):
    exported = cli("export", PROFILED / f"{name}.txt")
    assert exported.exit_code == 0, exported.stderr
    (tmp_path / "media").symlink_to(PROFILED / "media")
    record = tmp_path / f"{name}.json"
    record.write_text(exported.stdout, encoding="utf-8")
    before, after = _validated(PROFILED / f"{name}.txt").article, _validated(record).article
    assert after.infobox.values == before.infobox.values and after.infobox.typed == before.infobox.typed
    assert [(f.key, f.value) for f in after.infobox.fields] == [(f.key, f.value) for f in before.infobox.fields]


def test_article_dump_reads_back_with_typed_values():
    from schemas import Article

    article = _validated(PROFILED / "coldstream-guards.txt").article
    again = Article.model_validate_json(article.model_dump_json())
    assert again == article and type(again.infobox.values).__name__ == "MilitaryUnitValues"


# -- parsers ----------------------------------------------------------------------------


def test_quantity_parser():
    from schemas.profiles import parsers

    value, problem = parsers.quantity("198,317 active personnel (2023)")
    assert problem is None
    assert (value.value, value.unit, value.as_of, value.text) == (198317, "active personnel", 2023, value.text)
    value, _ = parsers.quantity("about 11,000 personnel as of 2015")
    assert (value.value, value.unit, value.as_of) == (11000, "personnel", 2015)
    value, _ = parsers.quantity("US$1.2 billion (2021 est.)")
    assert (value.value, value.unit, value.as_of) == (1_200_000_000, "US$", 2021)
    value, _ = parsers.quantity("12.5 km2")
    assert (value.value, value.unit) == (12.5, "km2")
    value, _ = parsers.quantity("11,000 (including reserves)")
    assert (value.value, value.as_of, value.note) == (11000, None, "including reserves")
    value, problem = parsers.quantity("lots")
    assert value.value is None and problem == "expected a number such as '11,000', got 'lots'; shown as written"
    value, problem = parsers.quantity("9" * 40)
    assert value.value is None and "too long for a count" in problem


def test_date_parsers():
    from schemas.profiles import parsers

    assert parsers.flag("Yes")[0].value is True and parsers.flag("no")[0].value is False
    assert parsers.flag("sometimes")[1] == "expected yes or no, got 'sometimes'; shown as written"
    assert parsers.year("c. 1920")[0].value == 1920 and parsers.year("10 April 1993")[0].value == 1993
    assert parsers.year("long ago")[1].startswith("expected a year")
    date = parsers.partial_date("April 10, 1993")[0]
    assert (date.year, date.month, date.day) == (1993, 4, 10)
    assert parsers.partial_date("31 February 1993")[1] is not None
    span = parsers.date_range("1941–45")[0]
    assert (span.start.year, span.end.year) == (1941, 1945)
    span = parsers.date_range("10 April 1993 – present")[0]
    assert (span.start.day, span.start.month, span.present) == (10, 4, True)
    span = parsers.date_range("1993-04-10")[0]
    assert (span.start.year, span.start.month, span.end) == (1993, 4, None)
    span = parsers.date_range("March 1918 to 1991")[0]
    assert (span.start.month, span.end.year) == (3, 1991)
    assert parsers.date_range("the old days")[1] is not None
    day = parsers.day_of_year("10 November (Police Day)")[0]
    assert (day.month, day.day, day.label) == (11, 10, "Police Day")


def test_url_file_and_names_parsers():
    from schemas.profiles import parsers

    assert parsers.url("www.mvd.tj")[0].href == "https://www.mvd.tj"
    assert parsers.url("http://a.example/x")[0].href == "http://a.example/x"
    assert parsers.url("not a site")[1] == "'not a site' does not look like a web address"
    assert parsers.file("File:Emblem of X.svg")[0].name == "Emblem of X.svg"
    assert parsers.file("Image:a.png")[0].name == "a.png"
    assert parsers.file("../../etc/passwd")[0].name is None
    assert parsers.names("A, B (C, D); E • F")[0].names == ["A", "B (C, D)", "E", "F"]
    assert parsers.names("")[0].names == []


ALL_PARSERS = ["text", "flag", "year", "partial_date", "date_range", "day_of_year", "quantity", "url", "file", "names"]


@pytest.mark.parametrize("name", ALL_PARSERS)
@given(text=st.text(max_size=80))
def test_parsers_never_raise_and_keep_the_text(name: str, text: str):
    from schemas.profiles import parsers

    value, problem = getattr(parsers, name)(text)
    assert (value if isinstance(value, str) else value.text) == text
    assert problem is None or isinstance(problem, str)


@pytest.mark.parametrize("name", ALL_PARSERS)
@given(
    text=st.from_regex(
        r"(about |c\. |US\$)?[0-9]{1,4}(,[0-9]{3})*"
        r"( (million|km2|active personnel|April|–|- present))?( \(20[0-9]{2}\))?",
        fullmatch=True,
    )
)
def test_parsers_on_nearly_valid_values(name: str, text: str):
    from schemas.profiles import parsers

    value, _ = getattr(parsers, name)(text)
    assert (value if isinstance(value, str) else value.text) == text


def test_values_that_do_not_parse_warn_in_any_profile(tmp_path: Path):
    record = tmp_path / "r.txt"
    record.write_text(
        "= X =\n\nInfobox military unit\n- Dates: since the war\n- Size: a few hundred\n- Website: not a site\n\n"
        "Text.\n",
        encoding="utf-8",
    )
    result = cli("validate", record)
    assert result.exit_code == 0
    assert (
        "r.txt:4: warning: infobox 'Dates': expected a date or a range such as '1941–1945' or '1993 – present', "
        "got 'since the war'; shown as written\n"
    ) in result.stderr
    assert "r.txt:5: warning: infobox 'Size': expected a number such as '11,000', got 'a few hundred'" in result.stderr
    assert "r.txt:6: warning: infobox 'Website': 'not a site' does not look like a web address" in result.stderr
    strict = cli("validate", "--strict", record)
    assert strict.exit_code == 1 and "r.txt:3: info: a military unit record" in strict.stderr


def test_json_record_may_not_write_typed_values(tmp_path: Path):
    record = tmp_path / "r.json"
    record.write_text(
        '{"title": "X",\n "infobox": {"template": "military unit",\n  "fields": [],\n  "typed": {}}}\n',
        encoding="utf-8",
    )
    result = cli("validate", record)
    assert result.exit_code == 1
    assert (
        "r.json:4: error: infobox.typed: 'typed' is not a field of a record "
        "(it is parsed from the infobox fields by the profile); remove it"
    ) in result.stderr
