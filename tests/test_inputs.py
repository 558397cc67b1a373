"""Inputs that once lost, overwrote or hid a record, or stopped a build (issue 7).

Each test builds the situation as a user (or an attacker) would, runs the command
and checks what the user sees: exit code, the message on standard error, the files
in the output folder and the text in them.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from .conftest import cli, pdf_text, run_command

XHTML = "{http://www.w3.org/1999/xhtml}"


def record(path: Path, title: str, text: str = "Text.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(f"= {title} =\n\n{text}\n".encode())
    return path


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def no_traceback(stderr: str) -> None:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr


# -- 1. the same <folder>/<file> twice ---------------------------------------------
def test_same_file_name_in_two_folders_gives_two_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("a/records/x.txt"), "Alpha Unit", "From A.")
    record(Path("b/records/x.txt"), "Beta Unit", "From B.")
    result = cli("build", "a/records", "b/records", "-o", "out", "--format", "pdf,html")
    assert result.exit_code == 0, result.stderr
    assert "built 2 of 2" in result.stderr
    assert "From A." in pdf_text(Path("out/alpha-unit.pdf"))
    assert "From B." in pdf_text(Path("out/beta-unit.pdf"))
    data = manifest(Path("out"))
    assert [r["path"] for r in data["records"]] == ["a/records/x.txt", "b/records/x.txt"]
    sheets = {f["path"]: [s["path"] for s in f["sources"]] for f in data["files"] if f["kind"] == "factsheet"}
    assert sheets == {"alpha-unit.pdf": ["a/records/x.txt"], "beta-unit.pdf": ["b/records/x.txt"]}
    index = etree.parse("out/handbook/index.xhtml")
    links = [a.get("href") for a in index.iter(f"{XHTML}a") if a.get("href", "").endswith(".xhtml")]
    assert sorted(links) == ["alpha-unit.xhtml", "beta-unit.xhtml"]
    texts = [etree.parse(f"out/handbook/{link}").xpath("string(//*[local-name()='body'])") for link in links]
    assert any("From A." in t for t in texts) and any("From B." in t for t in texts)


def test_records_outside_the_working_folder_get_unique_names_without_absolute_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    record(tmp_path / "one/records/x.txt", "Alpha Unit")
    record(tmp_path / "two/records/x.txt", "Beta Unit")
    record(tmp_path / "two/records/y.txt", "Gamma Unit")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = cli("build", tmp_path / "one/records", tmp_path / "two/records", "-o", "out", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    names = [r["path"] for r in manifest(Path("out"))["records"]]
    assert names == ["one/records/x.txt", "two/records/x.txt", "records/y.txt"]
    assert str(tmp_path) not in pdf_text(Path("out/alpha-unit.pdf"))


# -- 2./3. the output folder and the records ---------------------------------------
def test_output_folder_that_is_the_records_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("same/s.txt"), "Some Unit")
    users = b'{"title": "A record written as JSON"}\n'
    Path("same/manifest.json").write_bytes(users)
    result = cli("build", "same", "-o", "same")
    assert result.exit_code == 2
    assert "same is also the SOURCES folder same; the build would write over its records" in result.stderr
    assert Path("same/manifest.json").read_bytes() == users
    assert sorted(p.name for p in Path("same").iterdir()) == ["manifest.json", "s.txt"]


def test_record_where_the_build_writes_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("r/x.txt"), "Some Unit")
    users = b'{"title": "A record written as JSON"}\n'
    (Path("r/sub")).mkdir()
    Path("r/sub/manifest.json").write_bytes(users)
    result = cli("build", "r", "-o", "r/sub")
    assert result.exit_code == 2
    assert "the build writes r/sub/manifest.json, where the record r/sub/manifest.json is" in result.stderr
    assert Path("r/sub/manifest.json").read_bytes() == users


def test_output_inside_the_records_folder_is_not_read_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("r1/x.txt"), "Some Unit")
    for _ in range(2):
        result = cli("build", "r1", "-o", "r1/out", "--format", "pdf,html")
        assert result.exit_code == 0, result.stderr
        assert "built 1 of 1 records" in result.stderr
        assert [r["path"] for r in manifest(Path("r1/out"))["records"]] == ["r1/x.txt"]
    result = cli("validate", "r1")
    assert result.exit_code == 0 and "1 of 1 records valid" in result.stderr
    result = cli("validate", "r1/out")
    assert result.exit_code == 2
    assert "r1/out is a make-report output folder (it holds .make-report.lock), not a records folder" in result.stderr


# -- 6. and 15. file names that are not UTF-8 or hold control characters -----------
def test_file_and_folder_names_that_are_not_utf8_are_reported_and_the_others_built(tmp_path: Path):
    folder = tmp_path / "n"
    record(folder / "good.txt", "Good Unit")
    record(folder / os.fsdecode(b"caf\xe9.txt"), "Bad Name")
    record(folder / os.fsdecode(b"\xff") / "y.txt", "Bad Folder")
    result = run_command("build", "n", "-o", "out", "--format", "pdf,html", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    no_traceback(result.stderr)
    assert "n/caf\\xe9.txt:1: error: file name is not UTF-8; rename it" in result.stderr
    assert "n/\\xff/y.txt:1: error: folder name is not UTF-8; rename it" in result.stderr
    assert "built 1 of 3 records" in result.stderr
    assert "Good Unit" in pdf_text(tmp_path / "out/good-unit.pdf")
    data = manifest(tmp_path / "out")
    assert {r["path"]: r["status"] for r in data["records"]} == {
        "n/caf\\xe9.txt": "invalid",
        "n/good.txt": "ok",
        "n/\\xff/y.txt": "invalid",
    }


def test_control_characters_in_file_names_are_escaped_in_messages_and_outputs(tmp_path: Path):
    folder = tmp_path / "c"
    (folder).mkdir()
    (folder / "bad\nname\x1b.txt").write_bytes(b"no title here\n")
    record(folder / "new\nline.txt", "Newline Unit")
    result = run_command("build", "c", "-o", "out", "--format", "pdf,html", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert "c/bad\\nname\\x1b.txt:1: error: no title: the first non-blank line must be the title" in lines[0]
    assert "  c/bad\\nname\\x1b.txt" in lines  # the list of failed records, one line each
    assert "\x1b" not in result.stderr
    data = manifest(tmp_path / "out")  # valid JSON
    assert [r["path"] for r in data["records"]] == ["c/bad\\nname\\x1b.txt", "c/new\\nline.txt"]
    chapter = etree.parse(str(tmp_path / "out/handbook/newline-unit.xhtml"))  # well-formed
    assert "c/new\\nline.txt" in chapter.xpath("string(//*[local-name()='body'])")


def test_names_that_escape_alike_stay_two_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("e/a\nb.txt"), "Newline Unit")
    record(Path("e/a\\nb.txt"), "Backslash Unit")
    result = cli("build", "e", "-o", "out", "--format", "pdf")
    assert result.exit_code == 0, result.stderr
    data = manifest(Path("out"))
    names = sorted(r["path"] for r in data["records"])
    assert names == ["e/a\\nb.txt", "e/a\\nb.txt (2)"]
    sources = sorted(s["path"] for f in data["files"] if f["kind"] == "factsheet" for s in f["sources"])
    assert sources == names


def test_folder_that_cannot_be_listed_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Root may list any folder, so the refusal is injected where the system call is made."""
    monkeypatch.chdir(tmp_path)
    record(Path("r/good.txt"), "Good Unit")
    record(Path("r/locked/hidden.txt"), "Hidden Unit")
    locked = os.path.abspath("r/locked")
    real_scandir, real_listdir = os.scandir, os.listdir

    def refuse(real):
        def call(path="."):
            if os.path.abspath(path) == locked:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
            return real(path)

        return call

    monkeypatch.setattr(os, "scandir", refuse(real_scandir))
    monkeypatch.setattr(os, "listdir", refuse(real_listdir))
    result = cli("validate", "r")
    assert result.exit_code == 1
    assert "r/locked:1: error: cannot list the folder: Permission denied; its records are not checked" in (
        result.stderr
    )
    assert "1 of 2 records valid" in result.stderr


