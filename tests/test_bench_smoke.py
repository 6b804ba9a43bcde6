"""The benchmark, run tiny, so it cannot rot. No assertion here is about time."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import chart, core, crash, flush, languages, memory, outbox, ptb, startup, wire, workshop
from bench.__main__ import PARTS, run
from bench.report import render
from bench.scale import SMOKE
from bench.stats import percentile
from dialogs.content import Lean

PEOPLE = 10


def _turns(people: int) -> int:
    return people * core.turns_per_person(core.the_dialog())


def _answers(people: int) -> int:
    return people * core.the_dialog().total


async def test_core_stores_every_turn(tmp_path: Path) -> None:
    result = await core.core_run(PEOPLE, tmp_path, concurrency=PEOPLE)
    assert result.turns == len(result.latencies_s) == _turns(PEOPLE)
    assert result.extra["stored_sessions"] == PEOPLE
    assert result.extra["stored_answers"] == _answers(PEOPLE)
    assert 1 <= result.extra["batches"] <= result.turns
    assert result.cpu_s > 0 and result.wall_s > 0


@pytest.mark.parametrize("batch", [None, PEOPLE])
def test_floor_makes_the_same_writes(tmp_path: Path, batch: int | None) -> None:
    result = core.floor_run(PEOPLE, tmp_path, batch)
    assert result.turns == _turns(PEOPLE)
    (path,) = tmp_path.glob("floor-*.db")
    assert core.count_rows(path) == (PEOPLE, _answers(PEOPLE))


@pytest.mark.parametrize("side", ["baseline", "ours"])
async def test_telegram_sides_make_the_same_calls_and_store_every_answer(tmp_path: Path, side: str) -> None:
    result = await ptb.run_side(ptb.SIDES[side], PEOPLE, tmp_path)
    answers = _answers(PEOPLE)
    assert result.turns == _turns(PEOPLE)
    assert result.extra["stored_answers"] == answers
    assert result.extra["calls_answerCallbackQuery"] == answers
    edits = result.extra.get("calls_editMessageText", 0)
    if side == "baseline":
        assert edits == answers
    else:  # marking an answered question is a courtesy, skipped at a pace over 30 messages/s
        assert edits <= answers
    # the next question (or the profile) per answer at least; the explanation goes with it
    # on our side, as a message of its own on the baseline's
    assert result.extra["calls_sendMessage"] >= (2 if side == "baseline" else 1) * answers
    assert result.peak_rss_kb > 0


@pytest.mark.parametrize("side", ["baseline", "ours"])
def test_over_the_wire_each_side_answers_every_press(tmp_path: Path, side: str) -> None:
    # Real processes: the fake Bot API with its people, and the bot polling it over HTTP.
    run = wire.wire_run(side, 3, 0.0, warm_s=0.5, window_s=1.0, workdir=tmp_path)
    assert run.turns >= 1 and len(run.latencies_s) == run.turns
    assert 0 < run.answers <= run.turns
    # every press in the window that was answered was answered once, by its own query id
    assert 1 <= len(run.acks_s) <= run.calls["answerCallbackQuery"]
    # an answer is shown as the explanation and the next question (or the profile), and on
    # the baseline's side an edit (ours marks the question only when there is room)
    assert run.calls["sendMessage"] >= 1
    assert side == "ours" or run.calls["editMessageText"] >= 1
    # each answer shows at least its next question; a greeting's messages are not counted
    assert run.answers <= run.answer_messages <= sum(run.calls.get(m, 0) for m in wire.MESSAGES)
    assert run.cpu_s > 0 and run.wall_s > 0


async def test_a_pickle_flush_writes_every_changed_person(tmp_path: Path) -> None:
    stall, whole, size = await flush.flush_stall(30, 5, tmp_path)
    assert stall > 0 and whole > 0 and size > 0
    from bench.baseline import stored_answers

    stored = stored_answers(tmp_path / "flush-30-5.pickle")
    assert len(stored) == 30
    # the changed people's new answers reached the file, the others kept theirs
    dialog = core.the_dialog()
    assert stored[0] == flush._answers(dialog, 1) and stored[29] == flush._answers(dialog, 29)


def test_over_the_wire_part_has_every_row_and_target(tmp_path: Path) -> None:
    # both sides without the limiter, then both as deployed, interleaved
    section, targets = wire.measure(SMOKE, tmp_path)
    sides = [row[0] for row in section.rows]
    assert sides == [
        "baseline",
        "ours",
        "ours / baseline",
        "baseline as deployed (rate limiter)",
        "ours as deployed (rate limiter)",
    ]
    assert all(row[3] not in ("", "0") for row in section.rows if row[0] != "ours / baseline")
    assert len(targets) == 4 and all(t.measured for t in targets)


def test_flush_part_has_a_row_per_case(tmp_path: Path) -> None:
    section, _ = flush.measure(SMOKE, tmp_path)
    assert [row[:2] for row in section.rows] == [[f"{s:,}", f"{c:,}"] for s, c in SMOKE.flush_cases]


def test_over_the_wire_a_bot_that_fails_to_start_is_reported_not_waited_for(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="unknown side"):
        wire.wire_run("no-such-side", 3, 0.0, warm_s=0.5, window_s=1.0, workdir=tmp_path)


def test_crash_round_counts_acknowledged_answers(tmp_path: Path) -> None:
    kill = crash.kill_round("ours", tmp_path, 0, PEOPLE, after_s=0.3)
    assert kill.signal == 9
    assert kill.acked_by_callback > 0 and kill.acked_by_message > 0
    assert 0 <= kill.lost_by_callback <= kill.acked_by_callback
    assert 0 <= kill.lost_by_message <= kill.acked_by_message


async def test_workshop_burst_stores_every_vote(tmp_path: Path) -> None:
    result = await workshop.core_burst(PEOPLE, tmp_path, interval=0.01)
    assert result.turns == PEOPLE
    assert result.extra["stored"] == PEOPLE
    assert result.extra["last_edit_count"] == PEOPLE
    assert 1 <= result.extra["edits"] <= PEOPLE


async def test_workshop_burst_through_telegram_stores_every_vote(tmp_path: Path) -> None:
    result = await workshop.ptb_burst(PEOPLE, tmp_path, interval=0.01)
    assert result.turns == len(result.latencies_s) == PEOPLE
    assert result.extra["stored"] == PEOPLE
    assert result.extra["edits"] >= 1


def test_memory_child_reports_rss(tmp_path: Path) -> None:
    path = tmp_path / "filled.db"
    memory.fill(path, 100)
    assert core.count_rows(path) == (100, _answers(100))
    assert memory.child_rss_kb(path) > 1024


def test_startup_shows_the_first_question_without_platform_libraries(tmp_path: Path) -> None:
    assert startup.time_to_first_question(tmp_path / "a.db") > 0
    assert startup.platform_modules(tmp_path / "b.db") == []


def test_report_has_every_part_and_the_targets(tmp_path: Path) -> None:
    sections, targets = run(SMOKE, ["a", "c"], tmp_path, lambda _line: None)
    text = render({"CPU": "x"}, "python -m bench --smoke", sections, targets)
    assert [s.title[:2] for s in sections] == ["a.", "c."]
    assert all("not measured" not in cell for s in sections for row in s.rows for cell in row)
    assert "## Targets" in text and "core CPU per turn" in text
    assert all(s.wall_s is not None and s.wall_s > 0 for s in sections)
    assert "Wall time: " in text and "(a " in text and ", c " in text
    assert set(PARTS) == {"a", "b", "c", "d", "e", "f", "g", "h", "l", "m", "p", "w"}


def test_chart_part_draws_the_real_profile_and_a_group_chart(tmp_path: Path) -> None:
    person = chart.person_chart()
    assert len(person.rows) == core.the_dialog().total
    assert sum(row.skipped for row in person.rows) == 1
    assert {row.lean for row in person.rows if not row.skipped} == set(Lean)
    assert all(row.shares is not None for row in chart.group_chart().rows)
    assert chart.group_chart(1) != chart.group_chart(2)
    renewed = chart.with_new_answers(person, 7)
    assert [row.lean for row in renewed.rows] == [row.lean for row in person.rows]
    assert all(a.answer != b.answer for a, b in zip(renewed.rows, person.rows, strict=True) if a.answer)
    times, cpu, size = chart.warm(lambda n: chart.with_new_answers(person, n), 2)
    assert len(times) == 2 and cpu > 0 and size > 1000
    first, second = chart.cold()
    assert first > 0 and second > 0
    section, targets = chart.measure(SMOKE, tmp_path)
    assert len(section.rows) == 5
    assert [t.what for t in targets] == ["profile chart render (warm, every answer new)"]


def test_language_part_compares_spanish_with_english(tmp_path: Path) -> None:
    english = core.the_dialog()
    assert languages.engine_cpu_per_step(english.in_language("es"), 3) > 0
    section, targets = languages.measure(SMOKE, tmp_path)
    assert [row[0][:6] for row in section.rows] == ["engine", "core o", "start-"]
    assert [t.what for t in targets] == [
        "core µs per turn, Spanish beside English",
        "load with both languages",
    ]
    assert all(t.met is not None for t in targets)


def test_percentile_by_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([], 99) == 0.0


async def test_outbox_part_loses_and_repeats_nothing_and_stops_with_the_backlog_owed(tmp_path: Path) -> None:
    outage = await outbox.outage_run(SMOKE.outbox_people, SMOKE.outbox_outage_s, tmp_path)
    assert outage["failed_attempts"] > 0  # the outage did hit sends
    assert outage["lost"] == outage["duplicated"] == outage["waiting"] == 0
    # Courtesy edits go out only when there is room, which in an outage depends on timing;
    # the unhurried run below shows them sent.
    assert 0 <= outage["marked"] <= outage["answered"]
    latencies, waiting, per_answer = await outbox.press_latency(SMOKE.outbox_people, 1, tmp_path)
    assert len(latencies) == SMOKE.outbox_people and waiting == 0
    assert 1 <= per_answer <= 2  # the explanation with the next question, and the edit if room
    _, alone, start_cost = await outbox.messages_of_one(tmp_path)
    assert start_cost == 2  # the introduction, the first question
    # The explanation with the next question, then (nobody else waiting) the edit marking
    # the answered one; a profile (words and picture) after the last answer.
    assert 2 <= alone < 3
    assert 2 <= await outbox.unhurried(2, tmp_path) < 3
    _, owed = await outbox.stop_time(SMOKE.outbox_people, tmp_path)
    assert owed == 2 * SMOKE.outbox_people
