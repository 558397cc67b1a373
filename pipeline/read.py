"""Stage 1: article text -> parsed record with source line numbers.

The grammar is written down in ``docs/format.md``; this module implements it and
nothing more. It knows no pydantic and no rendering, so that every later stage
can point back at the line a fact came from. The reader never stops at the first
problem: it recovers and goes on, so that one run reports every problem of a file.
"""

from __future__ import annotations

import bisect
import codecs
import errno
import hashlib
import json
import json.decoder
import json.scanner
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.diagnostics import Diagnostic, is_utf8, shown

#: Open flags for a record: never block on a FIFO, binary on Windows (where O_NONBLOCK does not exist).
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
#: Defaults for the explicit limits (``--max-bytes``, ``--max-depth``).
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_DEPTH = 8
#: HTML has six heading levels; the title takes the first.
MAX_HEADING_LEVEL = 6


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile file from exhausting time or memory."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_depth: int = DEFAULT_MAX_DEPTH


@dataclass
class RawField:
    key: str
    value: str
    line: int


@dataclass
class RawParagraph:
    text: str
    line: int


@dataclass
class RawItem:
    text: str
    line: int
    number: int | None = None
    children: list[RawList] = field(default_factory=list)


@dataclass
class RawList:
    ordered: bool
    line: int
    items: list[RawItem] = field(default_factory=list)


RawBlock = RawParagraph | RawList


@dataclass
class RawScriptText:
    text: str
    lang: str | None
    dir: str | None
    line: int


@dataclass
class RawSection:
    title: str
    level: int
    line: int
    blocks: list[RawBlock] = field(default_factory=list)


@dataclass
class RawRecord:
    """Everything the text says, with where it says it; not yet validated."""

    path: str
    sha256: str
    title: str | None = None
    title_line: int = 1
    infobox_line: int | None = None
    infobox_template: str | None = None
    infobox: list[RawField] = field(default_factory=list)
    lead: list[RawBlock] = field(default_factory=list)
    sections: list[RawSection] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Set by a JSON record (the text grammar has no way to say them).
    lang: str | None = None
    native_name: RawScriptText | None = None
    #: A record authored as JSON (schemas.AuthoredArticle), with its lines.
    authored: dict | None = None
    lines: list[str] = field(default_factory=list)


# Characters that must not occur in a record: C0 and C1 controls other than TAB,
# and the XML non-characters. They are invisible, and XML forbids most of them.
_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>-|\d{1,9}[.)])(?:[ \t]+(?P<text>.*)|)$")
_INFOBOX = re.compile(r"^Infobox(?:[ \t]+(?P<template>\S.*))?$")


def read_record(path: Path, limits: Limits = Limits(), label: str | None = None) -> RawRecord:
    """Read one record file; ``label`` is the path shown in messages.

    Only regular files are records: a FIFO would block forever and a device such
    as ``/dev/zero`` never ends, so neither is read. The size limit is enforced
    while reading (at most ``max_bytes + 1`` bytes are read), not trusted from
    ``st_size``, which a file under ``/proc`` or one that grows can get wrong.
    """
    label = label or shown(path)
    problem = _file_problem(path)
    if problem:
        return _unread(label, "", problem, code="MR001")
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        return _unread(label, "", _os_problem(path, exc), code="MR001")
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return _unread(
                label, "", f"{_kind(info.st_mode)}, not a regular file; only regular files are records", code="MR001"
            )
        try:
            data = handle.read(limits.max_bytes + 1)
            if len(data) > limits.max_bytes:
                digest = hashlib.sha256(data)
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
                size = max(info.st_size, handle.tell())
                return _unread(
                    label,
                    digest.hexdigest(),
                    f"file is {size:,} bytes, over the limit of {limits.max_bytes:,}; "
                    "split the record or raise --max-bytes",
                    code="MR002",
                )
        except OSError as exc:
            return _unread(label, "", _os_problem(path, exc), code="MR001")
    return reader_for(path).parse(data, label, limits)


def file_sha256(path: Path) -> str | None:
    """The sha256 of a regular file's bytes (None for anything else, or if unreadable)."""
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        digest = hashlib.sha256()
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        except OSError:
            return None
        return digest.hexdigest()


