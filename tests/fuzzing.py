"""Generated article texts and the properties every one must keep (tests and scripts/fuzz.py)."""

from __future__ import annotations

import re

from hypothesis import strategies as st
from lxml import etree

from pipeline.diagnostics import RecordError
from pipeline.handbook import Handbook
from pipeline.read import parse_bytes
from pipeline.render import BuildInfo, Renderer
from pipeline.validate import validate

from .conftest import article_strings

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.,;:()'\"&<>/-",
    "Қӯшунҳои дохилии Тоҷикистон ЖЩЯ",
    "العربية شرطة الخليج ٠١٢",
    "עברית שלום",
    "Ελληνικά αβγ",
    "e\u0301a\u0300o\u0308",  # combining marks
    "😀🛡️",
    "\u200b\u200d\u202e\u202c\u2066\u2069",  # zero-width and bidi controls
    "=- \t",
]
text = st.lists(
    st.sampled_from(ALPHABETS).flatmap(lambda a: st.text(alphabet=a, min_size=1, max_size=12)), min_size=1, max_size=6
).map("".join)
words = text.map(lambda s: s.replace("\n", " ").strip()).filter(bool)


@st.composite
def article_texts(draw) -> bytes:
    lines = []
    if draw(st.booleans()):
        lines.append(f"= {draw(words)} =")
    else:
        lines.append(draw(words))
    lines.append("")
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["Infobox", "Infobox law enforcement agency", "Infobox x"])))
        for _ in range(draw(st.integers(0, 6))):
            key = draw(st.sampled_from(["Country", "Police", "Anniversary1", "Person1Name", "Logo", "Motto"]) | words)
            lines.append(f"- {key}: {draw(words)}" if draw(st.integers(0, 9)) else f"- {key}")
        lines.append("")
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["para", "heading", "list", "blank", "raw"]))
        if kind == "para":
            lines.append(draw(words))
        elif kind == "heading":
            left, right = draw(st.integers(1, 8)), draw(st.integers(1, 8))
            if draw(st.booleans()):
                right = left
            lines.append("=" * left + draw(st.sampled_from(["", " "])) + draw(words) + " " + "=" * right)
        elif kind == "list":
            indent = draw(st.integers(0, 7))
            marker = draw(st.sampled_from(["- ", "1. ", "12) ", "-"]))
            lines.append(" " * indent + marker + draw(words))
        elif kind == "raw":
            lines.append(draw(text))
        else:
            lines.append("")
    data = "\n".join(lines).encode("utf-8")
    if draw(st.booleans()):
        data = data.replace(b"\n", b"\r\n")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data


random_bytes = st.binary(max_size=400)
_RENDERER: Renderer | None = None


def collapse(value: str) -> str:
    return re.sub(r"\s+", " ", value).strip()


def check(data: bytes) -> bool:
    """The properties; returns whether the record was accepted. Raises AssertionError on a violation."""
    global _RENDERER
    try:
        outcome = validate(parse_bytes(data, "fuzz.txt"))
    except RecordError:
        return False
    last = data.count(b"\n") + 1
    for diagnostic in outcome.diagnostics:
        assert 1 <= diagnostic.line <= last, (diagnostic, last)
        assert diagnostic.path == "fuzz.txt"
    article = outcome.article
    if article is None:
        return False
    if _RENDERER is None:
        _RENDERER = Renderer(BuildInfo.create())
    view = _RENDERER.view(article, "fuzz")
    chapter = Handbook(_RENDERER, [view]).files()["fuzz.xhtml"]
    root = etree.fromstring(chapter, etree.XMLParser(resolve_entities=False, no_network=True))
    shown = collapse("".join(root.itertext()))
    strings = article_strings(article)
    for string in strings:
        assert collapse(string) in shown, string
    return True
