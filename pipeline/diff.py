"""What changed between two builds: records added, removed, renamed and changed.

A briefing officer reads the set again next month and wants only the news. A
build keeps the validated records it built (``records/<slug>.json``, listed in
the manifest with kind ``record``); this module compares two such sets, or a
build and a records folder read now. Records are matched by their source path.
Texts are compared word by word with :mod:`difflib`; the result is typed data
that ``templates/changes.html.j2`` presents and ``changes.json`` stores.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pydantic import ValidationError

from pipeline.diagnostics import shown
from pipeline.errors import MakeReportError
from schemas import Article, Block, ListBlock, Paragraph
from schemas.manifest import Manifest

MANIFEST = "manifest.json"


class DiffError(MakeReportError):
    """A folder that is neither a build nor a records folder, or a build whose kept records are unreadable."""


@dataclass(frozen=True)
class Word:
    text: str
    op: str  # "same", "ins" or "del"


@dataclass
class FieldChange:
    key: str
    change: str  # "added", "removed" or "changed"
    old: str | None
    new: str | None


@dataclass
class SectionChange:
    title: str
    change: str  # "added", "removed" or "moved"
    old_position: int | None
    new_position: int | None


@dataclass
class TextChange:
    section: str  # "" for the lead
    change: str  # "added", "removed" or "changed"
    old: str | None
    new: str | None
    old_line: int | None
    new_line: int | None
    words: list[Word] = field(default_factory=list)


@dataclass
class RecordChange:
    path: str
    old_title: str
    new_title: str
    renamed: bool
    fields: list[FieldChange] = field(default_factory=list)
    sections: list[SectionChange] = field(default_factory=list)
    texts: list[TextChange] = field(default_factory=list)


@dataclass
class RecordRef:
    path: str
    title: str


@dataclass
class Changes:
    old: str
    new: str
    added: list[RecordRef] = field(default_factory=list)
    removed: list[RecordRef] = field(default_factory=list)
    changed: list[RecordChange] = field(default_factory=list)
    unchanged: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, ensure_ascii=False) + "\n"

    @property
    def renamed(self) -> list[RecordChange]:
        return [c for c in self.changed if c.renamed]


def kept_records(folder: Path) -> dict[str, Article]:
    """The validated records a build kept, by source path (from its manifest)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DiffError(
            f"{shown(folder / MANIFEST)}: cannot read the manifest ({shown(exc)}); name a build's output folder "
            "or a records folder"
        ) from None
    try:
        manifest = Manifest.model_validate(manifest)
    except ValidationError:
        raise DiffError(
            f"{shown(folder)}: this build kept no validated records (built by an older make-report); build it again"
        ) from None
    found: dict[str, Article] = {}
    for entry in manifest.files:
        if entry.kind != "record":
            continue
        path = folder / entry.path
        try:
            article = Article.model_validate_json(path.read_bytes())
        except (OSError, ValidationError) as exc:
            raise DiffError(
                f"{shown(path)}: cannot read this kept record ({type(exc).__name__}); build that folder again"
            ) from None
        found[article.provenance.path] = article
    if not found and manifest.records:
        raise DiffError(
            f"{shown(folder)}: this build kept no validated records (built by an older make-report); build it again"
        )
    return found


def word_diff(old: str, new: str) -> list[Word]:
    """Words and the spaces between them, marked as kept, inserted or deleted."""
    a, b = re.findall(r"\s+|[^\s]+", old), re.findall(r"\s+|[^\s]+", new)
    words: list[Word] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            words.append(Word("".join(a[i1:i2]), "same"))
            continue
        if i2 > i1:
            words.append(Word("".join(a[i1:i2]), "del"))
        if j2 > j1:
            words.append(Word("".join(b[j1:j2]), "ins"))
    return words


def _texts(blocks: list[Block]) -> Iterator[tuple[str, int | None]]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block.text, block.line
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield item.text, item.line
                yield from _texts(item.children)


def _sections(article: Article) -> dict[str, list[tuple[str, int | None]]]:
    sections = {"": list(_texts(article.lead))}
    for section in article.sections:
        sections.setdefault(section.title, []).extend(_texts(section.blocks))
    return sections