def _unread(label: str, sha: str, message: str, code: str) -> RawRecord:
    record = RawRecord(path=label, sha256=sha)
    record.diagnostics.append(Diagnostic(label, 1, "error", message, code=code))
    return record


def _file_problem(path: Path) -> str | None:
    """What keeps a path from being read as a record, before it is opened."""
    text = str(path)
    if not is_utf8(text):
        where = "file name" if not is_utf8(path.name) else "folder name"
        return f"{where} is not UTF-8; rename it (for example with convmv) so that every output can name it"
    if path.is_dir():  # found in a folder walk: a folder that could not be listed
        try:
            os.listdir(path)
        except OSError as exc:
            return f"cannot list the folder: {exc.strerror}; its records are not checked: fix its permissions"
    if path.is_symlink() and not path.exists():
        return f"is a symbolic link to missing '{shown(os.readlink(path))}'; remove the link or fix its target"
    return None


def _os_problem(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that loops; remove the link or fix its target"
    return f"cannot read the file: {exc.strerror or exc}; check that it exists and is readable"


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((f"is {name}" for test, name in kinds if test(mode)), "is a special file")


def _guarded(data: bytes, label: str, limits: Limits) -> RawRecord:
    """A new record for ``data``, with the one size guard every reader shares (parsers are given bytes too)."""
    record = RawRecord(path=label, sha256=hashlib.sha256(data).hexdigest())
    if len(data) > limits.max_bytes:
        record.diagnostics.append(
            Diagnostic(
                label,
                1,
                "error",
                f"file is {len(data):,} bytes, over the limit of {limits.max_bytes:,}; "
                "split the record or raise --max-bytes",
                code="MR002",
            )
        )
    return record


def parse_bytes(data: bytes, label: str, limits: Limits = Limits()) -> RawRecord:
    """Parse the bytes of one record; never raises for bad input."""
    record = _guarded(data, label, limits)
    if record.diagnostics:
        return record
    lines = _decode_lines(data, record)
    _Parser(record, lines, limits).run()
    return record


def _document_text(data: bytes, label: str, limits: Limits) -> tuple[RawRecord, str | None]:
    """A JSON or YAML record's text; None when the size guard or a line's encoding failed (said in the record).

    Unlike a text record, such a document is not parsed past a bad line: its syntax spans lines.
    """
    record = _guarded(data, label, limits)
    if record.diagnostics:
        return record, None
    record.lines = _decode_lines(data, record)
    if record.diagnostics:
        return record, None
    return record, "\n".join(record.lines)


def parse_json(data: bytes, label: str, limits: Limits = Limits()) -> RawRecord:
    """A record authored as JSON: syntax, characters and duplicate keys checked here, its shape by validate.

    Every object, array and string remembers the line it starts on, so that later
    messages name the right line of the JSON file.
    """
    record, text = _document_text(data, label, limits)
    if text is None:
        return record
    try:
        value = _LocatingDecoder(text).decode(text)
    except json.JSONDecodeError as exc:
        record.diagnostics.append(
            Diagnostic(label, exc.lineno, "error", f"not valid JSON: {exc.msg}", code="MR010", column=exc.colno)
        )
        return record
    except _NumberTooLong as exc:  # Python refuses integers of more than 4,300 digits (CVE-2020-10735)
        record.diagnostics.append(
            Diagnostic(
                label,
                exc.line,
                "error",
                "a number with more than 4,300 digits; write it as a string in quotes",
                code="MR011",
            )
        )
        return record
    except RecursionError:
        record.diagnostics.append(Diagnostic(label, 1, "error", "JSON nested too deeply", code="MR012"))
        return record
    if not isinstance(value, dict):
        record.diagnostics.append(
            Diagnostic(label, 1, "error", 'a JSON record is an object: {"title": ...}', code="MR013")
        )
        return record
    record.authored = value
    _check_json(record, value, (), limits)
    record.title = value.get("title") if isinstance(value.get("title"), str) else None
    return record


class JsonObject(dict):
    """A JSON (or YAML) object that knows where it starts and ends in the text, and its repeated keys."""

    line: int = 1
    start: int = 0
    end: int = 0
    text: str = ""  # the whole JSON text, shared
    duplicates: list[str]
    #: Where each key is written, every time it is (YAML: the parser gives lines, not offsets).
    key_lines: dict[str, list[int]] | None = None


class JsonArray(list):
    line: int = 1
    start: int = 0
    end: int = 0


class JsonString(str):
    line: int = 1


class _NumberTooLong(ValueError):
    def __init__(self, digits: int, line: int):
        super().__init__(digits)
        self.digits, self.line = digits, line


#: Python refuses to turn longer digit strings into int (``sys.get_int_max_str_digits``).
MAX_NUMBER_DIGITS = 4300


class _LocatingDecoder(json.JSONDecoder):
    """The standard decoder, in its pure-Python form, with source positions recorded."""

    def __init__(self, text: str):
        super().__init__(object_pairs_hook=list, parse_int=self._int)
        self.text = text
        self.breaks = [match.start() for match in re.finditer("\n", text)]
        self.parse_object = self._object
        self.parse_array = self._array
        self.parse_string = self._string
        self.scan_once = json.scanner.py_make_scanner(self)

    def line_at(self, position: int) -> int:
        return bisect.bisect_right(self.breaks, position - 1) + 1

    def _int(self, digits: str) -> int:
        count = len(digits.lstrip("-"))
        if count > MAX_NUMBER_DIGITS:
            raise _NumberTooLong(count, self.line_at(self.text.find(digits)))
        return int(digits)

    def _object(self, s_and_end, *args):
        start = s_and_end[1] - 1
        pairs, end = json.decoder.JSONObject(s_and_end, *args)
        result = JsonObject()
        result.duplicates = []
        for key, value in pairs:  # the last of a repeated key wins, as in json.loads
            if key in result:
                result.duplicates.append(key)
            result[key] = value
        result.line, result.start, result.end, result.text = self.line_at(start), start, end, self.text
        return result, end

    def _array(self, s_and_end, *args):
        start = s_and_end[1] - 1
        values, end = json.decoder.JSONArray(s_and_end, *args)
        result = JsonArray(values)
        result.line, result.start, result.end = self.line_at(start), start, end
        return result, end

    def _string(self, text: str, end: int, strict: bool):
        value, after = json.decoder.scanstring(text, end, strict)
        result = JsonString(value)
        result.line = self.line_at(end - 1)
        return result, after


def json_line(node: object, loc: tuple) -> int:
    """The line of the JSON file a location (``("infobox", "fields", 2, "value")``) points at."""
    line = getattr(node, "line", 1)
    for part in loc:
        if isinstance(node, JsonObject) and isinstance(part, str):
            if part not in node:  # e.g. the tag of a union ("paragraph"): the next part names the key
                continue
            line = key_line(node, part)
            node = node[part]
        elif isinstance(node, JsonArray) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return line
        line = getattr(node, "line", line)
    return line


def key_line(node: JsonObject, key: str, occurrence: int = 1) -> int:
    """The line of ``"key":`` in an object, skipping the objects and arrays nested in it."""
    if node.key_lines is not None:
        lines = node.key_lines.get(key, [node.line])
        return lines[min(occurrence, len(lines)) - 1]
    text = node.text
    nested = [(v.start, v.end) for v in node.values() if isinstance(v, JsonObject | JsonArray)]
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    seen = 0
    for match in pattern.finditer(text, node.start, node.end):
        if any(start <= match.start() < end for start, end in nested):
            continue
        seen += 1
        if seen == occurrence:
            return text.count("\n", 0, match.start()) + 1
    return node.line


def _check_json(record: RawRecord, node: object, path: tuple, limits: Limits, depth: int = 0) -> None:
    """What the text reader checks on every line, checked on every JSON string: characters, keys, depth."""
    where = ".".join(str(p) for p in path) or "the record"
    if isinstance(node, JsonObject):
        for key in node.duplicates:
            line = key_line(node, key, occurrence=2)
            record.diagnostics.append(
                Diagnostic(
                    record.path,
                    line,
                    "error",
                    f"duplicate key {_quote(key)} in {where} (first given at line "
                    f"{key_line(node, key)}); keep one of them",
                    code="MR014",
                )
            )
        for key, value in node.items():
            if _FORBIDDEN.search(key):
                _check_string(record, key, key_line(node, key), f"a key in {where}")
            deeper = depth + 1 if key == "children" else depth
            if key == "children" and deeper >= limits.max_depth:
                record.diagnostics.append(
                    Diagnostic(
                        record.path,
                        getattr(value, "line", node.line),
                        "error",
                        f"list nested more than {limits.max_depth} levels deep; flatten it or raise --max-depth",
                        code="MR053",
                    )
                )
                continue
            _check_json(record, value, (*path, key), limits, deeper)
    elif isinstance(node, JsonArray):
        for index, value in enumerate(node):
            _check_json(record, value, (*path, index), limits, depth)
    elif isinstance(node, JsonString):
        _check_string(record, node, node.line, where)


def _check_string(record: RawRecord, text: str, line: int, where: str) -> None:
    bad = _FORBIDDEN.search(text)
    if bad:
        char = bad.group()
        name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "control character")
        record.diagnostics.append(
            Diagnostic(
                record.path,
                line,
                "error",
                f"forbidden character U+{ord(char):04X} ({name}) in {where}; records are plain text: remove it",
                code="MR004",
            )
        )


