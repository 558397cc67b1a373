"""Check that PDFs still match the source records they were built from.

Every PDF make-report writes carries its source records (``/AFRelationship
/Source``) and a JSON of their provenance (``/Data``: path, sha256, licence,
attribution, generator, build date). ``verify`` reads both back and compares:
the embedded bytes with the recorded sha256 (was the PDF altered?), and the
record on disk with it (has the source changed since the build?).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.diagnostics import shown
from pipeline.render import PROVENANCE_NAME


@dataclass
class Verdict:
    """What ``verify`` found for one PDF: the records that match, and every problem."""

    path: Path
    matched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.matched) and not self.problems


def pdf_files(arguments: list[Path]) -> list[Path]:
    """The PDFs named, and those in named folders (recursively, sorted)."""
    found: list[Path] = []
    for argument in arguments:
        found += sorted(argument.rglob("*.pdf")) if argument.is_dir() else [argument]
    return list(dict.fromkeys(found))


def _attachments(path: Path) -> dict[str, tuple[str | None, bytes]]:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return {
            name: (str(spec.obj.get("/AFRelationship", "")) or None, spec.get_file().read_bytes())
            for name, spec in pdf.attachments.items()
        }


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(path: Path, records: Path | None = None) -> Verdict:
    """Compare one PDF's embedded sources with its provenance and with the records on disk.

    A record is looked up at its recorded path from the working folder, or by
    its file name in ``records`` when given.
    """
    import pikepdf

    verdict = Verdict(path)
    try:
        attached = _attachments(path)
    except (pikepdf.PdfError, OSError) as exc:
        verdict.problems.append(f"cannot read it as a PDF ({shown(exc)}); check the file")
        return verdict
    if PROVENANCE_NAME not in attached:
        verdict.problems.append(
            f"carries no {PROVENANCE_NAME} attachment, so it cannot be checked; "
            "it was not made by make-report, or was changed since; build it again"
        )
        return verdict
    try:
        provenance = json.loads(attached[PROVENANCE_NAME][1].decode("utf-8"))
        entries = [(e["path"], e["sha256"], e["attachment"]) for e in provenance["records"]]
    except (ValueError, KeyError, TypeError) as exc:
        verdict.problems.append(f"its {PROVENANCE_NAME} is not readable ({shown(exc)}); build it again")
        return verdict
    for record_path, expected, name in entries:
        label = shown(record_path)
        relationship, data = attached.get(name, (None, None))
        if data is None or relationship != "/Source":
            verdict.problems.append(f"does not carry its source record {label}; build it again")
            continue
        if _sha256(data) != expected:
            verdict.problems.append(
                f"the embedded copy of {label} does not have its recorded sha256; the PDF was altered"
            )
            continue
        on_disk = records / Path(record_path).name if records else Path(record_path)
        try:
            current = _sha256(on_disk.read_bytes())
        except OSError as exc:
            verdict.problems.append(
                f"source record {shown(on_disk)} cannot be read ({exc.strerror or exc}); "
                "run verify in the folder the build ran in, or give --records FOLDER"
            )
            continue
        if current != expected:
            verdict.problems.append(
                f"source record {shown(on_disk)} has changed since the PDF was built "
                f"(sha256 {expected[:12]}… in the PDF, {current[:12]}… on disk); build the PDF again"
            )
            continue
        verdict.matched.append(shown(on_disk))
    return verdict
