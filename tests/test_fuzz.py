"""Property tests: generated records never crash the reader, and accepted ones lose nothing."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.read import parse_json
from pipeline.validate import validate

from .fuzzing import article_texts, check, random_bytes

FAST = settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(article_texts())
def test_generated_articles(data: bytes):
    check(data)


@FAST
@given(random_bytes)
def test_random_bytes(data: bytes):
    check(data)


def test_generator_produces_accepted_records():
    from hypothesis import find

    assert find(article_texts(), check, settings=settings(derandomize=True, database=None))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
json_records = st.fixed_dictionaries(
    {"title": st.text(max_size=10)},
    optional={"lead": json_values, "sections": json_values, "infobox": json_values, "extra": json_values},
)


@FAST
@given(st.one_of(random_bytes, json_records.map(lambda v: json.dumps(v).encode())))
def test_json_records_never_crash(data: bytes):
    outcome = validate(parse_json(data, "fuzz.json"))
    last = data.count(b"\n") + 1
    assert all(1 <= d.line <= last for d in outcome.diagnostics)