def _decode_lines(data: bytes, record: RawRecord) -> list[str]:
    """Split into lines, decoding each one so that a bad byte names its own line."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            record.diagnostics.append(
                Diagnostic(
                    record.path,
                    number,
                    "error",
                    f"bytes that are not UTF-8 (0x{raw[exc.start]:02X} at byte {exc.start + 1} "
                    "of the line); save the file as UTF-8",
                    code="MR003",
                )
            )
            text = raw.decode("utf-8", errors="replace")
        bad = forbidden_character(text)
        if bad:
            record.diagnostics.append(
                Diagnostic(record.path, number, "error", f"{bad}; records are plain text: remove it", code="MR004")
            )
            text = _FORBIDDEN.sub("\ufffd", text)
        lines.append(text.rstrip())
    return lines


def forbidden_character(text: str) -> str | None:
    """Names the first character that no record text (or title option) may hold, if any.

    One rule for records and for ``--title``/``--marking``: both end up in XHTML,
    where these characters make the file ill-formed.
    """
    bad = _FORBIDDEN.search(text)
    if not bad:
        return None
    char = bad.group()
    if "\ud800" <= char <= "\udfff":
        return f"bytes that are not UTF-8 at column {bad.start() + 1}"
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "control character")
    return f"forbidden character U+{ord(char):04X} ({name}) at column {bad.start() + 1}"


_CONTROL_NAMES = {
    "\x00": "NUL",
    "\n": "line feed",
    "\r": "carriage return",
    "\x1b": "ESC",
    "\x7f": "DEL",
    "\x85": "NEL",
    "\ufffe": "noncharacter",
    "\uffff": "noncharacter",
}


def heading_marks(stripped: str) -> tuple[int, int] | None:
    """Count the ``=`` on each side when a line is meant as a title or heading."""
    if not stripped.startswith("=") or len(stripped) < 2:
        return None
    if not (stripped.startswith("==") or stripped.endswith("=")):
        return None
    left = len(stripped) - len(stripped.lstrip("="))
    right = len(stripped) - len(stripped.rstrip("="))
    return left, right


class _Parser:
    """A line-by-line state machine over the decoded lines of one record."""

    def __init__(self, record: RawRecord, lines: list[str], limits: Limits):
        self.record = record
        self.lines = lines
        self.limits = limits
        self.blocks: list[RawBlock] = record.lead
        self.paragraph: list[str] = []
        self.paragraph_line = 0
        self.stack: list[RawList] = []
        self.depth_reported = False
        self.written_depth = -1  # depth of the last list item as written, before clamping

    def error(self, line: int, message: str, code: str) -> None:
        self.record.diagnostics.append(Diagnostic(self.record.path, line, "error", message, code=code))

    def warning(self, line: int, message: str, code: str) -> None:
        self.record.diagnostics.append(Diagnostic(self.record.path, line, "warning", message, code=code))

    # -- driver -----------------------------------------------------------------
    def run(self) -> None:
        lines = self.lines
        first = next((i for i, text in enumerate(lines) if text.strip()), None)
        if first is None:
            what = "file is empty" if lines == [""] else "file holds only blank lines"
            self.error(1, f"{what}; a record starts with a title line '= Title ='", code="MR020")
            return
        index = self.read_title(first)
        index = self.read_infobox(index)
        for number in range(index, len(lines)):
            self.body_line(number + 1, lines[number])
        self.flush()
        check_structure(self.record)

    def read_title(self, index: int) -> int:
        stripped = self.lines[index].strip()
        self.record.title_line = index + 1
        marks = heading_marks(stripped)
        if marks == (1, 1):
            title = stripped[1:-1].strip()
            if not title:
                self.error(index + 1, "title is empty; write the record's name as '= Title ='", code="MR021")
            self.record.title = title or None
            return index + 1
        if marks is not None and marks[0] == 1:  # meant as the title, but '=' counts differ: one error
            inner = stripped.strip("=").strip() or "Title"
            self.error(
                index + 1,
                f"no title: the title line {_quote(stripped)} has {marks[0]} '=' before the text and "
                f"{marks[1]} after; write '= {inner} ='",
                code="MR020",
            )
            return index + 1
        self.error(
            index + 1,
            "no title: the first non-blank line must be the title, written '= Title ='",
            code="MR020",
        )
        return index

    def read_infobox(self, index: int) -> int:
        lines = self.lines
        while index < len(lines) and not lines[index].strip():
            index += 1
        if index >= len(lines):
            return index
        match = _INFOBOX.match(lines[index].strip())
        if not match:
            return index
        self.record.infobox_line = index + 1
        self.record.infobox_template = match.group("template")
        index += 1
        start = index
        while index < len(lines) and lines[index].strip():
            self.infobox_line(index + 1, lines[index])
            index += 1
        if index == start:  # lines that are there but malformed have their own errors
            self.warning(self.record.infobox_line, "'Infobox' line has no '- Key: Value' lines", code="MR031")
        return index

    def infobox_line(self, number: int, text: str) -> None:
        if not text.startswith("- "):
            hint = "infobox fields are not nested; " if text.startswith(" ") else ""
            self.error(
                number,
                f"{hint}infobox line must be '- Key: Value'; "
                "leave a blank line after the last field to end the infobox",
                code="MR030",
            )
            return
        body = text[2:].strip()
        if ": " in body:
            key, value = body.split(": ", 1)
        elif body.endswith(":"):
            key, value = body[:-1], ""
        else:
            self.error(
                number,
                f"infobox line has no ': ' between key and value: {_quote(body)}; write '- Key: Value'",
                code="MR030",
            )
            return
        key, value = key.strip(), value.strip()
        if not key:
            self.error(number, "infobox line has no key before ': '; write '- Key: Value'", code="MR030")
            return
        self.record.infobox.append(RawField(key, value, number))

    # -- body -------------------------------------------------------------------
    def body_line(self, number: int, text: str) -> None:
        stripped = text.strip()
        if not stripped:
            self.flush()
            return
        marks = heading_marks(stripped)
        if marks is not None:
            self.flush()
            self.heading(number, stripped, *marks)
            return
        item = _ITEM.match(text)
        if item:
            self.flush_paragraph()
            self.list_item(number, item)
            return
        if self.stack and text[:1] in " \t":
            last = self.stack[-1].items[-1]
            last.text = f"{last.text} {stripped}" if last.text else stripped
            return
        self.end_list()
        if not self.paragraph:
            self.paragraph_line = number
        self.paragraph.append(stripped)

    def heading(self, number: int, stripped: str, left: int, right: int) -> None:
        inner = stripped[left : len(stripped) - right].strip() if left + right < len(stripped) else ""
        if left == 1 and right == 1:
            where = "one title" if self.record.title else "its title on the first non-blank line"
            self.error(
                number,
                f"title line {_quote(stripped)} out of place; a record has {where}: "
                f"write a section as '== {inner or 'Name'} =='",
                code="MR040",
            )
            level = 2
        elif left != right:
            level = max(2, min(left, right, MAX_HEADING_LEVEL))
            self.error(
                number,
                f"unbalanced heading {_quote(stripped)}: {left} '=' before the text and "
                f"{right} after; write {_heading(inner or 'Name', level)}",
                code="MR041",
            )
        else:
            level = left
        if level > MAX_HEADING_LEVEL:
            self.error(
                number,
                f"heading level {level} is too deep: at most {MAX_HEADING_LEVEL} '=' each side",
                code="MR042",
            )
            level = MAX_HEADING_LEVEL
        if not inner:
            self.error(number, "heading has no text; write '== Name =='", code="MR043")
        section = RawSection(title=inner, level=level, line=number)
        self.record.sections.append(section)
        self.blocks = section.blocks

    def list_item(self, number: int, match: re.Match[str]) -> None:
        indent = match.group("indent")
        marker = match.group("marker")
        text = (match.group("text") or "").strip()
        tabbed = "\t" in indent
        if tabbed:
            self.error(number, "list item indented with a tab; indent by two spaces per level", code="MR050")
            indent = indent.replace("\t", "  ")
        elif len(indent) % 2:
            self.error(
                number,
                f"list item indented by {len(indent)} spaces; nest lists by two spaces per level (0, 2, 4, ...)",
                code="MR051",
            )
        depth = len(indent) // 2
        if depth > self.written_depth + 1 and not tabbed:  # a tab already has its error on this line
            parent = (
                f"the item above is at {self.written_depth * 2} spaces"
                if self.stack
                else "there is no list item above it"
            )
            self.error(
                number,
                f"list item is nested deeper than its parent: indented {len(indent)} spaces, but {parent}",
                code="MR052",
            )
        depth = min(depth, self.written_depth + 1)
        self.written_depth = depth
        if depth >= self.limits.max_depth:
            if not self.depth_reported:
                self.error(
                    number,
                    f"list nested more than {self.limits.max_depth} levels deep; flatten it or raise --max-depth",
                    code="MR053",
                )
                self.depth_reported = True
            depth = self.limits.max_depth - 1
        if not text:
            self.error(number, f"empty list item {_quote(marker)}; write the item after the marker", code="MR054")
        ordered = marker != "-"
        item = RawItem(text=text, line=number, number=int(marker[:-1]) if ordered else None)
        del self.stack[depth + 1 :]
        if depth < len(self.stack) and self.stack[depth].ordered != ordered:
            del self.stack[depth:]
        if depth == len(self.stack):
            new = RawList(ordered=ordered, line=number)
            if depth == 0:
                self.blocks.append(new)
            else:
                self.stack[-1].items[-1].children.append(new)
            self.stack.append(new)
        self.stack[depth].items.append(item)

    def end_list(self) -> None:
        self.stack = []
        self.written_depth = -1
        self.depth_reported = False

    def flush_paragraph(self) -> None:
        if self.paragraph:
            self.blocks.append(RawParagraph(" ".join(self.paragraph), self.paragraph_line))
            self.paragraph = []

    def flush(self) -> None:
        self.flush_paragraph()
        self.end_list()


def _quote(text: str, limit: int = 60) -> str:
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'"


def _heading(text: str, level: int) -> str:
    marks = "=" * level
    return f"'{marks} {text} {marks}'"


def check_structure(record: RawRecord) -> None:
    """Checks every record gets, whichever format it was written in: keys, values, headings."""

    def report(line: int, severity: str, message: str, code: str) -> None:
        record.diagnostics.append(Diagnostic(record.path, line, severity, message, code=code))

    first: dict[str, int] = {}
    for f in record.infobox:
        folded = re.sub(r"[\s_]", "", f.key).casefold()
        if folded in first:
            report(
                f.line,
                "error",
                f"duplicate infobox key {_quote(f.key)} (first given at line {first[folded]}); keep one of them",
                code="MR032",
            )
            continue
        first[folded] = f.line
        if not f.value:
            report(f.line, "warning", f"infobox field {_quote(f.key)} has no value", code="MR033")
    level = 1
    for section in record.sections:
        if section.title and section.level > level + 1:
            report(
                section.line,
                "warning",
                f"heading skips a level: level {section.level} follows level {level}; "
                f"write {_heading(section.title, level + 1)}",
                code="MR044",
            )
        level = section.level
    if not record.lead and not record.sections and not record.infobox:
        report(record.title_line, "warning", "record has nothing after its title", code="MR045")


# -- YAML records ----------------------------------------------------------------

#: Plain YAML scalars that mean "no value"; every other scalar is kept as the text written.
_YAML_NULLS = {"", "~", "null", "Null", "NULL"}


def parse_yaml(data: bytes, label: str, limits: Limits = Limits()) -> RawRecord:
    """A record authored as YAML: the same authored model and checks as JSON, lines from the YAML parser.

    Loading is safe by construction: the text is composed into nodes and turned into
    plain dicts, lists and strings here; no tag is honoured, so no object is ever
    built. Anchors and aliases are refused (an alias can repeat a subtree without
    bound: "billion laughs"). Every scalar stays the text as written, so
    ``Formed: 2023-01-01`` is not turned into a date nor ``Founded: 1990`` into
    a number; the authored model converts ``true``/``2`` where it wants a flag or
    a number.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.events import AliasEvent, CollectionStartEvent, DocumentStartEvent, ScalarEvent

    record, text = _document_text(data, label, limits)
    if text is None:
        return record
    yaml = YAML(typ="safe", pure=True)

    def error(line: int, message: str, code: str) -> RawRecord:
        record.diagnostics.append(Diagnostic(label, line, "error", message, code=code))
        return record

    try:
        documents = 0
        for event in yaml.parse(text):
            line = event.start_mark.line + 1
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    return error(line, "a second YAML document ('---'); a record file holds one record", code="MR017")
            elif isinstance(event, AliasEvent):
                return error(line, f"an alias (*{event.anchor}); write the value out in full", code="MR017")
            elif isinstance(event, ScalarEvent | CollectionStartEvent):
                if event.anchor is not None:
                    return error(line, f"an anchor (&{event.anchor}); write each value out in full", code="MR017")
                if event.tag is not None and event.tag != "!":
                    return error(
                        line, f"a YAML tag ({event.tag}); records hold plain values: remove the tag", code="MR017"
                    )
        node = yaml.compose(text)
        value = _yaml_value(node) if node is not None else None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return error(mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem or exc.context}", code="MR016")
    except YAMLError as exc:
        return error(1, f"not valid YAML: {exc}", code="MR016")
    except RecursionError:
        return error(1, "YAML nested too deeply", code="MR012")
    if not isinstance(value, dict):
        return error(1, "a YAML record is a mapping of fields: 'title: ...'", code="MR013")
    record.authored = value
    _check_json(record, value, (), limits)
    record.title = value.get("title") if isinstance(value.get("title"), str) else None
    return record