# -- 7. only regular files are records ---------------------------------------------
def test_fifo_named_or_found_is_reported_without_hanging(tmp_path: Path):
    folder = tmp_path / "f"
    record(folder / "good.txt", "Good Unit")
    os.mkfifo(folder / "pipe.txt")
    (folder / "gone.txt").symlink_to("nowhere.txt")
    for target in ("f", "f/pipe.txt"):
        try:
            result = run_command("validate", target, cwd=tmp_path, timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"validate {target} hung on a FIFO")
        assert result.returncode == 1
        assert "f/pipe.txt:1: error: is a FIFO (named pipe), not a regular file; only regular files are records" in (
            result.stderr
        )
    result = run_command("validate", "f", cwd=tmp_path, timeout=60)
    assert "f/gone.txt:1: error: is a symbolic link to missing 'nowhere.txt'" in result.stderr
    assert "1 of 3 records valid" in result.stderr


def test_device_is_not_read(tmp_path: Path):
    result = run_command("validate", "/dev/zero", cwd=tmp_path, timeout=60)
    assert result.returncode == 1
    assert "/dev/zero:1: error: is a character device, not a regular file" in result.stderr


def test_size_limit_is_enforced_while_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A file whose st_size understates it (as under /proc) is read only up to the limit."""
    import pipeline.read
    from pipeline.read import Limits, read_record

    path = tmp_path / "big.txt"
    path.write_bytes(b"= T =\n\n" + b"x" * 10_000 + b"\n")
    asked: list[int] = []

    class Spy:
        def __init__(self, handle):
            self.handle = handle

        def __getattr__(self, name):
            return getattr(self.handle, name)

        def read(self, size: int = -1) -> bytes:
            asked.append(size)
            return self.handle.read(size)

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

    class LyingOs:
        """``os`` as the reader sees it, with a file system that says every file is empty."""

        def __getattr__(self, name):
            return getattr(os, name)

        def fstat(self, fd: int):
            real = os.fstat(fd)
            return SimpleNamespace(st_mode=real.st_mode, st_size=0)

        def fdopen(self, fd: int, *args, **kwargs):
            return Spy(os.fdopen(fd, *args, **kwargs))

    monkeypatch.setattr(pipeline.read, "os", LyingOs())
    raw = read_record(path, Limits(max_bytes=100), label="big.txt")
    assert asked[0] == 101 and -1 not in asked
    assert [d.message for d in raw.diagnostics] == [
        f"file is {path.stat().st_size:,} bytes, over the limit of 100; split the record or raise --max-bytes"
    ]


# -- 8. and 16. sources.toml -------------------------------------------------------
def test_sources_toml_nested_deeply_is_an_error_not_a_traceback(tmp_path: Path):
    folder = tmp_path / "t"
    record(folder / "x.txt", "Some Unit")
    (folder / "sources.toml").write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run_command("validate", "t", cwd=tmp_path)
    assert result.returncode == 1
    no_traceback(result.stderr)
    assert "t/sources.toml:1: error: values nested too deeply" in result.stderr


def test_sources_toml_errors_name_their_lines_and_are_not_merged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("t/x.txt"), "Some Unit")
    record(Path("t/y.txt"), "Other Unit")
    Path("t/sources.toml").write_text(
        "# credit\n"
        "[defaults]\n"
        "licence = 1\n"
        "\n"
        '[records."x.txt"]\n'
        "licence = 1\n"
        'colour = "red"\n'
        "\n"
        "[records]\n"
        '"y.txt" = { licence = 2 }\n'
        '"typo.txt" = { licence = "CC0" }\n'
    )
    result = cli("validate", "t")
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("t/sources.toml")]
    assert lines == [
        "t/sources.toml:3: error: 'licence' in [defaults] must be text in quotes",
        "t/sources.toml:6: error: 'licence' in [records.\"x.txt\"] must be text in quotes",
        "t/sources.toml:7: error: unknown key 'colour' in [records.\"x.txt\"]; use licence and attribution",
        "t/sources.toml:10: error: 'licence' in [records.\"y.txt\"] must be text in quotes",
        't/sources.toml:11: warning: [records."typo.txt"] names no file in this folder; check the spelling '
        "(the record gets the [defaults] credit)",
    ]


def test_sources_toml_records_that_is_not_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("t/x.txt"), "Some Unit")
    Path("t/sources.toml").write_text('# credit\n\nrecords = "x"\n\n[defaults]\nlicence = "CC0"\n')
    result = cli("validate", "t")
    assert result.exit_code == 1
    assert 't/sources.toml:3: error: records must be a table: [records."FILE.txt"]' in result.stderr


# -- 9. --title and --marking ------------------------------------------------------
@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--title", "Brief\x1bing", "Invalid value for --title: forbidden character U+001B (ESC) at column 6"),
        ("--title", "Two\nlines", "Invalid value for --title: forbidden character U+000A (line feed) at column 4"),
        ("--marking", "SECRET\x07", "Invalid value for --marking: forbidden character U+0007 (control character)"),
        ("--marking", "A\x85B", "Invalid value for --marking: forbidden character U+0085 (NEL) at column 2"),
    ],
)
def test_control_characters_in_title_and_marking_are_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str, message: str
):
    monkeypatch.chdir(tmp_path)
    record(Path("r/x.txt"), "Some Unit")
    result = cli("build", "r", "-o", "out", option, value)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not Path("out").exists()


# -- 10. SOURCE_DATE_EPOCH ---------------------------------------------------------
@pytest.mark.parametrize("epoch", ["²", "١٢٣", "12a", "-1", "99999999999999", "253402300800", "9" * 5000])
def test_source_date_epoch_out_of_rule_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: str):
    monkeypatch.chdir(tmp_path)
    record(Path("r/x.txt"), "Some Unit")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    result = cli("build", "r", "-o", "out", "--format", "pdf")
    assert result.exit_code == 2, result.stderr
    assert "SOURCE_DATE_EPOCH must be a whole number of seconds since 1970 (ASCII digits, at most 253402300799" in (
        result.stderr
    )
    assert not Path("out").exists()


def test_source_date_epoch_is_read_in_one_place(monkeypatch: pytest.MonkeyPatch):
    from pipeline.render import BuildInfo, EpochError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "253402300799")
    assert BuildInfo.create().timestamp == "9999-12-31T23:59:59Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "٣")
    with pytest.raises(EpochError):
        BuildInfo.create()


# -- 11. disk full -----------------------------------------------------------------
def test_write_failure_is_reported_with_the_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import pipeline.write

    monkeypatch.chdir(tmp_path)
    record(Path("r/x.txt"), "Alpha Unit")
    record(Path("r/y.txt"), "Beta Unit")
    real = pipeline.write.atomic_write

    def full_after_first(path: Path, data: bytes) -> None:
        if path.name == "beta-unit.pdf":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(path, data)

    monkeypatch.setattr(pipeline.write, "atomic_write", full_after_first)
    result = cli("build", "r", "-o", "out", "--format", "pdf")
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: cannot write out/beta-unit.pdf: No space left on device; "
        "free some space or choose another folder with --output"
    )
    assert [f["path"] for f in manifest(Path("out"))["files"]] == ["alpha-unit.pdf"]
    assert "Alpha Unit" in pdf_text(Path("out/alpha-unit.pdf"))


def test_full_disk(tmp_path: Path):
    """A real full file system: a 150 KiB tmpfs (needs root; skipped where mounting is not allowed)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=150k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        record(tmp_path / "r/x.txt", "Some Unit")
        result = run_command("build", "r", "-o", "disk/out", cwd=tmp_path)
        assert result.returncode == 1
        no_traceback(result.stderr)
        assert result.stderr.startswith("error: cannot write disk/out/")
        assert ": No space left on device; free some space or choose another folder with --output" in result.stderr
        listed = json.loads((disk / "out/manifest.json").read_text())["files"]
        for entry in listed:  # every file the manifest lists is whole
            assert (disk / "out" / entry["path"]).stat().st_size == entry["size"]
    finally:
        subprocess.run(["umount", str(disk)], check=True)


