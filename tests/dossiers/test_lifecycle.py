"""The lifecycle as a state machine: random sequences of actions by random people never
reach an illegal state or skip a step (Hypothesis), and every refusal says why."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.dossiers import lifecycle
from backend.dossiers.lifecycle import ACTIONS, ACTORS, FINAL, STATUSES, Status

steps = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.sampled_from(ACTORS),
        st.sampled_from(["approve", "reject", None]),
    ),
    max_size=60,
)

# The milestones a returned dossier must have passed, in this order.
MILESTONES = ["submitted", "received", "processing", "proposed", "result_ready", "returned"]


def run(sequence: list[tuple[str, str, str | None]]) -> list[Status]:
    """Apply every step the machine accepts (as the service does, keeping the state a
    supplement was requested from); return the states visited."""
    status: Status = "draft"
    resume: Status | None = None
    visited: list[Status] = [status]
    for action, actor, decision in sequence:
        try:
            after = lifecycle.transition(
                status,
                action,  # type: ignore[arg-type]
                actor,  # type: ignore[arg-type]
                resume=resume,
                decision=decision,  # type: ignore[arg-type]
            )
        except (lifecycle.TransitionRefused, lifecycle.ActionForbidden):
            continue
        assert lifecycle.allowed(status, action, actor)  # type: ignore[arg-type]
        if action == "request_supplement":
            resume = status
        if after != status:
            visited.append(after)
        status = after
    return visited


@settings(max_examples=400, deadline=None)
@given(steps)
def test_random_sequences_stay_legal_and_skip_nothing(
    sequence: list[tuple[str, str, str | None]],
) -> None:
    visited = run(sequence)
    for before, after in itertools.pairwise(visited):
        assert before not in FINAL, f"left a final state: {before} -> {after}"
        assert after in STATUSES
        # Every move is an edge some rule allows.
        assert any(
            before in rule.sources.get(actor, frozenset())
            for rule in lifecycle.RULES.values()
            for actor in ACTORS
        )
    if "approved" in visited or "rejected" in visited:
        decided = next(i for i, s in enumerate(visited) if s in {"approved", "rejected"})
        assert visited[decided - 1] == "proposed", "a decision without a proposal"
    if "result_ready" in visited:
        ready = visited.index("result_ready")
        assert visited[ready - 1] in {"approved", "rejected"}, "a result before the decision"
    if "returned" in visited:
        positions = [visited.index(milestone) for milestone in MILESTONES]
        assert positions == sorted(positions), f"a step was skipped: {visited}"
    if "withdrawn" in visited:
        before = visited[visited.index("withdrawn") - 1]
        assert before not in {"approved", "rejected", "result_ready"}, "withdrawn after decision"


def test_the_happy_path() -> None:
    path = [
        ("submit", "citizen"),
        ("receive", "reception"),
        ("assign", "reception"),
        ("propose", "processing"),
        ("decide", "leader"),
        ("attach_result", "processing"),
        ("return_result", "reception"),
    ]
    assert run([(a, who, "approve") for a, who in path]) == [
        "draft",
        "submitted",
        "received",
        "processing",
        "proposed",
        "approved",
        "result_ready",
        "returned",
    ]


@pytest.mark.parametrize(
    ("requested_from", "back_to"),
    [
        ("submitted", "submitted"),
        ("received", "received"),
        ("processing", "processing"),
        ("proposed", "processing"),
    ],
)
def test_a_supplement_goes_back_where_it_was_asked(requested_from: Status, back_to: Status) -> None:
    assert (
        lifecycle.transition("supplement_requested", "supplement", "citizen", resume=requested_from)
        == back_to
    )


def test_final_states_allow_nothing() -> None:
    for status in FINAL:
        for actor in ACTORS:
            assert lifecycle.actions_for(status, actor) == []


def test_every_other_state_can_move_on() -> None:
    for status in set(STATUSES) - FINAL:
        assert any(lifecycle.actions_for(status, actor) for actor in ACTORS), status


def test_refusals_say_why_in_both_languages() -> None:
    with pytest.raises(lifecycle.ActionForbidden) as forbidden:
        lifecycle.transition("proposed", "decide", "processing", decision="approve")
    assert forbidden.value.status_code == 403
    assert "quyền" in forbidden.value.message("vi")
    with pytest.raises(lifecycle.TransitionRefused) as refused:
        lifecycle.transition("draft", "receive", "reception")
    assert refused.value.status_code == 409
    assert "Bản nháp" in refused.value.message("vi")
    assert "Draft" in refused.value.message("en")
    with pytest.raises(lifecycle.TransitionRefused):
        lifecycle.transition("proposed", "decide", "leader")  # no decision given
