"""Role-play rules: the state machine's transition table, rubric totals and pass marks."""

from __future__ import annotations

import itertools

import pytest

from app.roleplay import scoring
from app.roleplay.models import STATUSES
from app.roleplay.services import TRANSITIONS, TransitionError, next_status

ACTIONS = ("save", "submit", "resubmit", "save-grading", "grade", "return")
ALLOWED = {
    ("draft", "save"): "draft",
    ("draft", "submit"): "submitted",
    ("returned", "save"): "returned",
    ("returned", "resubmit"): "resubmitted",
    ("submitted", "save-grading"): "submitted",
    ("resubmitted", "save-grading"): "resubmitted",
    ("submitted", "grade"): "graded",
    ("resubmitted", "grade"): "graded",
    ("graded", "grade"): "graded",
    ("submitted", "return"): "returned",
    ("resubmitted", "return"): "returned",
}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(STATUSES, ACTIONS)))
def test_every_transition_is_allowed_or_refused(status, action):
    if (status, action) in ALLOWED:
        assert next_status(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(TransitionError):
            next_status(status, action)


def test_table_names_only_known_statuses_and_actions():
    assert set(TRANSITIONS) == set(ALLOWED)
    assert {s for s, _ in TRANSITIONS} | set(TRANSITIONS.values()) <= set(STATUSES)


RUBRIC = {
    "title": "t",
    "criteria": [
        {"key": "a", "title": "A", "levels": [{"points": 0}, {"points": 2}, {"points": 4}]},
        {"key": "b", "title": "B", "levels": [{"points": 1}, {"points": 3}, {"points": 5}, {"points": 6}]},
    ],
}


def test_max_points_is_the_sum_of_top_levels():
    assert scoring.max_points(RUBRIC) == 10


@pytest.mark.parametrize(
    ("levels", "total"),
    [({}, 0), ({"a": 0, "b": 0}, 1), ({"a": 1}, 2), ({"a": 2, "b": 3}, 10), ({"a": 1, "b": 2}, 7)],
)
def test_total_sums_chosen_levels(levels, total):
    assert scoring.total(RUBRIC, levels) == total


@pytest.mark.parametrize(
    ("maximum", "percent", "mark"), [(10, 60, 6), (10, 65, 7), (7, 65, 5), (20, 100, 20), (12, 1, 1)]
)
def test_pass_mark_rounds_up_and_matches_passed(maximum, percent, mark):
    assert scoring.pass_mark(maximum, percent) == mark
    assert scoring.passed(mark, maximum, percent)
    assert not scoring.passed(mark - 1, maximum, percent)


@pytest.mark.parametrize(
    ("raw", "levels", "bad"),
    [
        ({"a": "2", "b": "0"}, {"a": 2, "b": 0}, []),
        ({"a": "", "b": None}, {}, []),
        ({"a": "3"}, {}, ["a"]),
        ({"a": "-1", "b": "x"}, {}, ["a", "b"]),
        ({"a": True}, {}, ["a"]),
        ({"zzz": "1", "b": 3}, {"b": 3}, []),
    ],
)
def test_parse_levels_keeps_valid_indexes_and_names_bad_ones(raw, levels, bad):
    assert scoring.parse_levels(RUBRIC, raw) == (levels, bad)


@pytest.mark.parametrize(
    ("levels", "verdict"),
    [
        ({}, "incomplete"),
        ({"a": 2}, "incomplete"),
        ({"a": 2, "b": 0}, "failed"),
        ({"a": 1, "b": 3}, "passed"),
        ({"a": 0, "b": 3}, "passed"),
        ({"a": 0, "b": 2}, "failed"),
    ],
)
def test_verdict_says_incomplete_until_every_criterion_has_a_level(levels, verdict):
    assert scoring.verdict(RUBRIC, levels, scoring.max_points(RUBRIC), 60) == verdict


@pytest.mark.parametrize("percent", [0, 1, 33, 60, 61, 99, 100])
def test_verdict_agrees_with_the_pass_mark_shown(percent):
    """The page shows the pass mark and the verdict; they never disagree (and the write uses ``passed``)."""
    maximum = scoring.max_points(RUBRIC)
    for a, b in itertools.product(range(3), range(4)):
        levels = {"a": a, "b": b}
        total = scoring.total(RUBRIC, levels)
        expected = "passed" if total >= scoring.pass_mark(maximum, percent) else "failed"
        assert scoring.verdict(RUBRIC, levels, maximum, percent) == expected
        assert (expected == "passed") == scoring.passed(total, maximum, percent)


def _submission(status: str, live: bool = False, trainee_id: int = 1):
    from types import SimpleNamespace

    from app.roleplay.models import WAITING

    return SimpleNamespace(
        status=status, live=live, trainee_id=trainee_id, waiting=status in WAITING, double_mark=False
    )


@pytest.mark.parametrize(("status", "live"), list(itertools.product(STATUSES, (False, True))))
def test_a_grader_is_offered_exactly_the_actions_the_write_allows(monkeypatch, status, live):
    from types import SimpleNamespace

    from app.roleplay import queries, services

    monkeypatch.setattr(queries, "can_grade", lambda user, submission: True)
    grader = SimpleNamespace(id=2)
    offered = services.allowed_actions(_submission(status, live), grader)
    expected = {
        "submitted": ("save", "grade", "return"),
        "resubmitted": ("save", "grade", "return"),
        "graded": ("grade",),
    }.get(status, ())
    if live:
        expected = tuple(a for a in expected if a != "return")
    assert offered == expected
    for action in services.GRADER_ACTIONS:  # what is offered is what the transition table and the live rule accept
        refused = services._grader_refusal(_submission(status, live), action)
        assert (refused is None) == (action in offered)
        if refused is None:
            next_status(status, services.GRADER_ACTIONS[action])


def test_nobody_but_a_grader_or_the_trainee_is_offered_anything(monkeypatch):
    from types import SimpleNamespace

    from app.roleplay import queries, services

    monkeypatch.setattr(queries, "can_grade", lambda user, submission: False)
    assert services.allowed_actions(_submission("submitted"), SimpleNamespace(id=3)) == ()


@pytest.mark.parametrize("status", [None, *STATUSES])
def test_the_trainee_may_save_and_submit_unless_the_work_waits_for_a_grader(status):
    from types import SimpleNamespace

    from app.roleplay import services

    trainee = SimpleNamespace(id=1)
    offered = services.allowed_actions(None if status is None else _submission(status), trainee)
    assert offered == (() if status in ("submitted", "resubmitted") else ("save", "submit"))