# -- 14. a dangling symlink as -o --------------------------------------------------
def test_dangling_symlink_as_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("r/x.txt"), "Some Unit")
    Path("out").symlink_to("x")
    result = cli("build", "r", "-o", "out")
    assert result.exit_code == 2
    assert "Invalid value for '-o' / '--output': out: is a symbolic link to missing 'x'; remove it or choose" in (
        result.stderr
    )


# -- 16. numbers too long to convert, and --order ----------------------------------
def test_numbers_longer_than_python_converts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    digits = "1" * 5000
    Path("big").mkdir()
    Path("big/agency.txt").write_text(
        f"= Agency =\n\nInfobox\n- Agencyname: Agency\n- Employees: {digits}\n- Person{digits}Name: Bob\n"
        "- Person1Name: Ann\n\nText.\n"
    )
    Path("big/unit.txt").write_text(f"= Unit =\n\nInfobox military unit\n- Unit{digits}Name: X\n\nText.\n")
    Path("big/j.json").write_text(f'{{"title": "J",\n "lead": {digits}}}\n')
    result = cli("build", "big", "-o", "out", "--format", "pdf,html")
    assert result.exit_code == 1
    no_traceback(result.stderr)
    assert (
        "big/agency.txt:5: warning: infobox 'Employees': a number of 5,000 digits is too long for a count "
        "(at most 18); shown as written" in result.stderr
    )
    assert "big/agency.txt:6: warning: infobox key 'Person111111111111111111…11111111Name' numbers its entry" in (
        result.stderr
    )
    assert "big/unit.txt:4: warning: infobox key 'Unit" in result.stderr
    assert "big/j.json:2: error: a number with more than 4,300 digits; write it as a string in quotes" in result.stderr
    assert "built 2 of 3 records" in result.stderr
    chapter = etree.parse("out/handbook/agency.xhtml").xpath("string(//*[local-name()='body'])")
    assert chapter.count(digits) == 2  # the Employees value and the key, as written