def _yaml_value(node: object) -> object:
    """A composed YAML node as the JSON reader's located values: objects, arrays, strings, None."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    line = node.start_mark.line + 1  # type: ignore[attr-defined]
    if isinstance(node, ScalarNode):
        if node.style is None and node.value in _YAML_NULLS:
            return None
        result = JsonString(node.value)
        result.line = line
        return result
    if isinstance(node, SequenceNode):
        array = JsonArray(_yaml_value(item) for item in node.value)
        array.line = line
        return array
    assert isinstance(node, MappingNode)
    mapping = JsonObject()
    mapping.line, mapping.duplicates, mapping.key_lines = line, [], {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, ScalarNode) else repr(key_node.value)
        if key in mapping:
            mapping.duplicates.append(key)
        mapping.key_lines.setdefault(key, []).append(key_node.start_mark.line + 1)
        mapping[key] = _yaml_value(value_node)
    return mapping


class TextReader:
    """Article text, the grammar of docs/format.md."""

    suffixes = (".txt",)
    parse = staticmethod(parse_bytes)


class JsonReader:
    """A record authored as JSON (schemas.AuthoredArticle)."""

    suffixes = (".json",)
    parse = staticmethod(parse_json)


class YamlReader:
    """A record authored as YAML, the same model as JSON."""

    suffixes = (".yaml", ".yml")
    parse = staticmethod(parse_yaml)


#: Which reader reads a record file, by suffix: the one list discovery and messages use too.
READERS: dict[str, type[TextReader | JsonReader | YamlReader]] = {
    suffix: reader for reader in (TextReader, JsonReader, YamlReader) for suffix in reader.suffixes
}
RECORD_SUFFIXES: tuple[str, ...] = tuple(READERS)


def reader_for(path: Path) -> type[TextReader | JsonReader | YamlReader]:
    """The reader for a file; a file named on the command line with another suffix is read as text."""
    return READERS.get(path.suffix.lower(), TextReader)
