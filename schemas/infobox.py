"""Infobox models: every field as written, plus typed profiles where a template is known.

The source text of every field is kept in :attr:`Infobox.fields`, in source order;
a typed profile adds parsed values beside it and never replaces it, so what an
output shows is always what the record says.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from schemas.keys import MAX_FAMILY_DIGITS, fold_key, split_family
from schemas.profiles import GENERIC, profile_for

__all__ = ["MAX_FAMILY_DIGITS", "family_label", "fold_key", "label_for", "split_family"]

Line = Annotated[int | None, Field(default=None, ge=1)]


def label_for(key: str) -> str:
    """A readable label whatever the template: ``Parentagency`` -> "Parent agency", ``Person1Name`` -> "Person 1 name".

    A lettered or numbered variant of a known key names its variant in brackets:
    ``Nativenameb`` -> "Native name (b)", ``Agencyname2`` -> "Agency name (2)".
    A profile may label its own keys otherwise (``profile_for(infobox).label``).
    """
    return GENERIC.label(key)


def family_label(family: str) -> str:
    """How a numbered family is headed whatever the template: ``Commander`` -> "Commanders"."""
    return GENERIC.family_label(family)


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


class MediaRef(Model):
    text: str
    file: str | None = Field(description="file name inside the records' media folder")
    left_out: str | None = Field(default=None, description="why the image named is not shown, for the reader")


class Infobox(Model):
    template: str | None = Field(default=None, description="the name after 'Infobox', if any")
    profile: str | None = Field(default=None, description="typed profile applied, if any")
    line: Line = None
    fields: list[InfoboxField] = Field(default_factory=list, description="in source order")
    image: MediaRef | None = Field(default=None, description="from a Logo or Image field, any template")
    typed: dict[str, Any] | None = Field(
        default=None,
        description="values read by the profile's parsers, as its model dumps them; the text stays in 'fields'",
    )

    @property
    def values(self) -> BaseModel | None:
        """The typed values as the profile's own model (``values.employees.as_of``); None for the generic one."""
        model = profile_for(self).model
        return model.model_validate(self.typed) if model is not None and self.typed is not None else None

    @property
    def missing(self) -> list[str]:
        """Labels of the fields the profile expects and this infobox lacks (the completeness report)."""
        return profile_for(self).missing(self.fields)

    @property
    def groups(self) -> list[FieldGroup]:
        """Numbered families, in order of first appearance; worked out, so not in a dump."""
        groups: dict[str, FieldGroup] = {}
        profile = profile_for(self)
        for field in self.fields:
            parts = profile.split(field.key)
            if parts is None:
                continue
            family, index, _ = parts
            group = groups.setdefault(
                family.casefold(),
                FieldGroup(family=family, label=profile.family_label(family), entries=[]),
            )
            entry = next((e for e in group.entries if e.index == index), None)
            if entry is None:
                entry = GroupEntry(index=index, fields=[])
                group.entries.append(entry)
            entry.fields.append(field)
        return list(groups.values())
