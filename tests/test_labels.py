"""Infobox keys get readable labels, variants of known keys included (issue 7, case 20)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from .conftest import cli, normalise, pdf_text

XHTML = "{http://www.w3.org/1999/xhtml}"


def test_lettered_and_numbered_variants_read_like_their_key(tmp_path: Path):
    record = tmp_path / "variants.txt"
    record.write_text(
        "= Variant Labels =\n\nInfobox\n- Nativenamea: Alpha\n- Nativenameb: Beta\n- Agencyname2: Gamma\n\nText.\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = cli("build", record, "-o", out, "--format", "pdf,html")
    assert result.exit_code == 0, result.stderr
    chapter = etree.parse(str(out / "handbook" / "variant-labels.xhtml"))
    labels = ["".join(th.itertext()) for th in chapter.iter(f"{XHTML}th")]
    assert labels == ["Native name", "Native name (b)", "Agency names"]
    text = normalise(pdf_text(out / "variant-labels.pdf"))
    assert normalise("NATIVE NAME (B)") in text  # the panel's labels are set in capitals
    assert "nativenameb" not in text.casefold()


def test_numbered_variants_of_plural_keys_are_headed_by_the_key():
    from schemas import Infobox, InfoboxField

    fields = [InfoboxField(key=k, value="x") for k in ("Headquarters1", "Headquarters2", "Employees1", "Country2")]
    labels = [group.label for group in Infobox(fields=fields).groups]
    assert labels == ["Headquarters", "Employees", "Countries"]


def test_label_rule():
    from schemas import label_for

    assert label_for("Nativenameb") == "Native name (b)"
    assert label_for("Native_name_C") == "Native name (c)"
    assert label_for("Agencyname2") == "Agency name (2)"
    assert label_for("Capitals") == "Capitals"  # a plural is not a variant
    assert label_for("Nativenamea") == "Native name"
