"""Performance targets, measured: medians over repeated runs, never asserted in tests.

    python benchmarks/bench.py [--repeat N] [--records N]

Targets (2-core machine, see README):
  one fact sheet, HTML -> PDF, warm renderer  : median <= 0.25 s
  batch of 40 records, all formats, cold       : median <= 15 s
  a 200,000-character paragraph fact sheet     : median <= 6 s
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.build import Builder, BuildOptions
from pipeline.read import read_record
from pipeline.render import BuildInfo, Renderer
from pipeline.validate import validate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "records" / "tajikistani-internal-troops.txt"
TARGETS = {"factsheet_warm": 0.25, "batch_40_all_formats": 15.0, "long_paragraph": 6.0}


def median_of(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--records", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764028800")
    results = {}

    renderer = Renderer(BuildInfo.create())
    article = validate(read_record(SAMPLE)).article
    html = renderer.factsheet_html(renderer.view(article, "sample"))
    renderer.pdf(html)  # warm: fonts and stylesheet loaded once
    results["factsheet_warm"] = median_of(lambda: renderer.pdf(html), args.repeat * 4)

    with tempfile.TemporaryDirectory() as folder:
        records = Path(folder) / "records"
        records.mkdir()
        body = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]
        for i in range(args.records):
            (records / f"r{i:03}.txt").write_text(f"= Record {i:03} =\n{body}", encoding="utf-8")

        def batch() -> None:
            out = Path(folder) / "out"
            shutil.rmtree(out, ignore_errors=True)
            Builder(BuildOptions(output=out)).run([records])

        results["batch_40_all_formats"] = median_of(batch, max(1, args.repeat // 2))

        long = Path(folder) / "long" / "long.txt"
        long.parent.mkdir()
        words = " ".join(["lorem", "ipsum", "dolor", "sit", "amet", "consectetur"] * 5000)[:195000]
        long.write_text(f"= Long =\n\n{words} {'Z' * 5000}\n", encoding="utf-8")

        def long_sheet() -> None:
            out = Path(folder) / "long-out"
            shutil.rmtree(out, ignore_errors=True)
            Builder(BuildOptions(output=out, formats=("pdf",))).run([long])

        results["long_paragraph"] = median_of(long_sheet, max(1, args.repeat // 2))

    failed = 0
    for name, seconds in results.items():
        ok = seconds <= TARGETS[name]
        failed += not ok
        print(f"{name:24} median {seconds:7.3f} s   target <= {TARGETS[name]:5.2f} s   {'ok' if ok else 'MISSED'}")
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
