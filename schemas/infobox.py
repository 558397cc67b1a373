"""Infobox models: every field as written, plus typed profiles where a template is known.

The source text of every field is kept in :attr:`Infobox.fields`, in source order;
a typed profile adds parsed values beside it and never replaces it, so what an
output shows is always what the record says.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Line = Annotated[int | None, Field(default=None, ge=1)]

#: Readable labels for keys that run words together (Wikipedia parameter names).
KNOWN_LABELS = {
    "agencyname": "Agency name",
    "nativename": "Native name",
    "nativenamea": "Native name",
    "nativenamer": "Native name (romanised)",
    "nativenamelang": "Native name language",
    "commonname": "Common name",
    "parentagency": "Parent agency",
    "activitytype": "Activity type",
    "headquarters": "Headquarters",
    "formedyear": "Formed (year)",
    "formedmonthday": "Formed (day)",
    "dissolved": "Dissolved",
    "employees": "Employees",
    "budget": "Budget",
    "legalpersonality": "Legal personality",
    "governingbody": "Governing body",
    "sworntype": "Sworn type",
    "unsworntype": "Unsworn type",
    "unitname": "Unit name",
    "dateofbirth": "Date of birth",
    "birthdate": "Date of birth",
    "birthplace": "Place of birth",
    "deathdate": "Date of death",
    "deathplace": "Place of death",
    "commonnativename": "Native name",
    "conventionallongname": "Official name",
    "capital": "Capital",
}

#: How a numbered family (``Person1Name``, ``Person2Name``) is headed in a panel.
FAMILY_LABELS = {
    "person": "Agency executives",
    "activity": "Activities",
    "anniversary": "Anniversaries",
    "commander": "Commanders",
    "battle": "Battles",
    "chief": "Chiefs",
    "minister": "Ministers",
}

#: A family's number has at most nine digits; a key with a longer one is a plain field.
MAX_FAMILY_DIGITS = 9
_FAMILY = re.compile(r"^(?P<family>[A-Za-z]+?)(?P<index>\d{1,9})(?P<attribute>[A-Za-z_]*)$")
#: A variant of a known key: one letter (but not a plural "s") or up to three digits at its end.
_VARIANT = re.compile(r"(?P<base>.+?)(?P<suffix>[a-rt-z]|\d{1,3})")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])|[_\s]+")


def fold_key(key: str) -> str:
    """The form keys are compared in: ``Parent_agency`` and ``parentagency`` match."""
    return re.sub(r"[\s_]", "", key).casefold()


def label_for(key: str) -> str:
    """A readable label: ``Parentagency`` -> "Parent agency", ``Person1Name`` -> "Person 1 name".

    A lettered or numbered variant of a known key names its variant in brackets:
    ``Nativenameb`` -> "Native name (b)", ``Agencyname2`` -> "Agency name (2)".
    """
    folded = fold_key(key)
    known = KNOWN_LABELS.get(folded)
    if known:
        return known
    variant = _VARIANT.fullmatch(folded)
    if variant and variant["base"] in KNOWN_LABELS:
        return f"{KNOWN_LABELS[variant['base']]} ({variant['suffix']})"
    words = [w for w in _CAMEL.split(key) if w]
    if not words:
        return key
    text = " ".join([words[0]] + [w if w.isupper() and len(w) > 1 else w.lower() for w in words[1:]])
    return text[:1].upper() + text[1:]


def split_family(key: str) -> tuple[str, int, str] | None:
    """``Person1Name`` -> ("Person", 1, "Name"); None for keys with no number."""
    match = _FAMILY.match(key)
    if not match:
        return None
    return match["family"], int(match["index"]), match["attribute"]


def family_label(family: str) -> str:
    known = FAMILY_LABELS.get(family.casefold())
    if known:
        return known
    base = label_for(family)
    if fold_key(family) in KNOWN_LABELS and base.endswith(("s", ")")):  # "Headquarters", "Formed (year)"
        return base
    if base.endswith("y") and not base.endswith(("ay", "ey", "oy", "uy")):
        return base[:-1] + "ies"
    return base + ("es" if base.endswith("s") else "s")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InfoboxField(Model):
    key: str = Field(min_length=1, description="as written in the record")
    value: str = Field(description="as written in the record")
    line: Line = None

    @property
    def label(self) -> str:
        """Worked out from the key, so not part of the model's data (a dump reads back)."""
        return label_for(self.key)


