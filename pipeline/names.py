"""The index of names: people, places and organisations the records' infoboxes name.

A reader looking for "Dushanbe" or a commander wants every record that names
them. Only infobox fields are read: their keys say what a value is (a person, a
place, an organisation), so nothing is guessed from running text. A name is
indexed as written; the same words in two records make one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Article, fold_key, split_family

#: Numbered families (``Person1Name``, ``Commander2``) whose main value is a person.
PEOPLE_FAMILIES = {"person", "commander", "chief", "minister", "director", "leader", "head", "keyperson"}
#: Plain keys (folded) whose value is a person.
PEOPLE_KEYS = PEOPLE_FAMILIES | {"chiefexecutive", "founder", "keypeople", "notablecommanders"}
PLACE_KEYS = {
    "headquarters",
    "country",
    "location",
    "garrison",
    "capital",
    "city",
    "birthplace",
    "deathplace",
    "placeofbirth",
    "placeofdeath",
}
ORGANISATION_KEYS = {
    "parentagency",
    "parentorganisation",
    "parentorganization",
    "childagency",
    "governingbody",
    "superioragency",
    "partof",
    "allegiance",
    "branch",
    "affiliation",
}
#: The kinds of names, in index order; the templates give each its heading.
KINDS = ("people", "places", "organisations")


@dataclass(frozen=True)
class Mention:
    """One record naming the entry: in which field (its label) and on which source line."""

    slug: str
    title: str
    label: str
    line: int | None


@dataclass
class Entry:
    name: str
    mentions: list[Mention] = field(default_factory=list)


@dataclass
class Group:
    kind: str  # "people", "places" or "organisations"
    entries: list[Entry]


def kind_of(key: str) -> str | None:
    """What an infobox key's value names: "people", "places", "organisations" or None."""
    parts = split_family(key)
    if parts is not None:
        family, _, attribute = parts
        if fold_key(attribute) not in ("", "name"):
            return None  # Person1Title is not a name
        base = fold_key(family)
        if base in PEOPLE_FAMILIES:
            return "people"
    else:
        base = fold_key(key)
    if base in PEOPLE_KEYS:
        return "people"
    if base in PLACE_KEYS:
        return "places"
    if base in ORGANISATION_KEYS:
        return "organisations"
    return None


def name_index(records: list[tuple[str, Article]]) -> list[Group]:
    """The groups of the index, each sorted by name (case folded); records in build order."""
    found: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
    for slug, article in records:
        for f in article.infobox.fields if article.infobox else []:
            kind = kind_of(f.key)
            name = f.value.strip()
            if kind is None or not name:
                continue
            entry = found[kind].setdefault(name, Entry(name))
            if all(m.slug != slug for m in entry.mentions):
                entry.mentions.append(Mention(slug, article.title, f.label, f.line))
    return [
        Group(kind, sorted(found[kind].values(), key=lambda e: (e.name.casefold(), e.name)))
        for kind in KINDS
        if found[kind]
    ]
