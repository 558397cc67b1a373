"""What a profile is: one infobox template's keys, written as data.

A profile lists every key it knows once, in panel order: its folded spelling and
aliases, the typed attribute it fills, the parser that reads it, its label, and
whether it is a PDF keyword and whether records of the template usually have it.
Numbered families (``Person1Name``, ``Person1Title``) are listed the same way.
Everything the validator, the panel and the completeness report need is worked
out from that listing, so a new template is one new module.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from schemas.keys import VARIANT, fold_key, split_family, words_label
from schemas.profiles import parsers
from schemas.profiles.parsers import Parser

#: The generic profile's labels: how a common key reads in any record (filled by the registry).
COMMON_LABELS: dict[str, str] = {}
#: The generic profile's headings of numbered families.
COMMON_FAMILY_LABELS: dict[str, str] = {}
#: Where a logo is looked for when the profile names no key of its own (in source order).
IMAGE_KEYS = ("logo", "image", "insignia", "flag", "seal")


@dataclass(frozen=True)
class Key:
    """One infobox key: ``Key("parentagency", "parent_agency", label="Parent agency", keyword=True)``."""

    key: str
    attribute: str
    parser: Parser = parsers.text
    label: str = ""
    aliases: tuple[str, ...] = ()
    keyword: bool = False
    expected: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (fold_key(self.key), *(fold_key(a) for a in self.aliases))

    @property
    def shown(self) -> str:
        return self.label or words_label(self.key)


@dataclass(frozen=True)
class Member:
    """One attribute of a numbered family's entry: ``Member("title", "title")`` for ``Person1Title``."""

    key: str  # "" for the family's own value (``Anniversary1``)
    attribute: str
    parser: Parser = parsers.text
    label: str = ""


