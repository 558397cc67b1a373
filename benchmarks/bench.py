"""Performance at library scale, measured: medians of wall and CPU time, peak RSS, ratios.

    python benchmarks/bench.py [--repeat N] [--baseline TREE] [--only NAME ...] [--big]

Every figure runs ``python -m pipeline`` in a child process, as a user would, and
reads its wall time, CPU time (user + system, workers included) and peak RSS from
``wait4``. ``--baseline TREE`` runs the same figures against another checkout of
make-report (for instance ``git worktree add /tmp/base 87db477``) side by side,
figure by figure, so that both see the same machine load. Runs that take longer
than ``--timeout`` seconds are stopped and reported as such.

Figures (issue 8; ratios are what the README's performance table shows):
  html_epub_N        N small records, --format html,epub (N = 10, 100, 1000; 10000 with --big)
  pdf_40_j1, _j2     40 sample records, --format pdf, 1 and 2 workers (ratio j1/j2: the speed-up; with
                     "cold" too, the wall time per record at -j 2 over a fresh ``weasyprint`` CLI run)
  rebuild_sde        unchanged rebuild, all formats, SOURCE_DATE_EPOCH set (ratio to the full build)
  rebuild_clock      unchanged rebuild, all formats, without SOURCE_DATE_EPOCH (ratio to the full build)
  one_changed        one record of 40 changed, all formats (ratio to the full build)
  pack_N             --format pack for N sample records: time and peak RSS
  cold_single        one record, --format pdf, vs the ``weasyprint`` CLI on the same HTML with the same
                     stylesheets, fonts and PDF variant (and, for reference, on the bare HTML)
  pandoc_N           Pandoc turning the handbook's chapters of html_epub_N into an EPUB (if installed)
  sheet_warm         one fact sheet rendered again and again by a loaded renderer: median CPU per sheet
                     (what a page design costs, without start-up or workers; the "lighter page" figure)
  validate_import    ``validate`` of the sample records (start-up: no WeasyPrint)
Never run in the test suite: tests do not assert times.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "records" / "tajikistani-internal-troops.txt"
EPOCH = "1764028800"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mib: float  # the largest single process (wait4)
    code: int
    tree_mib: float = 0.0  # the most the build and its workers held together (sampled every 0.1 s)


def tree_rss_mib(root: int) -> float:
    """Resident memory of ``root`` and all its descendants now (Linux /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    total = 0
    for pid in tree:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def run(tree: Path, args: list[str], env: dict[str, str | None] | None = None, timeout: float = 600) -> Run:
    """One ``python -m pipeline ARGS`` from ``tree``; wall, CPU of it and its children, peak RSS."""
    environment = dict(os.environ, PYTHONPATH=str(tree))
    environment.pop("SOURCE_DATE_EPOCH", None)
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", *args],
        cwd=tree,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = started + timeout
    tree, sampled = 0.0, 0.0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            return Run(float("inf"), usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, -9, tree)
        if time.perf_counter() - sampled > 0.1:
            tree, sampled = max(tree, tree_rss_mib(process.pid)), time.perf_counter()
        time.sleep(0.01)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, tree)


def median_run(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        max(r.rss_mib for r in runs),
        max(r.code for r in runs),
        max(r.tree_mib for r in runs),
    )


