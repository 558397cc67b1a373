"""Cross-linking cost for a large set: N synthetic agency records that name each other.

Run: .venv/bin/python benchmarks/crosslinks.py [N]  (prints the median of 5 runs of link()).
"""

from __future__ import annotations

import random
import statistics
import sys
import time

from pipeline.crosslinks import link
from schemas import Article, Infobox, InfoboxField, Paragraph, Provenance, Section


def records(n: int) -> list[tuple[str, Article]]:
    rng = random.Random(13)
    words = ["Northern", "Coastal", "Mountain", "River", "Federal", "Regional", "Border", "Customs", "Harbour"]
    names = [f"{rng.choice(words)} {rng.choice(words)} Agency {i}" for i in range(n)]
    found = []
    for i, name in enumerate(names):
        text = " ".join(
            f"It works with the {names[rng.randrange(n)]} and reports on {rng.choice(words).lower()} matters."
            for _ in range(8)
        )
        found.append(
            (
                f"r{i}",
                Article(
                    title=name,
                    infobox=Infobox(fields=[InfoboxField(key="Aliases", value=f"A{i}X")]),
                    lead=[Paragraph(text=text)],
                    sections=[Section(title="History", level=2, blocks=[Paragraph(text=text)] * 5)],
                    provenance=Provenance(path=f"r{i}.txt", sha256="0" * 64),
                ),
            )
        )
    return found


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    data = records(n)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        result = link(data)
        times.append(time.perf_counter() - start)
    mentions = sum(len(r.mentions) for r in result.values())
    print(f"{n} records, {mentions} cross-references: link() median {statistics.median(times):.3f} s")
