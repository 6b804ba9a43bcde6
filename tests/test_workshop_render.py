"""Workshop replies laid out as text: every reply of a whole workshop renders, escaped."""

from __future__ import annotations

from bot.render import PLAIN, TELEGRAM_HTML
from bot.workshop_render import with_count, workshop_reply_text
from dialogs import messages
from dialogs.content import Dialog
from dialogs.events import End, Next, Open, Reveal
from dialogs.replies import Difference, GroupProfile, VoteQuestion
from dialogs.workshop import WorkshopPhase, WorkshopState, in_order, step, vote_count, vote_question


def test_every_reply_of_a_workshop_renders(dialog: Dialog) -> None:
    state = WorkshopState()
    tallies = {d.id: {d.choices[0].id: 2, d.choices[-1].id: 1} for d in dialog.distinctions}
    rendered: list[str] = []
    for event in [Open("fac"), Open("fac"), Reveal("fac"), Next("fac"), Next("mem"), End("fac")]:
        result = step(dialog, state, event, tallies)
        rendered += [workshop_reply_text(r, TELEGRAM_HTML) for r in result.replies]
        state = result.state
    assert all(text.strip() for text in rendered)
    assert any("67%" in text for text in rendered)  # 2 of 3 in the tally bar
    assert any(dialog.distinctions[0].why.split()[0] in text for text in rendered)


def test_the_count_edit_changes_only_the_count_line(dialog: Dialog) -> None:
    state = in_order(dialog, WorkshopState(2, dialog.id, "fac", WorkshopPhase.ASKING, 0))
    question = vote_question(dialog, state)
    before = workshop_reply_text(question, PLAIN)
    after = workshop_reply_text(with_count(question, vote_count(state, question.distinction, 7)), PLAIN)
    assert before.splitlines()[:-1] == after.splitlines()[:-1]
    assert after.splitlines()[-1] == messages.VOTE_COUNT.say(7, voters=7)
    other = vote_count(state, "another-question", 9)
    assert with_count(question, other) == question


def test_content_is_escaped(dialog: Dialog) -> None:
    d = Difference("x", "Pay <b>&</b> pride", (), "because <i>")
    html = workshop_reply_text(d, TELEGRAM_HTML)
    assert "<b>Pay &lt;b&gt;&amp;&lt;/b&gt; pride</b>" in html and "because &lt;i&gt;" in html
    q = VoteQuestion(
        1,
        "x",
        "<t>",
        "<q>",
        (),
        vote_question(dialog, in_order(dialog, WorkshopState(1, dialog.id))).progress,
        "<c>",
    )
    assert "<t>" not in workshop_reply_text(q, TELEGRAM_HTML)
    profile = step(
        dialog, in_order(dialog, WorkshopState(1, dialog.id, "f", WorkshopPhase.REVEALED, 0)), End("f")
    ).replies[1]
    assert isinstance(profile, GroupProfile)
    assert messages.WORKSHOP_ROW_NOBODY in workshop_reply_text(profile, PLAIN)
