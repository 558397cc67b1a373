"""Run the fuzz properties of tests/test_fuzz.py with many examples.

    .venv/bin/python scripts/fuzz.py --examples 5000 [--seed N]

Each property runs ``--examples`` times (structured article texts, then random bytes).
A failure prints hypothesis' falsifying example as a Python bytes literal; the exit
status is 1 when any property failed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SOURCE_DATE_EPOCH", "1764028800")

from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from tests.fuzzing import Generated, articles, check, random_bytes  # noqa: E402


def counting(counts: dict[str, int]):
    """The property, counting the examples it runs and the records it accepts."""

    def run(example: Generated | bytes) -> None:
        counts["examples"] += 1
        counts["accepted"] += check(example)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000, help="examples per property (default 5000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed, to repeat a run")
    args = parser.parse_args()
    options = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    started = time.perf_counter()
    failures = 0
    total = {"examples": 0, "accepted": 0}
    for name, strategy in (("article texts", articles()), ("random bytes", random_bytes)):
        counts = {"examples": 0, "accepted": 0}

        test = options(given(strategy)(counting(counts)))
        if args.seed is not None:
            test = seed(args.seed)(test)
        begun = time.perf_counter()
        try:
            test()
            status = "ok"
        except Exception:  # hypothesis has printed the falsifying example
            failures += 1
            status = "FAILED"
            traceback.print_exc()
        print(
            f"{name}: {status}: {counts['examples']} examples run, {counts['accepted']} accepted "
            f"({time.perf_counter() - begun:.1f} s)",
            flush=True,
        )
        for key in total:
            total[key] += counts[key]
    print(
        f"total: {total['examples']} examples run, {total['accepted']} accepted, {failures} failures "
        f"({time.perf_counter() - started:.1f} s)"
    )
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
