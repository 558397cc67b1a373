"""Where a key is written in a TOML file, for messages: tomllib gives values, not lines.

Shared by ``sources.toml`` (pipeline.sources) and ``make-report.toml``
(pipeline.config), so both name the line of a bad key the same way.
"""

from __future__ import annotations

import re
import tomllib

from pipeline.diagnostics import Diagnostic


def syntax_error(exc: tomllib.TOMLDecodeError) -> tuple[int, int | None, str]:
    """Line, column and reason of a TOML syntax error, the reason without tomllib's "(at line N, column M)"."""
    match = re.search(r"at line (\d+), column (\d+)", str(exc))
    line, column = (int(match.group(1)), int(match.group(2))) if match else (1, None)
    reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
    return line, column, reason


class TomlLines:
    """Finds the line on which a TOML key is written, for messages (tomllib gives none).

    A key path such as ``["records", "a.txt", "licence"]`` is looked up part by part:
    each part is searched from the line where the previous one was found, as a table
    header (``[records."a.txt"]``) or as a key (``licence =``, ``"a.txt" = {``).
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def line(self, keys: list[str]) -> int:
        start = 0
        for key in keys:
            spelled = "|".join(re.escape(s) for s in (key, f'"{key}"', f"'{key}'"))
            pattern = re.compile(rf"(?:^|[\[.{{,]\s*)(?:{spelled})\s*(?:=|\]|\.)")
            for number in range(start, len(self.lines)):
                if pattern.search(self.lines[number]):
                    start = number
                    break
        return start + 1

    def error(self, label: str, keys: list[str], message: str, code: str) -> Diagnostic:
        return Diagnostic(label, self.line(keys), "error", message, code=code)

    def warning(self, label: str, keys: list[str], message: str, code: str) -> Diagnostic:
        return Diagnostic(label, self.line(keys), "warning", message, code=code)