def test_order_file_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    record(Path("r/x.txt"), "Some Unit")
    Path("order.txt").write_bytes(b"r/x.txt\n\xff\n")
    result = cli("build", "r", "-o", "out", "--order", "order.txt")
    assert result.exit_code == 2
    assert "Invalid value for --order: order.txt:2: bytes that are not UTF-8; save the file as UTF-8" in result.stderr
    os.mkfifo("pipe")
    result = cli("build", "r", "-o", "out", "--order", "pipe")
    assert result.exit_code == 2
    assert "Invalid value for --order: pipe is not a regular file" in result.stderr


# -- known problems of docs/errors.md: one problem, one message --------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "= T =\n\nInfobox\n- Country Tajikistan\n\nText.\n",
            ["4: error: infobox line has no ': ' between key and value: 'Country Tajikistan'; write '- Key: Value'"],
        ),
        ("= T =\n\nText.\n\n\t- b\n", ["5: error: list item indented with a tab; indent by two spaces per level"]),
        (
            "=T==\n\nText.\n",
            ["1: error: no title: the title line '=T==' has 1 '=' before the text and 2 after; write '= T ='"],
        ),
    ],
)
def test_one_problem_gets_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: list):
    monkeypatch.chdir(tmp_path)
    Path("r.txt").write_text(text)
    result = cli("validate", "r.txt")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [f"r.txt:{line}" for line in expected]
