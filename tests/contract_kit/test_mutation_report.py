"""How ``make mutation`` classifies and scores survivors (the run itself is too slow for here)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from interlock_contract.mutation import MutationScore, _reason, is_wording

HERE = Path(__file__).parent


def _diff(old: str, new: str) -> str:
    return f"--- a.py\n+++ a.py\n@@ -1 +1 @@\n-{old}\n+{new}\n"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('raise X("the job ended early")', 'raise X("XXthe job ended earlyXX")'),
        ('raise X("the job ended early")', 'raise X("THE JOB ENDED EARLY")'),
        ("log.info('a b', x=1)", "log.info('A B', x=1)"),
    ],
)
def test_a_reworded_sentence_is_wording(old: str, new: str) -> None:
    assert is_wording(_diff(old, new))


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ('X("a b", field="data.state")', 'X("a b", field="DATA.STATE")', "a field name"),
        ('body = {"reasonCode": c}', 'body = {"XXreasonCodeXX": c}', "a key"),
        ('raise X("the job ended")', "raise X(None)", "a message gone"),
        ('raise X("the job ended")', 'raise X("the job ended", )', "not only the literal"),
        ('if s == "a b":', 'if s != "a b":', "an operator"),
        ('X("the job ended")', 'X("the job was over")', "another sentence"),
    ],
)
def test_anything_else_is_not_wording(old: str, new: str, why: str) -> None:
    assert not is_wording(_diff(old, new)), why


def test_the_score_counts_wording_as_survivors_and_shows_it_apart() -> None:
    score = MutationScore("x", killed=80, survived=15, wording=10, no_tests=5)
    assert score.score == pytest.approx(80.0)
    assert score.score_without_wording == pytest.approx(80 / 90 * 100)


def test_every_equivalence_rule_has_a_reason_and_matches_its_example() -> None:
    rules = tomllib.loads((HERE / "mutation_equivalents.toml").read_text())["equivalent"]
    assert rules, "the equivalents file lists no rule"
    for rule in rules:
        assert rule["reason"].strip(), f"rule {rule['diff']!r} gives no reason"
    method = _diff('            "GET",', '            "get",')
    assert _reason(method, rules) is not None, "the HTTP method's case is a listed equivalence"
    assert _reason(_diff("x = a + b", "x = a - b"), rules) is None
