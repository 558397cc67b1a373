"""The hostile-input corpus: records from many hands, written byte-exact by code.

    python tests/hostile/corpus.py OUTDIR      # writes every case and prints its outcome

Each case says what must happen: ``accepted`` (validate exits 0; the build renders it
safely) or ``rejected`` at a given line with a given message (exit 1). Nothing here is
committed as data: the tests write the corpus into a temporary folder.

Kinds group the accepted cases by what the tests check after a build:
``markup`` (shown literally, never interpreted), ``slug`` (a safe, unique file name),
``logo`` (a warning, and no image loaded), ``long`` (nothing clipped).
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
#: Markup that would do harm if a template, an XML parser or a stylesheet interpreted it.
EXTRA_MARKUP = [
    b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>&xxe;',
    b"]]><![CDATA[<script>alert(2)</script>]]>",
    b"{{ 7*7 }} {% include '/etc/hostname' %} {# comment #}",
    b"&lt;script&gt;alert(3)&lt;/script&gt; &amp; &#60;b&#62;",
    b"<style>@import url(file:///etc/hostname);</style>",
    b"<svg onload=alert(4)><iframe src=file:///etc/hostname></iframe></svg>",
    b'<a href="javascript:alert(5)">click</a>',
    b"<?xml-stylesheet href='file:///etc/hostname'?>",
]
LONG_WORD = "W" * 5000


@dataclass(frozen=True)
class Case:
    file: str  # the file name in the corpus folder
    data: bytes  # the exact bytes of the file
    outcome: str  # "accepted" or "rejected"
    line: int | None = None  # rejected: the line the first error names
    message: str = ""  # rejected: part of that error's message
    shown: tuple[str, ...] = ()  # accepted: strings the rendered outputs must show as text
    kind: str = ""  # accepted: markup, slug, logo, long (see the module docstring)
    warning: str = ""  # accepted: part of a warning that validate must give
    warning_line: int | None = None

    @property
    def name(self) -> str:
        return self.file.removesuffix(".txt")


def _accepted(name: str, data: bytes, *shown: str, kind: str = "", warning: str = "", line: int | None = None) -> Case:
    return Case(f"{name}.txt", data, "accepted", shown=shown, kind=kind, warning=warning, warning_line=line)


def _rejected(name: str, data: bytes, line: int, message: str) -> Case:
    return Case(f"{name}.txt", data, "rejected", line, message)


def _markup_cases() -> list[Case]:
    result = []
    for i, markup in enumerate(MARKUP):
        text = markup.decode()
        result += [
            _accepted(f"markup-{i}-title", b"= Title " + markup + b" =\n\nText.\n", text, kind="markup"),
            _accepted(
                f"markup-{i}-paragraph", b"= Para %d =\n\nBefore " % i + markup + b" after.\n", text, kind="markup"
            ),
            _accepted(f"markup-{i}-item", b"= Item %d =\n\n== S ==\n- " % i + markup + b"\n", text, kind="markup"),
            _accepted(
                f"markup-{i}-key", b"= Key %d =\n\nInfobox\n- K" % i + markup + b": v\n\nx\n", text, kind="markup"
            ),
            _accepted(
                f"markup-{i}-value", b"= Value %d =\n\nInfobox\n- Key: " % i + markup + b"\n\nx\n", text, kind="markup"
            ),
            _accepted(
                f"markup-{i}-heading", b"= Heading %d =\n\nx\n\n== H " % i + markup + b" ==\n\ny\n", text, kind="markup"
            ),
        ]
    for i, markup in enumerate(EXTRA_MARKUP):
        text = markup.decode()
        result += [
            _accepted(f"markup-x{i}-paragraph", b"= Extra %d =\n\n" % i + markup + b"\n", text, kind="markup"),
            _accepted(f"markup-x{i}-title", b"= X" + markup + b" =\n\nText.\n", text, kind="markup"),
        ]
    return result


def cases() -> list[Case]:
    result = [
        # -- encodings and bytes ------------------------------------------------------
        _accepted("bom-crlf", codecs.BOM_UTF8 + SAMPLE.replace(b"\n", b"\r\n"), "Tajikistani Internal Troops"),
        _rejected("invalid-utf8", b"= T =\n\nGood line.\nBad \xc3\x28 line.\n", 4, "not UTF-8"),
        _rejected("invalid-utf8-crlf", b"= T =\r\n\r\nGood.\r\nBad \xff\r\nMore.\r\n", 4, "0xFF"),
        _rejected("latin1", "= Café =\n".encode("latin-1"), 1, "not UTF-8"),
        _rejected("utf16", "= T =\n\nText.\n".encode("utf-16"), 1, "not UTF-8"),
        _rejected("overlong-utf8", b"= T =\n\nSlash \xc0\xaf here.\n", 3, "not UTF-8"),
        _rejected("utf8-surrogate", b"= T =\n\nA \xed\xa0\x80 B.\n", 3, "not UTF-8"),
        _rejected("truncated-utf8-at-eof", b"= T =\n\nEuro \xe2\x82", 3, "not UTF-8"),
        _rejected("nul-bytes", b"= T =\n\nText with \x00 NUL.\n", 3, "U+0000"),
        _rejected("nul-in-title", b"= T\x00itle =\n\nText.\n", 1, "U+0000"),
        _rejected("nul-only", b"\x00\x00\x00", 1, "U+0000"),
        _rejected("c1-control", "= T =\n\nText \u0085 here.\n".encode(), 3, "U+0085"),
        _rejected("c1-csi", "= T =\n\nText.\n\n- item \u009b31m red\n".encode(), 5, "U+009B"),
        _rejected("delete-char", b"= T =\n\nText \x7f here.\n", 3, "U+007F"),
        _rejected("form-feed", b"= T =\n\nPage one.\n\x0c\nPage two.\n", 4, "U+000C"),
        _rejected("lone-cr", b"= T =\n\nText\rmore.\n", 3, "U+000D"),
        _rejected("cr-only-line-ends", b"= T =\r\rText.\r", 1, "U+000D"),
        _rejected("noncharacter", "= T =\n\nText \ufffe here.\n".encode(), 3, "U+FFFE"),
        _rejected("noncharacter-ffff", "= T =\n\nInfobox\n- Key: \uffff\n\nx\n".encode(), 4, "U+FFFF"),
        _rejected("escape-sequence", b"= T =\n\n\x1b[31mred\x1b[0m\n", 3, "U+001B"),
        # -- empty and structure ----------------------------------------------------------
        _rejected("empty", b"", 1, "file is empty"),
        _rejected("bom-only", codecs.BOM_UTF8, 1, "file is empty"),
        _rejected("whitespace-only", b" \n\t\n  \r\n", 1, "only blank lines"),
        _rejected("no-title", b"Text before any title.\n\n== A ==\nx\n", 1, "no title"),
        _rejected("title-unclosed", b"= Title\n\nText.\n", 1, "no title"),
        _rejected("title-empty", b"= =\n\nText.\n", 1, "title is empty"),
        _rejected("title-empty-after-blanks", b"\n\n  \n= =\n\nText.\n", 4, "title is empty"),
        _rejected("two-titles", b"= One =\n= Two =\n\nText.\n", 2, "out of place"),
        _rejected("infobox-no-colon", b"= T =\n\nInfobox\n- Country Tajikistan\n\nText.\n", 4, "no ': '"),
        _rejected("infobox-no-key", b"= T =\n\nInfobox\n- : value\n\nText.\n", 4, "no key"),
        _rejected("infobox-nested", b"= T =\n\nInfobox\n- Country: A\n  - Region: B\n\nx\n", 5, "not nested"),
        _rejected("infobox-duplicate", b"= T =\n\nInfobox\n- Country: A\n- Country: B\n\nx\n", 5, "duplicate"),
        _rejected("infobox-duplicate-case", b"= T =\n\nInfobox\n- Country: A\n- COUNTRY: B\n\nx\n", 5, "duplicate"),
        _rejected(
            "infobox-duplicate-underscore",
            b"= T =\n\nInfobox\n- Agency_name: A\n- Logo: x\n- agency name: B\n\nx\n",
            6,
            "first given at line 4",
        ),
        _rejected("heading-unbalanced", b"= T =\n\nText.\n\n==Role=\nx\n", 5, "unbalanced heading"),
        _rejected("heading-too-deep", b"= T =\n\nText.\n\n=======X=======\nx\n", 5, "too deep"),
        _rejected("heading-empty", b"= T =\n\nText.\n\n== ==\nx\n", 5, "no text"),
        _rejected("heading-only-marks", b"= T =\n\nText.\n\n==\nx\n", 5, "no text"),
        _rejected(
            "bullets-20-deep",
            b"= T =\n\n" + b"".join(b"  " * i + b"- level %d\n" % i for i in range(20)),
            11,
            "more than 8 levels",
        ),
        _accepted(
            "bullets-8-deep",
            b"= Eight Deep =\n\n" + b"".join(b"  " * i + b"- level %d\n" % i for i in range(8)),
            "level 7",
        ),
        _rejected("odd-indent", b"= T =\n\n- a\n   - b\n", 4, "indented by 3 spaces"),
        _rejected("tab-indent", b"= T =\n\n- a\n\t- b\n", 4, "tab"),
        _rejected("deeper-than-parent", b"= T =\n\n- a\n      - b\n", 4, "deeper than its parent"),
        _rejected("indented-first-item", b"= T =\n\nText.\n\n  - a\n", 5, "no list item above"),
        _rejected("empty-item", b"= T =\n\n- a\n-\n", 4, "empty list item"),
        _rejected("too-large", b"= Big =\n\n" + (b"word " * 1_048_576), 1, "over the limit"),
        # -- long text ------------------------------------------------------------------
        _accepted(
            "long-paragraph",
            b"= Long =\n\n" + (b"lorem ipsum " * 16_250)[:195_000] + b" " + LONG_WORD.encode() + b" end.\n",
            LONG_WORD,
            kind="long",
        ),
        _accepted("line-separator", "= Separator =\n\nOne\u2028two\u2029three.\n".encode(), "One"),
        # -- titles that must not become dangerous file names -------------------------------
        _accepted(
            "rlo-zero-width-title",
            "= Evil\u202eTitle\u200b\u200d =\n\nText.\n".encode(),
            "Text.",
            kind="slug",
            warning="U+202E (RIGHT-TO-LEFT OVERRIDE), U+200B (ZERO WIDTH SPACE), U+200D (ZERO WIDTH JOINER)",
            line=1,
        ),
        _accepted(
            "rlo-in-value",
            "= Value Spoof =\n\nInfobox\n- Country: Tajik\u202eistan\n\nText.\n".encode(),
            "Text.",
            warning="U+202E (RIGHT-TO-LEFT OVERRIDE)",
            line=4,
        ),
        _rejected("title-only-rlo", "= \u202e =\n\nText.\n".encode(), 1, "title has no visible character"),
        _rejected(
            "title-only-zero-width", "= \u200b\u2060\ufeff\u2066 =\n\nText.\n".encode(), 1, "no visible character"
        ),
        _accepted("title-etc-passwd", b"= ../../etc/passwd =\n\nText.\n", "../../etc/passwd", kind="slug"),
        _accepted(
            "title-backslash", b"= ..\\..\\Windows\\win.ini =\n\nText.\n", "..\\..\\Windows\\win.ini", kind="slug"
        ),
        _accepted("title-con", b"= CON =\n\nText.\n", "CON", kind="slug"),
        _accepted("title-com1", b"= COM1 =\n\nText.\n", "COM1", kind="slug"),
        _accepted("title-dot", b"= . =\n\nText.\n", ".", kind="slug"),
        _accepted("title-dotdot", b"= .. =\n\nText.\n", "..", kind="slug"),
        _accepted("title-slash", b"= / =\n\nText.\n", "/", kind="slug"),
        _accepted("title-index", b"= index =\n\nText.\n", "index", kind="slug"),
        _accepted("title-index-record", b"= Index Record =\n\nText.\n", "Index Record", kind="slug"),
        _accepted("title-manifest", b"= Manifest =\n\nText.\n", "Manifest", kind="slug"),
        _accepted("title-very-long", b"= " + b"Long title " * 20 + b"=\n\nText.\n", "Long title", kind="slug"),
        _accepted("same-slug-0", b"= Same Slug 2 =\n\nZeroth.\n", "Zeroth.", kind="slug"),
        _accepted("same-slug-a", b"= Same Slug! =\n\nFirst.\n", "First.", kind="slug"),
        _accepted("same-slug-b", b"= same slug =\n\nSecond.\n", "Second.", kind="slug"),
        # -- logos that name something outside the media folder ---------------------------
        _accepted(
            "logo-traversal",
            b"= Logo A =\n\nInfobox\n- Logo: ../../etc/hostname\n\nText.\n",
            kind="logo",
            warning="not loaded",
            line=4,
        ),
        _accepted(
            "logo-absolute",
            b"= Logo B =\n\nInfobox\n- Logo: File:/etc/hostname\n\nText.\n",
            kind="logo",
            warning="not loaded",
            line=4,
        ),
        _accepted(
            "logo-url",
            b"= Logo C =\n\nInfobox\n- Logo: http://example.com/x.png\n\nText.\n",
            kind="logo",
            warning="not loaded",
            line=4,
        ),
        _accepted(
            "logo-absolute-bare",
            b"= Logo D =\n\nInfobox\n- Agencyname: D\n- Logo: /etc/hostname\n\nText.\n",
            kind="logo",
            warning="not loaded",
            line=5,
        ),
        _accepted(
            "logo-file-url",
            b"= Logo E =\n\nInfobox\n- Image: file:///etc/hostname.png\n\nText.\n",
            kind="logo",
            warning="not loaded",
            line=4,
        ),
        _accepted(
            "logo-file-traversal",
            b"= Logo F =\n\nInfobox\n- Logo: File:../../etc/hostname.png\n\nText.\n",
            kind="logo",
            warning="not loaded",
            line=4,
        ),
        _accepted(
            "logo-missing",
            b"= Logo G =\n\nInfobox\n- Logo: File:No such logo.png\n\nText.\n",
            kind="logo",
            warning="not found",
            line=4,
        ),
    ]
    return result + _markup_cases()


def write_corpus(folder: Path) -> list[Case]:
    """Write every case into ``folder`` byte-exact; return the cases."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    all_cases = cases()
    for case in all_cases:
        (folder / case.file).write_bytes(case.data)
    return all_cases


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/hostile/corpus.py OUTDIR")
    for case in write_corpus(Path(sys.argv[1])):
        where = f" at line {case.line}: {case.message}" if case.outcome == "rejected" else ""
        print(f"{case.file}: {case.outcome}{where}")
