"""The hostile-input corpus: records from many hands, written byte-exact by code.

    python tests/hostile/corpus.py OUTDIR      # writes every case and prints its outcome

Each case says what must happen: ``accepted`` (validate exits 0; the build renders it
safely) or ``rejected`` at a given line with a given message (exit 1).
"""

from __future__ import annotations

import codecs
import sys
from dataclasses import dataclass
from pathlib import Path

SAMPLE = (Path(__file__).resolve().parents[2] / "records" / "tajikistani-internal-troops.txt").read_bytes()
MARKUP = [
    b"<script>alert(1)</script>",
    b'<img src="file:///etc/hostname">',
    b'<link rel="attachment" href="file:///etc/hostname">',
    b"url(file:///etc/hostname)",
]


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    outcome: str  # "accepted" or "rejected"
    line: int | None = None
    message: str = ""
    shown: tuple[str, ...] = ()  # strings the rendered outputs must show as text

    @property
    def file(self) -> str:
        return f"{self.name}.txt"


def _accepted(name: str, data: bytes, *shown: str) -> Case:
    return Case(name, data, "accepted", shown=shown)


def _rejected(name: str, data: bytes, line: int, message: str) -> Case:
    return Case(name, data, "rejected", line, message)


def cases() -> list[Case]:
    result = [
        _accepted("bom-crlf", codecs.BOM_UTF8 + SAMPLE.replace(b"\n", b"\r\n"), "Tajikistani Internal Troops"),
        _rejected("invalid-utf8", b"= T =\n\nGood line.\nBad \xc3\x28 line.\n", 4, "not UTF-8"),
        _rejected("latin1", "= Café =\n".encode("latin-1"), 1, "not UTF-8"),
        _rejected("nul-bytes", b"= T =\n\nText with \x00 NUL.\n", 3, "U+0000"),
        _rejected("empty", b"", 1, "file is empty"),
        _rejected("whitespace-only", b" \n\t\n  \r\n", 1, "only blank lines"),
        _rejected("no-title", b"Text before any title.\n\n== A ==\nx\n", 1, "no title"),
        _rejected("two-titles", b"= One =\n= Two =\n\nText.\n", 2, "out of place"),
        _rejected("infobox-no-colon", b"= T =\n\nInfobox\n- Country Tajikistan\n\nText.\n", 4, "no ': '"),
        _rejected("infobox-duplicate", b"= T =\n\nInfobox\n- Country: A\n- Country: B\n\nx\n", 5, "duplicate"),
        _rejected("infobox-duplicate-case", b"= T =\n\nInfobox\n- Country: A\n- COUNTRY: B\n\nx\n", 5, "duplicate"),
        _rejected("heading-unbalanced", b"= T =\n\nText.\n\n==Role=\nx\n", 5, "unbalanced heading"),
        _rejected("heading-too-deep", b"= T =\n\nText.\n\n=======X=======\nx\n", 5, "too deep"),
        _rejected("heading-empty", b"= T =\n\nText.\n\n== ==\nx\n", 5, "no text"),
        _rejected("title-empty", b"= =\n\nText.\n", 1, "title is empty"),
        _rejected(
            "bullets-20-deep",
            b"= T =\n\n" + b"".join(b"  " * i + b"- level %d\n" % i for i in range(20)),
            11,
            "more than 8 levels",
        ),
        _rejected("odd-indent", b"= T =\n\n- a\n   - b\n", 4, "indented by 3 spaces"),
        _rejected("tab-indent", b"= T =\n\n- a\n\t- b\n", 4, "tab"),
        _rejected("deeper-than-parent", b"= T =\n\n- a\n      - b\n", 4, "deeper than its parent"),
        _rejected("empty-item", b"= T =\n\n- a\n-\n", 4, "empty list item"),
        _rejected("c1-control", "= T =\n\nText \u0085 here.\n".encode(), 3, "U+0085"),
        _rejected("lone-cr", b"= T =\n\nText\rmore.\n", 3, "U+000D"),
        _rejected("noncharacter", "= T =\n\nText \ufffe here.\n".encode(), 3, "U+FFFE"),
        _rejected("escape-sequence", b"= T =\n\n\x1b[31mred\x1b[0m\n", 3, "U+001B"),
        _rejected("too-large", b"= Big =\n\n" + (b"word " * 1_048_576), 1, "over the limit"),
        _accepted(
            "long-paragraph",
            b"= Long =\n\n" + (b"lorem ipsum " * 16_250)[:195_000] + b" " + b"W" * 5000 + b" end.\n",
            "W" * 5000,
        ),
        _accepted("rlo-zero-width-title", "= Evil\u202eTitle\u200b\u200d =\n\nText.\n".encode(), "Text."),
        _accepted("title-etc-passwd", b"= ../../etc/passwd =\n\nText.\n", "../../etc/passwd"),
        _accepted("title-con", b"= CON =\n\nText.\n", "CON"),
        _accepted("title-dot", b"= . =\n\nText.\n", "."),
        _accepted("same-slug-a", b"= Same Slug! =\n\nFirst.\n", "First."),
        _accepted("same-slug-b", b"= same slug =\n\nSecond.\n", "Second."),
        _accepted("logo-traversal", b"= Logo A =\n\nInfobox\n- Logo: ../../etc/hostname\n\nText.\n"),
        _accepted("logo-absolute", b"= Logo B =\n\nInfobox\n- Logo: File:/etc/hostname\n\nText.\n"),
        _accepted("logo-url", b"= Logo C =\n\nInfobox\n- Logo: http://example.com/x.png\n\nText.\n"),
    ]
    for i, markup in enumerate(MARKUP):
        text = markup.decode()
        result += [
            _accepted(f"markup-{i}-title", b"= Title " + markup + b" =\n\nText.\n", text),
            _accepted(f"markup-{i}-paragraph", b"= Para %d =\n\nBefore " % i + markup + b" after.\n", text),
            _accepted(f"markup-{i}-item", b"= Item %d =\n\n== S ==\n- " % i + markup + b"\n", text),
            _accepted(f"markup-{i}-key", b"= Key %d =\n\nInfobox\n- K" % i + markup + b": v\n\nx\n", text),
            _accepted(f"markup-{i}-value", b"= Value %d =\n\nInfobox\n- Key: " % i + markup + b"\n\nx\n", text),
        ]
    return result


def write_corpus(folder: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    all_cases = cases()
    for case in all_cases:
        (folder / case.file).write_bytes(case.data)
    return all_cases


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    for case in write_corpus(target):
        where = f" at line {case.line}: {case.message}" if case.outcome == "rejected" else ""
        print(f"{case.file}: {case.outcome}{where}")
