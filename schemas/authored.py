"""What a record authored as JSON may say: the input model, not the resolved article.

:class:`schemas.Article` is what validation makes of a record (typed profiles, the
image found in ``media/``, provenance); much of it is worked out, not written. A
JSON record is checked against :class:`AuthoredArticle` instead, so that every
field it may hold reaches the outputs, and any other field is an error that names
it. ``make-report schema`` prints this model's JSON Schema, and
``make-report export`` writes any valid record (text or JSON) in this form.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from schemas.article import Article, Block, Language, Line, Model, NonEmpty, Section


class AuthoredField(Model):
    """One infobox line: ``- Key: Value``."""

    key: NonEmpty = Field(description="as it is to be shown, e.g. 'Parentagency'")
    value: str
    line: Line = None


class AuthoredInfobox(Model):
    """The infobox as written; the profile, the image and typed values are worked out from it."""

    template: str | None = Field(default=None, description="e.g. 'law enforcement agency'")
    line: Line = None
    fields: list[AuthoredField] = Field(default_factory=list, description="in the order they are shown")


class AuthoredScriptText(Model):
    """A name in a script of its own; ``lang`` and ``dir`` are worked out from its letters when left out."""

    text: NonEmpty
    lang: Language | None = None
    dir: Literal["ltr", "rtl"] | None = None


class AuthoredArticle(Model):
    """A record as a JSON file may hold it. ``line`` fields say which line messages name."""

    title: NonEmpty
    title_line: Line = None
    lang: Language = Field(default="en", description="BCP 47 tag of the text as a whole: <html lang>")
    native_name: AuthoredScriptText | None = Field(
        default=None, description="shown under the title; by default the infobox's Nativename field"
    )
    infobox: AuthoredInfobox | None = None
    lead: list[Block] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)


#: Fields of the resolved article that are worked out, with what to write instead.
WORKED_OUT = {
    "provenance": "it is taken from the file and sources.toml",
    "profile": "it follows from the infobox template and fields",
    "image": "write the image as a 'Logo' or 'Image' field",
    "agency": "it is parsed from the infobox fields",
    "typed": "it is parsed from the infobox fields by the profile",
    "missing": "the completeness report is worked out from the profile",
    "groups": "numbered fields such as 'Person1Name' are grouped by themselves",
    "label": "labels are made from the key",
}


def authored_form(article: Article) -> AuthoredArticle:
    """A validated article as a JSON record that reads back to the same outputs.

    Line numbers are left out: in the exported file, messages name its own lines.
    """
    data = article.model_dump(include={"title", "lang", "native_name", "infobox", "lead", "sections"})
    if data.get("infobox"):
        infobox = data["infobox"]
        data["infobox"] = {"template": infobox["template"], "fields": infobox["fields"]}
    return AuthoredArticle.model_validate(_without_lines(data))


def _without_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_lines(v) for k, v in value.items() if k not in ("line", "title_line", "label")}
    if isinstance(value, list):
        return [_without_lines(v) for v in value]
    return value
