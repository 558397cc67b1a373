"""Run the fuzz properties with many examples:  python scripts/fuzz.py --examples 5000"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, given, settings

from tests.fuzzing import article_texts, check, random_bytes


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=5000)
    args = parser.parse_args()
    counts = {"examples": 0, "accepted": 0}

    def run(data: bytes) -> None:
        counts["examples"] += 1
        counts["accepted"] += check(data)

    options = settings(max_examples=args.examples, deadline=None, suppress_health_check=list(HealthCheck))
    started = time.perf_counter()
    failures = 0
    for name, strategy in (("article texts", article_texts()), ("random bytes", random_bytes)):
        try:
            options(given(strategy)(run))()
        except Exception as exc:  # hypothesis prints the falsifying example
            failures += 1
            print(f"{name}: FAILED: {exc!r}")
    seconds = time.perf_counter() - started
    print(f"{counts['examples']} examples, {counts['accepted']} accepted records, {failures} failures, {seconds:.1f} s")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
