"""Property tests: generated records never crash the reader, and accepted ones lose nothing."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

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