def small_records(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        (folder / f"r{i:05}.txt").write_text(
            f"= Record {i:05} =\n\nA small record, number {i}, about a unit.\n\n== History ==\n\n"
            f"Founded in {1900 + i % 100}.\n\n- first item {i}\n- second item\n",
            encoding="utf-8",
        )
    return folder


def sample_records(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    body = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]
    for i in range(count):
        (folder / f"r{i:03}.txt").write_text(f"= Record {i:03} =\n{body}", encoding="utf-8")
    return folder


class Bench:
    def __init__(self, trees: dict[str, Path], work: Path, repeat: int, timeout: float):
        self.trees = trees
        self.work = work
        self.repeat = repeat
        self.timeout = timeout
        self.results: dict[str, dict[str, Run]] = {}

    def figure(self, name: str, args, repeat: int | None = None, env=None, prepare=None) -> None:
        """Run a figure on every tree, alternating trees run by run; ``args(tree, out)`` gives the arguments."""
        runs: dict[str, list[Run]] = {label: [] for label in self.trees}
        for _ in range(repeat or self.repeat):
            for label, tree in self.trees.items():
                if runs[label] and runs[label][-1].code not in (0, 1):
                    continue  # timed out or crashed: not again
                out = self.work / f"out-{label}-{name}"
                if prepare:
                    prepare(label, tree, out)
                else:
                    shutil.rmtree(out, ignore_errors=True)
                result = run(tree, args(tree, out), {"SOURCE_DATE_EPOCH": EPOCH, **(env or {})}, self.timeout)
                runs[label].append(result)
        self.results[name] = {label: median_run(r) for label, r in runs.items() if r}
        self.show(name)

    def show(self, name: str) -> None:
        cells = []
        for label, r in self.results[name].items():
            wall = "timeout" if r.wall == float("inf") else f"{r.wall:7.2f} s"
            cells.append(f"{label}: wall {wall} cpu {r.cpu:7.2f} s rss {r.rss_mib:5.0f} MiB (all {r.tree_mib:5.0f})")
        print(f"{name:18} " + " | ".join(cells), flush=True)

    def ratio(self, top: str, bottom: str, what: str = "wall") -> None:
        cells = []
        for label in self.trees:
            a, b = self.results.get(top, {}).get(label), self.results.get(bottom, {}).get(label)
            if a and b:
                cells.append(f"{label}: {getattr(a, what) / getattr(b, what):.3f}x")
        print(f"  {top} / {bottom} ({what}): " + " | ".join(cells), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another make-report checkout to measure side by side")
    parser.add_argument(
        "--only", nargs="*", default=None, help="figure groups: scale pdf rebuild pack cold validate sheet"
    )
    parser.add_argument("--big", action="store_true", help="also 10,000 small records (html,epub)")
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--pack", type=int, default=100, help="records in the pack figure")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    trees = {"new": ROOT}
    if args.baseline:
        trees = {"base": args.baseline.resolve(), "new": ROOT}
    groups = set(args.only or ["scale", "pdf", "rebuild", "pack", "cold", "validate", "sheet"])
    print(f"trees: {trees}; {os.cpu_count()} CPUs, affinity {len(os.sched_getaffinity(0))}", flush=True)
    for tree in trees.values():  # both trees start from compiled modules (PYTHONDONTWRITEBYTECODE may be set)
        for package in ("pipeline", "schemas"):
            compileall.compile_dir(tree / package, quiet=1)

    with tempfile.TemporaryDirectory(prefix="make-report-bench-") as folder:
        work = Path(folder)
        bench = Bench(trees, work, args.repeat, args.timeout)

        if "validate" in groups:
            bench.figure("validate_import", lambda tree, out: ["validate", str(SAMPLE)], repeat=args.repeat * 2)

        if "scale" in groups:
            sizes = [int(s) for s in args.sizes.split(",")] + ([10000] if args.big else [])
            for size in sizes:
                records = small_records(work / f"small-{size}", size)
                bench.figure(
                    f"html_epub_{size}",
                    lambda tree, out, r=records: ["build", str(r), "-o", str(out), "--format", "html,epub", "-j", "1"],
                    repeat=1 if size >= 1000 else args.repeat,
                )

        pandoc = shutil.which("pandoc")
        if "scale" in groups and pandoc:
            # Pandoc converting the chapters our handbook is made of into an EPUB, against our whole
            # html,epub build of the same records (reading and checking included).
            for size in [int(s) for s in args.sizes.split(",")]:
                name = f"html_epub_{size}"
                out = work / f"out-new-{name}"
                if name not in bench.results or not (out / "handbook").is_dir():
                    continue
                chapters = sorted(str(p) for p in (out / "handbook").glob("*.xhtml") if p.stem not in ("nav",))
                runs = []
                for _ in range(1 if size >= 1000 else args.repeat):
                    started, before = time.perf_counter(), os.times()
                    subprocess.run(
                        [pandoc, "-f", "html", "-o", str(work / "pandoc.epub"), *chapters],
                        check=True,
                        capture_output=True,
                    )
                    after = os.times()
                    runs.append(
                        (
                            time.perf_counter() - started,
                            after.children_user - before.children_user + after.children_system - before.children_system,
                        )
                    )
                wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
                print(f"{'pandoc_' + str(size):18} wall {wall:7.2f} s cpu {cpu:7.2f} s ({len(chapters)} chapters)")
                for label, r in bench.results[name].items():
                    print(f"  {name} / pandoc ({label}): wall {r.wall / wall:.2f}x cpu {r.cpu / cpu:.2f}x", flush=True)

        sample40 = sample_records(work / "sample-40", 40)
        if "pdf" in groups:
            for jobs in (1, 2):
                bench.figure(
                    f"pdf_40_j{jobs}",
                    lambda tree, out, j=jobs: ["build", str(sample40), "-o", str(out), "--format", "pdf", "-j", str(j)],
                )
            bench.ratio("pdf_40_j1", "pdf_40_j2")

        if "rebuild" in groups:

            def full(tree: Path, out: Path) -> list[str]:
                return ["build", str(sample40), "-o", str(out), "-j", "2"]

            bench.figure("full_40", full)

            def built(label: str, tree: Path, out: Path) -> None:
                if not (out / "manifest.json").exists():
                    shutil.rmtree(out, ignore_errors=True)
                    run(tree, full(tree, out), {"SOURCE_DATE_EPOCH": EPOCH})

            bench.figure("rebuild_sde", full, prepare=built)
            bench.ratio("rebuild_sde", "full_40")
            bench.figure("rebuild_clock", full, env={"SOURCE_DATE_EPOCH": None}, prepare=built)
            bench.ratio("rebuild_clock", "full_40")

            changed = work / "changed-40"

            def one_changed(label: str, tree: Path, out: Path) -> None:
                shutil.rmtree(changed, ignore_errors=True)
                shutil.copytree(sample40, changed)
                shutil.rmtree(out, ignore_errors=True)
                run(tree, ["build", str(changed), "-o", str(out), "-j", "2"], {"SOURCE_DATE_EPOCH": EPOCH})
                with open(changed / "r007.txt", "a", encoding="utf-8") as handle:
                    handle.write("\nOne more paragraph.\n")

            bench.figure(
                "one_changed", lambda tree, out: ["build", str(changed), "-o", str(out), "-j", "2"], prepare=one_changed
            )
            bench.ratio("one_changed", "full_40")

        if "pack" in groups:
            pack = sample_records(work / f"pack-{args.pack}", args.pack)
            bench.figure(
                f"pack_{args.pack}",
                lambda tree, out: ["build", str(pack), "-o", str(out), "--format", "pack", "-j", "2"],
                repeat=1,
            )
            bench.figure(
                f"sheets_{args.pack}",
                lambda tree, out: ["build", str(pack), "-o", str(out), "--format", "pdf", "-j", "2"],
                repeat=1,
            )
            bench.ratio(f"pack_{args.pack}", f"sheets_{args.pack}")
            bench.ratio(f"pack_{args.pack}", f"sheets_{args.pack}", "cpu")

        if "sheet" in groups:
            warm: dict[str, list[float]] = {label: [] for label in trees}
            for _ in range(args.repeat):
                for label, tree in trees.items():  # alternating, so both see the same load
                    done = subprocess.run(
                        [sys.executable, "-c", _WARM_SHEET, str(SAMPLE), "10"],
                        cwd=tree,
                        env=dict(os.environ, PYTHONPATH=str(tree), SOURCE_DATE_EPOCH=EPOCH),
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    warm[label].append(float(done.stdout.split()[-1]))
            cells = [f"{label}: cpu {statistics.median(v):.3f} s per sheet" for label, v in warm.items()]
            print(f"{'sheet_warm':18} " + " | ".join(cells), flush=True)

        if "cold" in groups:
            single = sample_records(work / "single", 1)
            bench.figure("cold_single", lambda tree, out: ["build", str(single), "-o", str(out), "--format", "pdf"])
            weasyprint = shutil.which("weasyprint") or str(Path(sys.executable).with_name("weasyprint"))
            html = work / "single.html"
            # The same HTML with the same stylesheets, fonts (our fontconfig file) and PDF variant: the CLI does
            # all the layout work the build does, and none of the reading, checking and attaching.
            fonts = work / "fontconfig"
            subprocess.run(
                [sys.executable, "-c", _DUMP_HTML, str(single / "r000.txt"), str(html), str(fonts)],
                check=True,
                cwd=ROOT,
                env=dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PYTHONPATH=str(ROOT)),
            )
            templates = ROOT / "templates"
            command = [weasyprint, "-s", str(templates / "css" / "print.css"), "-s", str(work / "paper.css")]
            command += ["-u", templates.as_uri() + "/", "--pdf-variant", "pdf/ua-1", str(html), str(work / "one.pdf")]
            (work / "paper.css").write_text("@page { size: A4; }\n", encoding="utf-8")
            runs = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                environment = dict(os.environ, FONTCONFIG_FILE=str(fonts / "fonts.conf"))
                subprocess.run(command, check=True, capture_output=True, env=environment)
                runs.append(time.perf_counter() - started)
            fresh = statistics.median(runs)
            print(f"{'weasyprint_cli':18} wall {fresh:7.2f} s (same HTML, print.css, fonts, pdf/ua-1)", flush=True)
            for label, r in bench.results["cold_single"].items():
                print(f"  cold_single / weasyprint CLI: {label}: {r.wall / fresh:.2f}x", flush=True)
            for label, r in bench.results.get("pdf_40_j2", {}).items():
                print(f"  pdf_40_j2 per record / weasyprint CLI: {label}: {r.wall / 40 / fresh:.3f}x", flush=True)
            bare = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                subprocess.run([weasyprint, str(html), str(work / "bare.pdf")], check=True, capture_output=True)
                bare.append(time.perf_counter() - started)
            print(
                f"{'weasyprint_bare':18} wall {statistics.median(bare):7.2f} s (no stylesheet: what 0.1 compared with)"
            )


_DUMP_HTML = """
import os, shutil, sys
from pathlib import Path
from pipeline import render
from pipeline.read import read_record
from pipeline.validate import validate
renderer = render.Renderer(render.BuildInfo.create())
view = renderer.view(validate(read_record(Path(sys.argv[1]))).article, "single")
Path(sys.argv[2]).write_text(renderer.factsheet_html(view), encoding="utf-8")
render._isolate_fontconfig()  # a copy of the build's font list, for the CLI (the original goes at exit)
made = Path(os.environ["FONTCONFIG_FILE"]).parent
shutil.copytree(made, sys.argv[3], symlinks=True)
conf = Path(sys.argv[3]) / "fonts.conf"
conf.write_text(conf.read_text(encoding="utf-8").replace(str(made), sys.argv[3]), encoding="utf-8")
"""

_WARM_SHEET = """
import statistics, sys, time
from pathlib import Path
from pipeline.read import read_record
from pipeline.render import BuildInfo, Renderer
from pipeline.validate import validate
try:  # where this version of make-report keeps it, if it has it
    from pipeline.context import with_links
except ImportError:
    try:
        from pipeline.render import with_links
    except ImportError:
        def with_links(views):
            return views
renderer = Renderer(BuildInfo.create())
record = Path(sys.argv[1])
(view,) = with_links([renderer.view(validate(read_record(record)).article, "s", record.parent / "media")])
html = renderer.factsheet_html(view)
renderer.pdf(html)  # warm: fonts, stylesheet, caches
times = []
for _ in range(int(sys.argv[2])):
    started = time.process_time()
    renderer.pdf(html)
    times.append(time.process_time() - started)
print(statistics.median(times))
"""


if __name__ == "__main__":
    main()
