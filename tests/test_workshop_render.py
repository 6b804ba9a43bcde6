"""Workshop replies laid out as text: every reply of a whole workshop renders, escaped."""

from __future__ import annotations

from bot.render import PLAIN, TELEGRAM_HTML
from bot.stats import share_text
from bot.workshop_render import with_count, workshop_reply_text
from dialogs import messages
from dialogs.content import Dialog, Lean
from dialogs.events import End, Next, Open, Reveal
from dialogs.i18n import percent, speaking
from dialogs.replies import Difference, GroupProfile, Tally, TallyRow, VoteQuestion
from dialogs.stats import Share
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


def test_percentages_are_written_as_the_language_writes_them(dialog: Dialog) -> None:
    """CLDR through Babel: "45%" in English, "45 %" (a no-break space) in Spanish, in the
    tally bars and in the counsellor's statistics."""
    tally = Tally("x", "Pay", (TallyRow("More", Lean.JOB, 9, 45), TallyRow("Less", Lean.CAREER, 11, 55)), 20)
    share = Share("more", "More", Lean.JOB, 9, 45)
    english = workshop_reply_text(tally, PLAIN).splitlines()[1:]
    assert english == ["████░░░░░░  45% (9) More", "██████░░░░  55% (11) Less"]
    assert share_text(share) == "9 (45%)"
    with speaking(dialog.in_language("es").messages):
        spanish = workshop_reply_text(tally, PLAIN).splitlines()[1:]
        assert spanish == ["████░░░░░░  45\xa0% (9) More", "██████░░░░  55\xa0% (11) Less"]
        assert share_text(share) == "9 (45\xa0%)"
        assert percent(100) == "100\xa0%"