class GroupEntry(Model):
    index: int
    fields: list[InfoboxField]


class FieldGroup(Model):
    """A numbered family: ``Person1Name``, ``Person1Title``, ``Person2Name`` -> two entries."""

    family: str
    label: str
    entries: list[GroupEntry]


# -- typed profile: Wikipedia's "Infobox law enforcement agency" -----------------


class Flag(Model):
    text: str
    value: bool | None = Field(description="None when the text is not yes/no")


class Number(Model):
    text: str
    value: int | None


class DayOfYear(Model):
    """``November 10 (Day of the Tajik Police)`` -> month 11, day 10, label."""

    index: int
    text: str
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)
    label: str | None = None


class PartialDate(Model):
    text: str
    year: int | None = None
    month: int | None = Field(default=None, ge=1, le=12)
    day: int | None = Field(default=None, ge=1, le=31)


class Person(Model):
    index: int
    name: str | None = None
    title: str | None = None


class Activity(Model):
    index: int
    name: str


class MediaRef(Model):
    text: str
    file: str | None = Field(description="file name inside the records' media folder")
    left_out: str | None = Field(default=None, description="why the image named is not shown, for the reader")


class LawEnforcementAgency(Model):
    agency_name: str | None = None
    native_name: str | None = None
    logo: MediaRef | None = None
    country: str | None = None
    headquarters: str | None = None
    parent_agency: str | None = None
    gendarmerie: Flag | None = None
    police: Flag | None = None
    people: list[Person] = Field(default_factory=list)
    activity_type: str | None = None
    activities: list[Activity] = Field(default_factory=list)
    anniversaries: list[DayOfYear] = Field(default_factory=list)
    motto: str | None = None
    formed: PartialDate | None = None
    employees: Number | None = None
    website: str | None = None


#: Key (folded) -> the order it takes in the key-facts panel; families by their prefix.
LAW_ENFORCEMENT_ORDER = [
    "agencyname",
    "nativename",
    "nativenamea",
    "nativenamer",
    "commonname",
    "country",
    "headquarters",
    "parentagency",
    "gendarmerie",
    "police",
    "person*",
    "activitytype",
    "activity*",
    "anniversary*",
    "motto",
    "formed",
    "formedyear",
    "formedmonthday",
    "employees",
    "website",
    "logo",
]


class Infobox(Model):
    template: str | None = Field(default=None, description="the name after 'Infobox', if any")
    profile: str | None = Field(default=None, description="typed profile applied, if any")
    line: Line = None
    fields: list[InfoboxField] = Field(default_factory=list, description="in source order")
    image: MediaRef | None = Field(default=None, description="from a Logo or Image field, any template")
    agency: LawEnforcementAgency | None = None

    @property
    def groups(self) -> list[FieldGroup]:
        """Numbered families, in order of first appearance; worked out, so not in a dump."""
        groups: dict[str, FieldGroup] = {}
        for field in self.fields:
            parts = split_family(field.key)
            if parts is None:
                continue
            family, index, _ = parts
            group = groups.setdefault(
                family.casefold(), FieldGroup(family=family, label=family_label(family), entries=[])
            )
            entry = next((e for e in group.entries if e.index == index), None)
            if entry is None:
                entry = GroupEntry(index=index, fields=[])
                group.entries.append(entry)
            entry.fields.append(field)
        return list(groups.values())
