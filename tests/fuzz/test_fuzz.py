"""CI fuzz: mutated examples through ``abscopal.cli.main`` give a result or one input error, never a crash.

A small, seeded share of the on-demand run (``python -m tests.fuzz.run --cases 5000 --seed 18``):
hypothesis draws the random stream that :func:`tests.fuzz.engine.make_case` mutates the examples with.
Any outcome other than a good run, a one-line input error or a reported solver failure fails the test
with the mutations that caused it.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.fuzz.engine import FINDINGS, examples, make_case, run_case

POOL = examples()


@seed(18)
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.randoms(use_true_random=False))
def test_mutated_examples_never_crash(rng: random.Random) -> None:
    case = make_case(rng, POOL)
    outcome = run_case(case, limit_s=30.0)
    assert outcome.kind not in FINDINGS, f"{outcome.kind}: {case.example.name} {case.family} {case.mutations}: {outcome.detail}"


@pytest.mark.parametrize("family", ["structural", "value", "extreme_valid", "raw_bytes"])
def test_every_family_changes_the_file(family: str) -> None:
    """The engine mutates: each family changes the example's bytes for most seeds (else the fuzz tests nothing)."""
    changed = 0
    for k in range(20):
        rng = random.Random(k)
        case = None
        while case is None or case.family != family:
            case = make_case(rng, POOL)
        changed += case.payload != case.example.text.encode()
    assert changed >= 10
