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
