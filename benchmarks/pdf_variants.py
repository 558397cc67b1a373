"""Render-time cost of tagging (PDF/UA-1) and of PDF/A-3a, measured side by side.

    python benchmarks/pdf_variants.py [--records 40] [--repeat 7]

Renders the same 40 fact sheets (the sample record under 40 titles, each with
its source and provenance attached where the mode attaches) in three modes, each
sheet in all modes back to back so that machine load hits all modes alike.
Prints the median batch time of each mode and its cost relative to the untagged
PDF the pipeline wrote before (``write_pdf(pdf_variant=None)``, no attachments).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from pipeline.read import parse_bytes
from pipeline.render import BuildInfo, Renderer, provenance_attachments
from pipeline.validate import Options, validate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "records" / "tajikistani-internal-troops.txt"


def untagged(renderer: Renderer, html: str) -> bytes:
    """The pipeline's PDF before tagging: no variant, no attachments."""
    from weasyprint import HTML

    fonts, sheets = renderer._weasyprint()
    document = HTML(string=html, base_url=renderer.templates.as_uri() + "/", url_fetcher=renderer.fetcher).render(
        stylesheets=sheets, font_config=fonts
    )
    return document.write_pdf(pdf_variant=None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1764028800")
    data = SAMPLE.read_bytes()
    body = data.decode("utf-8").split("\n", 1)[1]
    renderers = {
        "untagged": Renderer(BuildInfo.create(archival=False)),
        "pdf/ua-1": Renderer(BuildInfo.create(archival=False)),
        "pdf/a-3a + pdf/ua-1": Renderer(BuildInfo.create(archival=True)),
    }
    jobs = []
    for i in range(args.records):
        text = f"= Record {i:03} =\n{body}".encode()
        raw = parse_bytes(text, f"records/r{i:03}.txt")
        article = validate(raw, Options(source_name=f"records/r{i:03}.txt")).article
        jobs.append((article, text))
    html = {
        mode: [r.factsheet_html(r.view(a, f"r{i}")) for i, (a, _) in enumerate(jobs)] for mode, r in renderers.items()
    }
    attached = [provenance_attachments([(a, t)], renderers["untagged"].build) for a, t in jobs]

    def render(mode: str, i: int) -> float:
        renderer = renderers[mode]
        started = time.perf_counter()
        if mode == "untagged":
            untagged(renderer, html[mode][i])
        else:
            renderer.pdf(html[mode][i], attached[i])
        return time.perf_counter() - started

    def batch() -> dict[str, float]:
        """One batch of every mode, sheet by sheet: each sheet in all modes back to back."""
        totals = dict.fromkeys(renderers, 0.0)
        for i in range(len(jobs)):
            for mode in renderers:
                totals[mode] += render(mode, i)
        return totals

    batch()  # warm: fonts and stylesheets loaded once
    rounds = [batch() for _ in range(args.repeat)]
    base = statistics.median(r["untagged"] for r in rounds)
    for mode in renderers:
        values = [r[mode] for r in rounds]
        ratio = statistics.median(r[mode] / r["untagged"] - 1 for r in rounds)
        print(
            f"{mode:22} median {statistics.median(values):6.2f} s for {args.records} sheets "
            f"({(statistics.median(values) / base - 1) * 100:+5.1f}% vs untagged; median of per-round ratios "
            f"{ratio * 100:+5.1f}%)  runs: {', '.join(f'{v:.2f}' for v in values)}"
        )


if __name__ == "__main__":
    main()