def _field_changes(old: Article, new: Article) -> list[FieldChange]:
    def fields(article: Article) -> dict[str, str]:
        return {f.key: f.value for f in article.infobox.fields} if article.infobox else {}

    before, after = fields(old), fields(new)
    changes = []
    for key, value in after.items():
        if key not in before:
            changes.append(FieldChange(key, "added", None, value))
        elif before[key] != value:
            changes.append(FieldChange(key, "changed", before[key], value))
    changes += [FieldChange(key, "removed", value, None) for key, value in before.items() if key not in after]
    return changes


def _section_changes(old: list[str], new: list[str]) -> list[SectionChange]:
    changes = [SectionChange(t, "added", None, new.index(t) + 1) for t in new if t not in old]
    changes += [SectionChange(t, "removed", old.index(t) + 1, None) for t in old if t not in new]
    common_old = [t for t in old if t in new]
    common_new = [t for t in new if t in old]
    matcher = difflib.SequenceMatcher(None, common_old, common_new, autojunk=False)
    kept = {t for block in matcher.get_matching_blocks() for t in common_old[block.a : block.a + block.size]}
    changes += [SectionChange(t, "moved", old.index(t) + 1, new.index(t) + 1) for t in common_new if t not in kept]
    return changes


def _text_changes(old: Article, new: Article) -> list[TextChange]:
    before, after = _sections(old), _sections(new)
    changes = []
    for title in [*after, *(t for t in before if t not in after)]:
        a, b = before.get(title, []), after.get(title, [])  # a section added or removed: all its text
        matcher = difflib.SequenceMatcher(None, [t for t, _ in a], [t for t, _ in b], autojunk=False)
        for op, i1, i2, j1, j2 in matcher.get_opcodes():
            if op == "equal":
                continue
            pairs = min(i2 - i1, j2 - j1) if op == "replace" else 0
            for k in range(pairs):
                (ot, ol), (nt, nl) = a[i1 + k], b[j1 + k]
                changes.append(TextChange(title, "changed", ot, nt, ol, nl, word_diff(ot, nt)))
            for ot, ol in a[i1 + pairs : i2]:
                changes.append(TextChange(title, "removed", ot, None, ol, None, [Word(ot, "del")]))
            for nt, nl in b[j1 + pairs : j2]:
                changes.append(TextChange(title, "added", None, nt, None, nl, [Word(nt, "ins")]))
    return changes


def _pair_by_file_name(old: dict[str, Article], new: dict[str, Article]) -> dict[str, Article]:
    """OLD re-keyed so that a record left unmatched by path meets the NEW record of the same file name.

    Two builds of one records folder match by path; a second copy of the folder
    (``records-v2/x.txt``) or a build made from another working folder matches by
    the file name, where that name is unique on both sides.
    """
    lost_old = [p for p in old if p not in new]
    lost_new = [p for p in new if p not in old]

    def unique(paths: list[str]) -> dict[str, str]:
        names: dict[str, list[str]] = {}
        for path in paths:
            names.setdefault(Path(path).name, []).append(path)
        return {name: found[0] for name, found in names.items() if len(found) == 1}

    by_old, by_new = unique(lost_old), unique(lost_new)
    rekeyed = dict(old)
    for name, path in by_old.items():
        if name in by_new:
            rekeyed[by_new[name]] = rekeyed.pop(path)
    return rekeyed


def compare(old: dict[str, Article], new: dict[str, Article], old_name: str, new_name: str) -> Changes:
    """Records matched by source path (else by unique file name); the same record is unchanged."""
    changes = Changes(old_name, new_name)
    old = _pair_by_file_name(old, new)
    for path in sorted(new):
        if path not in old:
            changes.added.append(RecordRef(path, new[path].title))
    for path in sorted(old):
        if path not in new:
            changes.removed.append(RecordRef(old[path].provenance.path, old[path].title))
    for path in sorted(set(old) & set(new)):
        a, b = old[path], new[path]
        if a.provenance.sha256 == b.provenance.sha256:
            changes.unchanged += 1
            continue
        change = RecordChange(path, a.title, b.title, a.title != b.title)
        change.fields = _field_changes(a, b)
        change.sections = _section_changes([s.title for s in a.sections], [s.title for s in b.sections])
        change.texts = _text_changes(a, b)
        if change.renamed or change.fields or change.sections or change.texts:
            changes.changed.append(change)
        else:
            changes.unchanged += 1  # only line numbers or bytes that make no difference moved
    return changes
