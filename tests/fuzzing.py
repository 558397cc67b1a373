"""Generated records and the properties every one must keep; shared by tests/test_fuzz.py and scripts/fuzz.py.

Two kinds of input:

* ``random_bytes``: arbitrary bytes, and the sample record with bytes flipped, cut or inserted;
* ``articles()``: structured article texts (optional BOM, title, infobox, paragraphs, headings
  of random level and balance, list items with random indentation and markers, CRLF or LF)
  in many scripts, with combining marks, emoji, zero-width and bidi controls. Each example
  is a :class:`Generated`: the bytes plus the source strings a reader must find again.

:func:`check` asserts the properties and returns whether the record was accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hypothesis import strategies as st
from lxml import etree

from pipeline.diagnostics import RecordError
from pipeline.handbook import Handbook
from pipeline.read import parse_bytes
from pipeline.render import BuildInfo, Renderer
from pipeline.validate import Options, validate

from .conftest import SAMPLE, article_strings

LABEL = "fuzz.txt"
SLUG = "fuzz"

# -- text -------------------------------------------------------------------------
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz ABCXYZ 0123456789",
    ".,;:!?()[]{}'\"&<>/\\#%*+=-_|~`@$^",  # markup-ish punctuation, XML specials
    "Қӯшунҳои дохилии Тоҷикистон ЖЩЯ",  # Cyrillic
    "العربية شرطة الخليج ٠١٢ ،؛",  # Arabic
    "עברית שלום ְ",  # Hebrew (with a point)
    "Ελληνικά αβγ 中文 日本語 한국어",
    "e\u0301a\u0300o\u0308\u0327\u20dd",  # combining marks
    "😀🛡️👩‍👩‍👧🇹🇯",  # emoji, ZWJ sequences, flags
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width
    "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069",  # bidi controls
    " \t\u00a0\u2009\u3000",  # whitespace of several kinds
    "\u00ad\u2010\u2011\u2013\u2014",  # soft hyphen, hyphens, dashes
    "\u2028\u2029\ufdd0\U0001fffe\ue000\U000e0041\u0300\u034f",  # separators, non- and private characters, tags
]
chunk = st.sampled_from(ALPHABETS).flatmap(lambda a: st.text(alphabet=a, min_size=1, max_size=10))
raw_text = st.lists(chunk, min_size=1, max_size=5).map("".join)

_LINE_START = re.compile(r"[=\-]|\d{1,9}[.)](?:[ \t]|$)|Infobox")


def _safe(value: str) -> str:
    """Content that the reader takes as plain text wherever it stands on a line."""
    value = value.strip()
    if not value or _LINE_START.match(value):
        value = "x" + value
    if value.endswith("="):
        value += "x"
    return value


content = raw_text.map(_safe)


def _no_separator(key: str) -> str:
    """An infobox key has no ': ' in it (the first one ends the key)."""
    while ": " in key:
        key = key.replace(": ", ":")
    return key


def collapse(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


# -- structured articles ----------------------------------------------------------
@dataclass
class Generated:
    data: bytes
    #: The source strings a reader must find in the output, when the generator knows
    #: exactly how each line is read (no raw noise lines were added).
    strings: list[str] = field(default_factory=list)
    exact: bool = True

    def __repr__(self) -> str:  # hypothesis prints this for a failing example
        return f"Generated(data={self.data!r}, exact={self.exact})"


INFOBOX_KEYS = [
    "Agencyname",
    "Nativenamea",
    "Country",
    "Police",
    "Gendarmerie",
    "Headquarters",
    "Anniversary1",
    "Person1Name",
    "Person2Title",
    "Activity1Name",
    "Logo",
    "Formed",
    "Employees",
    "Website",
    "Motto",
]

#: Numbered family keys (``Person1Name``), with odd numbers: 0, leading zeros, very long.
family_keys = st.builds(
    "{}{}{}".format,
    st.sampled_from(["Person", "person", "Activity", "Anniversary", "Unit", "Person_"]),
    st.integers(0, 12).map(str) | st.from_regex(r"\A0*[0-9]{1,25}\Z"),
    st.sampled_from(["Name", "Title", "name", "", "Type", "_Name"]),
)
#: Values the agency profile parses (dates, numbers, days, flags, addresses, logos), valid or nearly.
typed_values = st.sampled_from(
    [
        "yes",
        "no",
        "YES",
        "n",
        "maybe",
        "1993",
        "0000",
        "99999",
        "11,000",
        "about 11,000+ (2020)",
        "~5",
        "1 000 000",
        "c. 12,00",
        "November 10 (Police Day)",
        "10 November",
        "Feb. 30",
        "31 June (x)",
        "April 10 ((nested))",
        "10 April 1993",
        "April 10, 1993",
        "1993-04-10",
        "2023-02-29",
        "0000-02-29",
        "1993-13-01",
        "April 0",
        "Smarch 1993",
        "example.org",
        "https://example.org/a?b#c",
        "http://x",
        "File:Police of Tajikistan.png",
        "Image:../../etc/passwd.png",
        "File:.hidden.png",
        "File:a:b.svg",
        "File:a.PNG",
        "File:",
    ]
)


@st.composite
def _list_lines(draw, strings: list[str]) -> list[str]:
    lines: list[str] = []
    depth = 0
    for index in range(draw(st.integers(1, 6))):
        style = draw(st.sampled_from(["ok"] * 8 + ["odd", "tab", "deep"]))
        depth = 0 if index == 0 else draw(st.integers(0, depth + 1))
        indent = "  " * depth
        if style == "odd":
            indent += " "
        elif style == "tab":
            indent = "\t" + indent
        elif style == "deep":
            indent += "    "
        marker = draw(st.sampled_from(["-", "1.", "2)", "10.", "999999999)", "0."]))
        text = draw(content)
        lines.append(f"{indent}{marker}{draw(st.sampled_from([' ', '  ', chr(9)]))}{text}")
        if draw(st.integers(0, 5)) == 0:  # continuation line, indented
            more = draw(content)
            lines.append(f"{' ' * draw(st.integers(1, 6))}{more}")
            text = f"{text} {more}"
        strings.append(text)
    return lines


@st.composite
def articles(draw) -> Generated:
    strings: list[str] = []
    exact = True
    lines: list[str] = [""] * draw(st.integers(0, 2))
    title = draw(content)
    lines.append(f"={draw(st.sampled_from([' ', '  ', '']))}{title}{draw(st.sampled_from([' ', '']))}=")
    strings.append(title)
    lines.append("")
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["Infobox", "Infobox law enforcement agency", "Infobox settlement"])))
        for _ in range(draw(st.integers(0, 6))):
            key = draw(st.sampled_from(INFOBOX_KEYS) | family_keys | content.map(_no_separator))
            value = draw(content | typed_values)
            lines.append(f"- {key}: {value}")
            strings.append(value)
        lines.append("")
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["paragraph"] * 3 + ["heading"] * 2 + ["list"] * 2 + ["noise"]))
        if kind == "paragraph":
            parts = draw(st.lists(content, min_size=1, max_size=3))
            lines.extend(parts)
            strings.append(" ".join(parts))
        elif kind == "heading":
            level = draw(st.integers(2, 7))
            right = level if draw(st.integers(0, 4)) else draw(st.integers(1, 7))
            title = draw(content)
            pad = draw(st.sampled_from([" ", "", "  "]))
            lines.append(f"{'=' * level}{pad}{title}{pad}{'=' * right}")
            strings.append(title)
        elif kind == "list":
            lines.extend(draw(_list_lines(strings)))
        else:  # raw noise: anything at all, read however the reader reads it
            lines.append(draw(raw_text | st.sampled_from(["=", "==", "= =", "- ", "-", "1.", "Infobox", "\x00"])))
            exact = False
        lines.append("")
    endings = draw(st.sampled_from(["lf", "crlf", "mixed"]))
    if endings == "lf":
        text = "\n".join(lines)
    elif endings == "crlf":
        text = "\r\n".join(lines)
    else:
        text = "".join(line + draw(st.sampled_from(["\n", "\r\n"])) for line in lines)
    if draw(st.booleans()):
        text += "\n"
    data = text.encode("utf-8")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return Generated(data, [s for s in strings if s.strip()], exact)


# -- random bytes -----------------------------------------------------------------
_SAMPLE = SAMPLE.read_bytes()


@st.composite
def _mutated_sample(draw) -> bytes:
    data = bytearray(_SAMPLE)
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 40))]
        elif action == "cut":
            del data[where:]
    return bytes(data)


random_bytes = st.one_of(
    st.binary(max_size=400),
    st.lists(st.sampled_from([b"=", b" ", b"-", b"\n", b"\r", b"\t", b"1.", b"x", b"\xef\xbb\xbf", b"\xff"])).map(
        b"".join
    ),
    _mutated_sample(),
)

# -- the properties ---------------------------------------------------------------
_RENDERER: Renderer | None = None


def renderer() -> Renderer:
    """One renderer for the whole run (loading templates is the slow part)."""
    global _RENDERER
    if _RENDERER is None:
        _RENDERER = Renderer(BuildInfo.create())
    return _RENDERER


def chapter_xhtml(article) -> bytes:
    """The record's chapter as the handbook writes it.

    ``Handbook.files()`` starts from ``Handbook.documents`` and adds stylesheets and a font
    subset; subsetting costs over a second per call, so the properties read the chapter from
    ``documents`` (the same bytes: test_fuzz checks ``files()`` agrees).
    """
    view = renderer().view(article, SLUG)
    return Handbook(renderer(), [view]).documents[f"{SLUG}.xhtml"]


def check(example: Generated | bytes) -> bool:
    """Assert the properties for one input; return whether the record was accepted."""
    generated = example if isinstance(example, Generated) else Generated(example, [], exact=False)
    data = generated.data
    last = data.count(b"\n") + 1
    try:  # nothing may escape but the project's own RecordError (designed never to be raised here)
        # characters no font has are their own error (tests/test_glyphs.py); here they must
        # still reach the renderer, so the properties cover the hostile alphabets end to end
        outcome = validate(parse_bytes(data, LABEL), Options(allow_missing_glyphs=True))
    except RecordError as error:
        diagnostics, article = error.diagnostics, None
    else:
        diagnostics, article = outcome.diagnostics, outcome.article
    for diagnostic in diagnostics:
        assert 1 <= diagnostic.line <= last, (str(diagnostic), last)
        assert diagnostic.path == LABEL, str(diagnostic)
    if article is None:
        return False
    chapter = chapter_xhtml(article)
    root = etree.fromstring(chapter, etree.XMLParser(resolve_entities=False, no_network=True))
    shown = collapse("".join(root.itertext()))
    expected = article_strings(article)
    if generated.exact:
        expected += generated.strings
    for string in expected:
        assert collapse(string) in shown, f"{string!r} is missing from the chapter"
    return True
