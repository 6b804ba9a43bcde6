"""Property tests: whatever arrives, the engine answers and never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialogs.content import Dialog
from dialogs.engine import new_state, step
from dialogs.events import Back, Choose, Event, FreeText, Help, Restart, Resume, Skip, Start, Summary, Why
from dialogs.matching import match_choice

ids = st.sampled_from(["work", "value", "means", "role", "pay", "end", "x", ""]) | st.text(max_size=12)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(Start, st.none()),
    st.builds(Choose, ids, ids, st.integers(min_value=-3, max_value=40)),
    st.builds(FreeText, st.text(max_size=300), st.none() | st.integers(min_value=-3, max_value=40)),
    st.sampled_from([Resume(), Back(), Skip(), Restart(), Why(), Summary(), Help()]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(events, max_size=40))
def test_engine_never_raises_and_always_answers(dialog: Dialog, sequence: list[Event]) -> None:
    state = new_state(dialog)
    for event in sequence:
        result = step(dialog, state, event)
        assert result.replies
        assert 0 <= result.state.position_in(dialog) <= dialog.total
        assert result.state.turn >= state.turn
        assert len(result.state.answers) <= dialog.total
        state = result.state


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_matching_never_raises(dialog: Dialog, text: str) -> None:
    for distinction in dialog.distinctions:
        match = match_choice(distinction, text)
        assert match.choice is None or match.choice in distinction.choices
