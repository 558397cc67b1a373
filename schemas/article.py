"""The contract between reading and rendering: a validated article.

A record authored as JSON is checked against :mod:`schemas.authored`, which shares
the block models below; the resolved :class:`Article` adds what validation works
out. Line numbers are optional so that hand-authored JSON does not have to invent them.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.infobox import Infobox

NonEmpty = Annotated[str, Field(min_length=1)]
Line = Annotated[int | None, Field(default=None, ge=1, description="1-based source line")]
#: A BCP 47 language tag such as 'en', 'tg-Cyrl' or 'und-Arab'.
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$", max_length=64)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Provenance(Model):
    """Where the text came from, so every output can say so."""

    path: str = Field(description="source file, relative to the records folder")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hash of the source bytes")
    licence: str | None = Field(default=None, description="e.g. 'CC BY-SA 4.0'")
    attribution: str | None = Field(default=None, description="who wrote the text, and where")


class Paragraph(Model):
    kind: Literal["paragraph"] = "paragraph"
    text: NonEmpty
    line: Line = None


class ListItem(Model):
    text: NonEmpty
    line: Line = None
    number: int | None = Field(default=None, ge=0, description="as written, for numbered lists")
    children: list[ListBlock] = Field(default_factory=list)


class ListBlock(Model):
    kind: Literal["list"] = "list"
    ordered: bool = False
    items: list[ListItem] = Field(min_length=1)
    line: Line = None


Block = Annotated[Paragraph | ListBlock, Field(discriminator="kind")]


class Section(Model):
    title: NonEmpty
    level: int = Field(ge=2, le=6, description="2 for '== X ==', 3 for '=== X ===' ...")
    line: Line = None
    blocks: list[Block] = Field(default_factory=list)


class ScriptText(Model):
    """Text in a script of its own, with what a reader needs to show it right."""

    text: NonEmpty
    lang: Language = Field(description="BCP 47 tag, e.g. 'tg-Cyrl' or 'und-Arab'")
    dir: Literal["ltr", "rtl"] = "ltr"


class Article(Model):
    """One record: an organisation, person or place, ready to render."""

    title: NonEmpty
    title_line: Line = None
    lang: Language = Field(default="en", description="language of the text as a whole")
    native_name: ScriptText | None = None
    infobox: Infobox | None = None
    lead: list[Block] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    provenance: Provenance


ListItem.model_rebuild()
