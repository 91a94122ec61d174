"""Question pools: the draw rules of a quiz and the paper of one attempt (pure functions).

A rule is ``{"tag": ..., "count": n}``, ``{"type": ..., "count": n}`` or both keys (a question must
match every key given). A paper gives each rule ``count`` distinct questions, no question twice. Rules
compete for questions, so whether a pool can satisfy them is a bipartite matching of the rules' slots
to the questions; the loader uses :func:`shortfall` to refuse rules a pool cannot satisfy, and
:func:`draw` never fails on rules that passed it. No Flask, no database: the content loader imports it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any

Rule = dict[str, Any]
Question = dict[str, Any]


def matches(rule: Rule, question: Question) -> bool:
    """Whether a question fits a rule (every key the rule gives)."""
    if rule.get("tag") is not None and rule["tag"] not in (question.get("tags") or []):
        return False
    return rule.get("type") is None or rule["type"] == question.get("type")


def paper_size(rules: Sequence[Rule] | None, questions: Sequence[Question]) -> int:
    """How many questions one attempt gets: the rules' counts, or the whole quiz without rules."""
    return sum(int(rule["count"]) for rule in rules) if rules else len(questions)


def _slots(rules: Sequence[Rule]) -> list[int]:
    return [index for index, rule in enumerate(rules) for _ in range(int(rule["count"]))]


def _augment(slot: int, edges: list[list[int]], owner: dict[int, int], seen: set[int]) -> bool:
    for question in edges[slot]:
        if question in seen:
            continue
        seen.add(question)
        if question not in owner or _augment(owner[question], edges, owner, seen):
            owner[question] = slot
            return True
    return False


def _matched(edges: list[list[int]]) -> int:
    """The size of a maximum matching of slots (rows of ``edges``) to question indexes (Kuhn's algorithm)."""
    owner: dict[int, int] = {}
    return sum(_augment(slot, edges, owner, set()) for slot in range(len(edges)))


def shortfall(rules: Sequence[Rule], questions: Sequence[Question]) -> int:
    """How many of the rules' questions no paper can supply (0: the pool satisfies the rules)."""
    slots = _slots(rules)
    edges = [[i for i, q in enumerate(questions) if matches(rules[s], q)] for s in slots]
    return len(slots) - _matched(edges)


def candidates(rule: Rule, questions: Sequence[Question]) -> int:
    """How many questions of the pool fit one rule."""
    return sum(matches(rule, q) for q in questions)


def draw(
    rules: Sequence[Rule], questions: Sequence[Question], seen: Iterable[str] = (), rng: random.Random | None = None
) -> list[str]:
    """The question ids of one paper, in the quiz's order, preferring questions not in ``seen``.

    Slots are filled rule by rule; each takes the most preferred question (unseen first, then at random)
    that still leaves a full paper possible for the slots after it.
    """
    rng = rng or random.Random()
    seen = set(seen)
    order = list(range(len(questions)))
    rng.shuffle(order)
    order.sort(key=lambda i: questions[i]["id"] in seen)  # stable: unseen first, random within each group
    slots = _slots(rules)
    fits = [[i for i in order if matches(rules[s], questions[i])] for s in slots]
    taken: list[int] = []
    for position in range(len(slots)):
        rest = slots[position + 1 :]
        for choice in fits[position]:
            if choice in taken:
                continue
            used = {*taken, choice}
            edges = [[i for i in fits[position + 1 + k] if i not in used] for k in range(len(rest))]
            if _matched(edges) == len(rest):
                taken.append(choice)
                break
        else:
            raise ValueError("the pool cannot satisfy the draw rules")
    return [questions[i]["id"] for i in sorted(taken)]