@dataclass(frozen=True)
class Family:
    """A numbered family: ``Person1Name``, ``Person2Name`` -> one panel row, a list of typed entries."""

    prefix: str
    attribute: str
    label: str
    members: tuple[Member, ...] = ()
    keyword: bool = False
    expected: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (fold_key(self.prefix),)

    @property
    def shown(self) -> str:
        return self.label


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Profile:
    """One infobox template as data, and what the stages ask of it.

    ``name`` is what a record's outputs call it ("military unit"); ``templates``
    are the names after "Infobox" that choose it; ``signature`` weighs the keys
    (or ``prefix*`` families) that choose it for a bare ``Infobox`` line: the
    profile whose keys a record has weigh most wins. ``ordered``
    False keeps the panel in source order (the generic profile). ``typed`` False
    stores no typed values (the generic profile lists keys for labels only).
    """

    name: str
    entries: list[Key | Family]
    templates: tuple[str, ...] = ()
    signature: dict[str, int] = field(default_factory=dict)
    image_keys: tuple[str, ...] = IMAGE_KEYS
    ordered: bool = True
    typed: bool = True
    description: str = ""
    _by_key: dict[str, Key] = field(init=False, repr=False)
    _families: dict[str, Family] = field(init=False, repr=False)
    _rank: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_key, self._families, self._rank = {}, {}, {}
        seen: set[str] = set()
        for rank, entry in enumerate(self.entries):
            for name in entry.names:
                if name in seen:
                    raise ValueError(f"profile {self.name!r} lists the key {name!r} twice")
                seen.add(name)
                if isinstance(entry, Family):
                    self._families[name] = entry
                    self._rank[f"{name}*"] = rank
                else:
                    self._by_key[name] = entry
                    self._rank[name] = rank

    # -- identity -----------------------------------------------------------------
    @property
    def id(self) -> str:
        """The name on the command line: ``military-unit``."""
        return self.name.replace(" ", "-")

    @property
    def template_names(self) -> tuple[str, ...]:
        """Folded template names that choose this profile (its own name first)."""
        return tuple(dict.fromkeys(fold_key(t.replace("-", " ")) for t in (self.name, *self.templates)))

    def score(self, keys: set[str]) -> int:
        """The weights of the signature keys (folded, families as ``prefix*``) a bare infobox has."""
        return sum(weight for key, weight in self.signature.items() if fold_key(key) in keys)

    # -- the panel ------------------------------------------------------------------
    def label(self, key: str) -> str:
        """A readable label: the profile's own, a variant of one ("Native name (b)"), else from the words."""
        folded = fold_key(key)
        own = self._by_key.get(folded)
        if own is not None:
            return own.shown
        if folded in COMMON_LABELS:
            return COMMON_LABELS[folded]
        variant = VARIANT.fullmatch(folded)
        if variant:
            base = self._by_key.get(variant["base"])
            known = base.shown if base is not None else COMMON_LABELS.get(variant["base"])
            if known:
                return f"{known} ({variant['suffix']})"
        return words_label(key)

    def split(self, key: str) -> tuple[str, int, str] | None:
        """Like ``split_family``, but a key this profile lists is never a family (``Areatotalkm2``)."""
        return None if fold_key(key) in self._by_key else split_family(key)

    def knows(self, key: str) -> bool:
        """True when the key has a label of its own here or in any profile (not made from its words)."""
        folded = fold_key(key)
        return folded in self._by_key or folded in COMMON_LABELS

    def entry_label(self, key: str) -> str:
        """How another field of a numbered entry is labelled: ``Person1Title`` -> "Title"."""
        parts = split_family(key)
        if parts is None:
            return self.label(key)
        family = self._families.get(fold_key(parts[0]))
        member = next((m for m in family.members if m.key == fold_key(parts[2])), None) if family else None
        if member is not None and member.label:
            return member.label
        return self.label(parts[2] or key)

    def family_label(self, family: str) -> str:
        """How a numbered family is headed: ``Person`` -> "Agency executives", else a plural of its label."""
        folded = fold_key(family)
        own = self._families.get(folded)
        if own is not None:
            return own.label
        if folded in COMMON_FAMILY_LABELS:
            return COMMON_FAMILY_LABELS[folded]
        base = self.label(family)
        if self.knows(family) and base.endswith(("s", ")")):  # "Headquarters", "Formed (year)"
            return base
        if base.endswith("y") and not base.endswith(("ay", "ey", "oy", "uy")):
            return base[:-1] + "ies"
        return base + ("es" if base.endswith("s") else "s")

    def rank(self, key: str) -> int:
        """Panel order: the key's place in the listing; a family (``person*`` or ``Person1Name``) by its prefix."""
        if not self.ordered:
            return 0
        if key.endswith("*"):
            return self._rank.get(fold_key(key[:-1]) + "*", len(self.entries))
        parts = split_family(key)
        if parts is not None and fold_key(parts[0]) in self._families:
            return self._rank[fold_key(parts[0]) + "*"]
        return self._rank.get(fold_key(key), len(self.entries))

    def is_keyword(self, key: str) -> bool:
        """True when the key's value goes into the PDF's keywords."""
        entry = self._by_key.get(fold_key(key))
        return entry is not None and entry.keyword

    # -- typed values -----------------------------------------------------------------
    @functools.cached_property
    def model(self) -> type[BaseModel] | None:
        """The pydantic model of the typed values, made on first use (only the profiles a batch meets)."""
        return self._make_model() if self.typed else None

    def parse(self, fields: list[Any]) -> tuple[BaseModel | None, list[tuple[Any, str]]]:
        """Fields (``key``, ``value``) -> the typed model and the problems as (field, words).

        The first non-empty field of a key (or of its aliases) fills its attribute;
        numbered families fill a list of entries in order of their number.
        """
        if self.model is None:
            return None, []
        data: dict[str, Any] = {"profile": self.name}
        entries: dict[str, dict[int, dict[str, Any]]] = {}
        problems: list[tuple[Any, str]] = []
        for f in fields:
            if not f.value:
                continue
            key = self._by_key.get(fold_key(f.key))
            if key is not None:
                if key.attribute not in data:
                    value, problem = key.parser(f.value)
                    data[key.attribute] = value
                    if problem:
                        problems.append((f, problem))
                continue
            parts = self.split(f.key)
            family = self._families.get(fold_key(parts[0])) if parts else None
            if family is None:
                continue
            member = next((m for m in family.members if m.key == fold_key(parts[2])), None)
            if member is None:
                continue
            entry = entries.setdefault(family.attribute, {}).setdefault(parts[1], {"index": parts[1]})
            if member.attribute not in entry:
                value, problem = member.parser(f.value)
                entry[member.attribute] = value
                if problem:
                    problems.append((f, problem))
        for attribute, found in entries.items():
            data[attribute] = [found[i] for i in sorted(found)]
        return self.model.model_validate(data), problems

    def missing(self, fields: list[Any]) -> list[str]:
        """Labels of the expected keys and families that no field fills (empty values count as missing)."""
        present = set()
        for f in fields:
            if not f.value.strip():
                continue
            present.add(fold_key(f.key))
            parts = self.split(f.key)
            if parts is not None:
                present.add(fold_key(parts[0]) + "*")
        lacking = []
        for entry in self.entries:
            if not entry.expected:
                continue
            names = [f"{n}*" for n in entry.names] if isinstance(entry, Family) else entry.names
            if not any(n in present for n in names):
                lacking.append(entry.shown)
        return lacking

    @property
    def expected(self) -> list[str]:
        return [entry.shown for entry in self.entries if entry.expected]

    def image_field(self, fields: list[Any]) -> Any | None:
        """The field whose image is the record's logo: the profile's image keys first, then any logo-like key."""
        for keys in (self.image_keys, IMAGE_KEYS):
            found = next((f for f in fields if fold_key(f.key) in keys and f.value), None)
            if found is not None:
                return found
        return None

    def _make_model(self) -> type[BaseModel]:
        """The pydantic model of this profile's typed values: one attribute per key, a list per family."""
        name = "".join(word.capitalize() for word in self.name.split()) + "Values"
        attributes: dict[str, Any] = {
            "profile": (Literal[self.name], Field(description="the profile these values were read by")),
        }
        for rank, entry in enumerate(self.entries):
            extra = {
                "x-keys": list(entry.names),
                "x-rank": rank,
                "x-keyword": entry.keyword,
                "x-expected": entry.expected,
            }
            if isinstance(entry, Key):
                attributes[entry.attribute] = (
                    entry.parser.type | None,
                    Field(
                        default=None,
                        title=entry.shown,
                        description=f"from '{entry.key}'; {entry.parser.doc}",
                        json_schema_extra={**extra, "x-parser": entry.parser.name},
                    ),
                )
                continue
            members: dict[str, Any] = {"index": (int, Field(description="the number in the key"))}
            for member in entry.members:
                members[member.attribute] = (
                    member.parser.type | None,
                    Field(
                        default=None,
                        title=member.label or words_label(member.key or member.attribute),
                        description=f"from '{entry.prefix}N{member.key.capitalize()}'; {member.parser.doc}",
                        json_schema_extra={"x-parser": member.parser.name},
                    ),
                )
            entry_model = create_model(
                name.removesuffix("Values") + "".join(w.capitalize() for w in entry.attribute.split("_")) + "Entry",
                __base__=_Model,
                **members,
            )
            attributes[entry.attribute] = (
                list[entry_model],
                Field(
                    default_factory=list,
                    title=entry.label,
                    description=f"numbered keys '{entry.prefix}1…', '{entry.prefix}2…', in order",
                    json_schema_extra=extra,
                ),
            )
        model = create_model(name, __base__=_Model, __doc__=self.description or None, **attributes)
        return model
