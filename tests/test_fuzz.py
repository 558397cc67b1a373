"""Property tests: no input crashes the reader or the validator, diagnostics point at real
lines, and an accepted record's handbook chapter shows every source string.

Bounded and derandomized so that the file runs in seconds; ``scripts/fuzz.py`` runs the same
properties with many more examples.
"""

from __future__ import annotations

import json
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.handbook import Handbook
from pipeline.read import parse_bytes, parse_json
from pipeline.validate import validate

from .conftest import SAMPLE
from .fuzzing import Generated, articles, chapter_xhtml, check, random_bytes, renderer

FAST = settings(
    max_examples=1000,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_generated_articles():
    counts: Counter[bool] = Counter()

    @FAST
    @given(articles())
    def run(example: Generated):
        counts[check(example)] += 1

    run()
    # the generator must reach the renderer, not only the reader's error paths
    assert counts[True] >= sum(counts.values()) // 5, counts


@settings(FAST, max_examples=1000)
@given(random_bytes)
def test_random_bytes(data: bytes):
    check(data)


def test_sample_passes_the_properties():
    assert check(Generated(SAMPLE.read_bytes(), exact=False))


def test_chapter_is_the_one_handbook_files_gives():
    """The properties read ``Handbook.documents``; ``files()`` must hold the same chapter."""
    article = validate(parse_bytes(SAMPLE.read_bytes(), "fuzz.txt")).article
    view = renderer().view(article, "fuzz")
    assert Handbook(renderer(), [view]).files()["fuzz.xhtml"] == chapter_xhtml(article)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
json_records = st.fixed_dictionaries(
    {"title": st.text(max_size=10)},
    optional={"lead": json_values, "sections": json_values, "infobox": json_values, "extra": json_values},
)


@settings(FAST, max_examples=200)
@given(st.one_of(random_bytes, json_records.map(lambda v: json.dumps(v, indent=1).encode())))
def test_json_records_never_crash(data: bytes):
    outcome = validate(parse_json(data, "fuzz.json"))
    last = data.count(b"\n") + 1
    assert all(1 <= d.line <= last for d in outcome.diagnostics), outcome.diagnostics


def test_export_reads_back_to_the_same_chapter():
    """Any accepted text record, exported as JSON (make-report export), gives the same chapter."""
    from schemas.authored import authored_form

    from .fuzzing import LABEL

    counts: Counter[bool] = Counter()

    @settings(FAST, max_examples=300)
    @given(articles())
    def run(example: Generated):
        article = validate(parse_bytes(example.data, LABEL)).article
        counts[article is not None] += 1
        if article is None:
            return
        exported = authored_form(article).model_dump_json(exclude_none=True).encode()
        outcome = validate(parse_json(exported, LABEL))
        assert outcome.article is not None, [str(d) for d in outcome.diagnostics]
        before = chapter_xhtml(article).replace(article.provenance.sha256.encode(), b"")
        after = chapter_xhtml(outcome.article).replace(outcome.article.provenance.sha256.encode(), b"")
        assert after == before

    run()
    assert counts[True] >= 30, counts
