"""Cross-links: where one record names another record of the same build.

A reader of a set of records wants to follow "the Interior Ministry" to its own
chapter. Each record is known by its title, its infobox name fields and the
aliases it lists; one Aho-Corasick automaton (``pyahocorasick``) holds every
name of every record, so linking costs one pass over each text whatever the
number of records. A match must stand as whole words, as written (case and
diacritics count), the longest name wins, a record never links to itself, and
only the first mention of each record in a section is linked. The result is
data: each linked text cut into segments that join back to the text exactly;
the templates turn segments into links.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

import ahocorasick

from schemas import Article, Block, ListBlock, Paragraph, fold_key

#: Infobox keys (folded) whose values name the record itself.
NAME_KEYS = {
    "agencyname",
    "nativename",
    "nativenamea",
    "nativenamer",
    "commonname",
    "commonnativename",
    "conventionallongname",
    "unitname",
    "name",
}
#: Infobox key (folded) that lists other names of the record, separated by ";".
ALIAS_KEYS = {"aliases", "alias", "alsoknownas"}


@dataclass(frozen=True)
class Segment:
    """A stretch of a text; ``target`` is the slug of the record it names, if linked."""

    text: str
    target: str | None = None


@dataclass(frozen=True)
class Related:
    slug: str
    title: str


@dataclass
class RecordLinks:
    """One record's links: the segments of each linked text, whom it names, who names it."""

    slug: str
    parts: dict[int, tuple[Segment, ...]] = field(default_factory=dict)  # id(node) -> segments
    mentions: list[Related] = field(default_factory=list)  # records this one names, first mention first
    mentioned_in: list[Related] = field(default_factory=list)  # records naming this one, in build order

    def segments(self, node: object) -> tuple[Segment, ...] | None:
        """The segments of a paragraph, list item or infobox field that holds a link, else None."""
        return self.parts.get(id(node))

    @property
    def related(self) -> list[Related]:
        """Records this one names, then records that name it: the fact sheet's "See also"."""
        seen = {r.slug for r in self.mentions}
        return self.mentions + [r for r in self.mentioned_in if r.slug not in seen]


def names_of(article: Article) -> list[str]:
    """The names a record is known by: its title, name fields and listed aliases."""
    names = [article.title]
    if article.native_name:
        names.append(article.native_name.text)
    for f in article.infobox.fields if article.infobox else []:
        key = fold_key(f.key)
        if key in NAME_KEYS:
            names.append(f.value)
        elif key in ALIAS_KEYS:
            names.extend(f.value.split(";"))
    return list(dict.fromkeys(n.strip() for n in names if len(n.strip()) >= 2))


def _wordlike(char: str) -> bool:
    return char.isalnum() or char == "_" or unicodedata.category(char).startswith("M")


class Matcher:
    """Every name of every record in one automaton."""

    def __init__(self, records: list[tuple[str, Article]]):
        owners: dict[str, set[str]] = {}
        for slug, article in records:
            for name in names_of(article):
                owners.setdefault(name, set()).add(slug)
        self.automaton = ahocorasick.Automaton()
        for name, slugs in owners.items():
            if len(slugs) == 1:  # a name two records share links to neither
                self.automaton.add_word(name, (len(name), next(iter(slugs))))
        self.empty = len(self.automaton) == 0
        if not self.empty:
            self.automaton.make_automaton()

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Non-overlapping whole-word matches (start, end, slug): leftmost, then longest."""
        if self.empty:
            return []
        found = []
        for end, (length, slug) in self.automaton.iter(text):
            start, stop = end - length + 1, end + 1
            if (start > 0 and _wordlike(text[start - 1])) or (stop < len(text) and _wordlike(text[stop])):
                continue
            found.append((start, stop, slug))
        found.sort(key=lambda m: (m[0], -(m[1] - m[0])))
        chosen: list[tuple[int, int, str]] = []
        for match in found:
            if not chosen or match[0] >= chosen[-1][1]:
                chosen.append(match)
        return chosen


def _scopes(article: Article) -> Iterator[list[tuple[object, str]]]:
    """The texts of each section (infobox, lead, each section), in reading order; never headings."""
    if article.infobox:
        yield [(f, f.value) for f in article.infobox.fields if fold_key(f.key) not in NAME_KEYS | ALIAS_KEYS]
    yield list(_block_texts(article.lead))
    for section in article.sections:
        yield list(_block_texts(section.blocks))


def _block_texts(blocks: list[Block]) -> Iterator[tuple[object, str]]:
    for block in blocks:
        if isinstance(block, Paragraph):
            yield block, block.text
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield item, item.text
                for child in item.children:
                    yield from _block_texts([child])


def link(records: list[tuple[str, Article]]) -> dict[str, RecordLinks]:
    """Links of every record of a build, keyed by slug; names only records in ``records``."""
    matcher = Matcher(records)
    titles = {slug: article.title for slug, article in records}
    result = {slug: RecordLinks(slug) for slug, _ in records}
    for slug, article in records:
        links = result[slug]
        named: dict[str, None] = {}
        for scope in _scopes(article):
            linked: set[str] = set()
            for node, text in scope:
                segments: list[Segment] = []
                position = 0
                for start, stop, target in matcher.find(text):
                    if target == slug or target in linked:
                        continue
                    linked.add(target)
                    named.setdefault(target)
                    if start > position:
                        segments.append(Segment(text[position:start]))
                    segments.append(Segment(text[start:stop], target))
                    position = stop
                if segments:
                    if position < len(text):
                        segments.append(Segment(text[position:]))
                    links.parts[id(node)] = tuple(segments)
        links.mentions = [Related(target, titles[target]) for target in named]
    for slug, _ in records:
        for related in result[slug].mentions:
            result[related.slug].mentioned_in.append(Related(slug, titles[slug]))
    return result
