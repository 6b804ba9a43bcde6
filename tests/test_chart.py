"""The profile chart, checked on the decoded image: size, rows, skipped rows, text that fits."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from bot import chart
from bot.chart import COLOURS, Chart, ChartRow, draw_chart, render_png
from dialogs.content import Lean
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, load_dialogs
from dialogs.replies import ProfileLine

DIALOG = load_dialogs(BUILTIN_CONTENT)[DEFAULT_DIALOG_ID]
ROW_HEIGHT = chart.ROW_TOP + chart.LABEL_LINE + chart.TRACK_BAND + chart.ANSWER_LINE + chart.ROW_GAP


def profile_chart(leans: dict[int, Lean | None] | None = None) -> Chart:
    """The built-in dialog's chart: every row answered "job" unless ``leans`` says otherwise."""
    rows = []
    for n, distinction in enumerate(DIALOG.distinctions):
        lean = (leans or {}).get(n, Lean.JOB)
        choice = next((c for c in distinction.choices if c.leans is lean), None)
        rows.append(ChartRow(distinction.title, lean, choice.label if choice else None))
    return Chart(DIALOG.title, tuple(rows))


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return image.convert("RGB")


def track_y(row: int, title_lines: int = 1) -> int:
    """The middle of row ``row``'s track, for one-line labels."""
    top = chart.TOP + title_lines * chart.TITLE_LINE + chart.TITLE_GAP + chart.SCALE_BAND
    return top + row * ROW_HEIGHT + chart.ROW_TOP + chart.LABEL_LINE + chart.TRACK_BAND // 2


def row_crop(image: Image.Image, row: int) -> bytes:
    """Row ``row``'s whole band (label, track and answer) as raw pixels."""
    top = track_y(row) - chart.TRACK_BAND // 2 - chart.LABEL_LINE - chart.ROW_TOP
    return image.crop((0, top, image.width, top + ROW_HEIGHT)).tobytes()


def near(pixel: tuple[int, int, int], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    raw = image.tobytes()
    return [(raw[i], raw[i + 1], raw[i + 2]) for i in range(0, len(raw), 3)]


def at(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
    return pixels(image.crop((x, y, x + 1, y + 1)))[0]


def count(image: Image.Image, box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> int:
    return sum(1 for pixel in pixels(image.crop(box)) if near(pixel, colour))


def test_output_is_a_png_1080_wide_as_tall_as_its_rows() -> None:
    png = render_png(profile_chart())
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = decode(png)
    assert image.size == (1080, chart.height_of(1, [1] * DIALOG.total))
    # 8 one-line rows: a phone shows it full width and scrolls a little, never a poster
    assert image.size == (1080, 1758)


def test_our_png_holds_exactly_the_pixels_pillows_own_png_does() -> None:
    drawn = draw_chart(profile_chart({2: Lean.CAREER, 4: None, 5: Lean.MIXED}))
    pillows = io.BytesIO()
    drawn.save(pillows, format="PNG")
    png = render_png(profile_chart({2: Lean.CAREER, 4: None, 5: Lean.MIXED}))
    assert png != pillows.getvalue()  # a different encoding (no row filters)...
    assert decode(png).tobytes() == decode(pillows.getvalue()).tobytes() == drawn.tobytes()  # ...same picture
    Image.open(io.BytesIO(png)).verify()  # every chunk's checksum holds


def drawn_row_by_row(c: Chart) -> Image.Image:
    """The chart drawn in one pass, top to bottom, each row whole before the next: what
    ``draw_chart`` must give although it draws the shared text once and the rest after."""
    from PIL import ImageDraw

    title_font, label_font = chart._font(chart.TITLE_SIZE), chart._font(chart.LABEL_SIZE)
    title = chart.fit(c.title, title_font, chart.TEXT_WIDTH, chart.TITLE_MAX_LINES)
    labels = [chart.fit(row.label, label_font, chart.TEXT_WIDTH, chart.LABEL_MAX_LINES) for row in c.rows]
    height = chart.height_of(len(title), [len(lines) for lines in labels])
    image = Image.new("RGB", (chart.WIDTH, height), chart.BACKGROUND)
    draw = ImageDraw.Draw(image)
    y = chart.TOP
    for line in title:
        draw.text(
            (chart.MARGIN, y), line, font=title_font, fill=chart.INK, stroke_width=1, stroke_fill=chart.INK
        )
        y += chart.TITLE_LINE
    y += chart.TITLE_GAP
    chart._scale(draw, c.scale, y)
    y += chart.SCALE_BAND
    for row, lines in zip(c.rows, labels, strict=True):
        draw.line((chart.MARGIN, y, chart.WIDTH - chart.MARGIN, y), fill=chart.DIVIDER, width=2)
        y += chart.ROW_TOP
        for line in lines:
            draw.text((chart.MARGIN, y), line, font=label_font, fill=chart.INK)
            y += chart.LABEL_LINE
        chart._track(image, draw, row, c.skipped, y + chart.TRACK_BAND // 2)
        y += chart.TRACK_BAND
        if row.answer:
            chart._answer(draw, row, y)
        y += chart.ANSWER_LINE + chart.ROW_GAP
    return image


LONG = "An answer long enough to need the whole width of the picture and then some more " * 3
SAMPLES = {
    "all job": profile_chart(),
    "mixed, skipped, career": profile_chart({0: Lean.CAREER, 1: None, 2: Lean.MIXED, 7: None}),
    "everything skipped": profile_chart(dict.fromkeys(range(8))),
    "wrapped labels, long answers": Chart(
        "A title that is long enough to wrap onto a second line of the chart, or more " * 2,
        (
            ChartRow(LONG, Lean.CAREER, LONG),
            ChartRow("Short", Lean.JOB, LONG),
            ChartRow(LONG, None, None),
            ChartRow("W" * 90, Lean.MIXED, "Wgjpqy" * 30),
        ),
    ),
    "group bars": Chart(
        "Workshop",
        (
            ChartRow("Means or end", None, "10 answered", (1, 3, 6)),
            ChartRow("Next", Lean.JOB, "x", (5, 0, 1)),
        ),
    ),
    "spanish": Chart(
        "¿Trabajo o carrera?", (ChartRow("Años", Lean.CAREER, "Sí"),), ("T", "E", "C"), "omitido"
    ),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_drawing_the_shared_text_once_gives_the_same_pixels_as_one_pass(name: str) -> None:
    sample = SAMPLES[name]
    assert draw_chart(sample).tobytes() == drawn_row_by_row(sample).tobytes()
    again = draw_chart(sample)  # from the kept background, untouched by the first
    assert again.tobytes() == drawn_row_by_row(sample).tobytes()


@pytest.mark.parametrize("name", SAMPLES)
def test_the_png_joined_from_kept_bands_holds_the_pixels_of_one_pass(name: str) -> None:
    sample = SAMPLES[name]
    for _ in range(2):  # drawn and compressed, then joined from the kept bands
        png = render_png(sample)
        Image.open(io.BytesIO(png)).verify()  # every chunk's checksum holds
        assert decode(png).tobytes() == drawn_row_by_row(sample).tobytes()


def test_a_chart_of_answers_given_before_draws_nothing_new() -> None:
    render_png(profile_chart({1: Lean.MIXED}))
    render_png(profile_chart({6: None}))
    drawn = chart._row_band.cache_info().misses
    both = render_png(profile_chart({1: Lean.MIXED, 6: None}))  # every row's answer seen before
    assert chart._row_band.cache_info().misses == drawn
    assert decode(both).tobytes() == drawn_row_by_row(profile_chart({1: Lean.MIXED, 6: None})).tobytes()


def test_the_kept_row_strips_are_bounded_whatever_the_answers() -> None:
    for n in range(chart.ROW_BANDS_KEPT + 20):  # more different answers than are kept
        render_png(Chart("T", (ChartRow("Row", Lean.JOB, f"answer {n}"),)))
    assert chart._row_band.cache_info().currsize == chart.ROW_BANDS_KEPT
    again = Chart("T", (ChartRow("Row", Lean.JOB, "answer 0"),))  # dropped long ago: drawn again
    assert decode(render_png(again)).tobytes() == drawn_row_by_row(again).tobytes()


@pytest.mark.parametrize("lengths", [(0, 0), (1, 0), (0, 7), (3, 65521), (70000, 131042), (5, 200003)])
def test_adler32_of_two_pieces_combines_as_zlibs_of_both(lengths: tuple[int, int]) -> None:
    import random
    import zlib

    generator = random.Random(sum(lengths))
    first, second = (bytes(generator.getrandbits(8) for _ in range(n)) for n in lengths)
    combined = chart.adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
    assert combined == zlib.adler32(first + second)


def test_a_second_person_on_the_same_dialog_reuses_the_drawn_text() -> None:
    draw_chart(profile_chart())
    before = chart._base.cache_info().hits
    draw_chart(profile_chart({3: Lean.CAREER}))
    assert chart._base.cache_info().hits == before + 1


def test_a_row_shows_its_answer_at_the_job_or_the_career_end() -> None:
    job = decode(render_png(profile_chart()))
    career = decode(render_png(profile_chart({2: Lean.CAREER})))
    assert row_crop(job, 2) != row_crop(career, 2)
    y = track_y(2)
    assert near(at(job, chart.x_of(Lean.JOB), y), COLOURS[Lean.JOB])
    assert not near(at(job, chart.x_of(Lean.CAREER), y), COLOURS[Lean.CAREER])
    assert near(at(career, chart.x_of(Lean.CAREER), y), COLOURS[Lean.CAREER])
    assert not near(at(career, chart.x_of(Lean.JOB), y), COLOURS[Lean.JOB])
    # the other rows are untouched
    assert all(row_crop(job, n) == row_crop(career, n) for n in range(DIALOG.total) if n != 2)


def test_in_between_sits_in_the_middle() -> None:
    image = decode(render_png(profile_chart({5: Lean.MIXED})))
    assert near(at(image, chart.x_of(Lean.MIXED), track_y(5)), COLOURS[Lean.MIXED])
    assert chart.x_of(Lean.MIXED) == chart.WIDTH // 2


def test_a_skipped_row_has_no_dot_and_differs_from_an_answered_one() -> None:
    answered = decode(render_png(profile_chart()))
    skipped = decode(render_png(profile_chart({4: None})))
    assert row_crop(answered, 4) != row_crop(skipped, 4)
    y = track_y(4)
    band = (0, y - chart.TRACK_BAND // 2, chart.WIDTH, y + chart.TRACK_BAND // 2)
    assert all(count(skipped, band, colour) == 0 for colour in COLOURS.values())
    assert count(answered, band, COLOURS[Lean.JOB]) > 500  # a dot of 44 px is about 1,500


def test_a_skipped_row_carries_the_word_skipped_from_messages() -> None:
    plain = Chart("T", (ChartRow("Row", None, None),))
    other_word = Chart("T", (ChartRow("Row", None, None),), skipped="omitido")
    assert plain.skipped == "skipped"
    assert render_png(plain) != render_png(other_word)


def test_long_title_and_labels_are_wrapped_and_stay_inside_the_picture() -> None:
    long = " ".join(["Something rather long about the work and what it gives"] * 6)
    word = "W" * 200  # one word wider than a line
    rows = (ChartRow(long, Lean.CAREER, long), ChartRow(word, Lean.JOB, word), ChartRow(long, None, None))
    image = decode(render_png(Chart(long, rows)))
    assert image.size == (1080, chart.height_of(chart.TITLE_MAX_LINES, [chart.LABEL_MAX_LINES] * 3))
    edge = chart.MARGIN - 4
    for box in ((0, 0, edge, image.height), (image.width - edge, 0, image.width, image.height)):
        assert set(pixels(image.crop(box))) == {chart.BACKGROUND}


def test_fit_wraps_cuts_and_shortens_to_the_width() -> None:
    font = chart._font(chart.LABEL_SIZE)
    lines = chart.fit("word " * 80 + "W" * 300, font, 500, 3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= 500 for line in lines)
    assert chart.fit("Short", font, 500, 2) == ["Short"]
    assert chart.fit("W" * 60, font, 500, 4)[0].startswith("WWW")
    assert chart.shorten("A very long answer indeed " * 10, font, 300).endswith("…")


def test_spanish_text_renders_with_real_glyphs() -> None:
    spanish = Chart(
        "¿Trabajo o carrera?",
        (ChartRow("Años de oficio, ¿mañana?", Lean.CAREER, "Sí, es lo que quiero"),),
        ("Trabajo", "Entre medias", "Carrera"),
        "omitido",
    )
    image = decode(render_png(spanish))
    assert image.width == 1080
    # With a font that lacks them, "ñ", "¿" and "í" would all be the same empty box.
    missing = "\u0378"  # not a character: every font draws its "no glyph" box
    for text in ("ñ", "¿", "í", "Ñ", "é"):
        with_glyph = render_png(Chart("T", (ChartRow(f"A{text}o", Lean.JOB, None),)))
        without = render_png(Chart("T", (ChartRow(f"A{missing}o", Lean.JOB, None),)))
        assert with_glyph != without, text


def test_a_group_row_draws_each_leans_share_as_a_bar() -> None:
    group = Chart("Workshop", (ChartRow("Means or end", None, "10 answered", (1, 3, 6)),))
    image = decode(render_png(group))
    y = track_y(0)
    bar = (chart.MARGIN, y - 4, chart.WIDTH - chart.MARGIN, y + 4)
    job, mixed, career = (count(image, bar, COLOURS[lean]) for lean in chart.LEANS)
    assert job < mixed < career  # numbers drawn inside take some pixels; the order holds
    assert career > 0.45 * (chart.TEXT_WIDTH * 9)
    assert chart.percents((1, 3, 6)) == [10, 30, 60]
    assert sum(chart.percents((1, 1, 1))) == 100
    assert sum(chart.percents((0.2, 0.3, 0.5))) == 100


@pytest.mark.parametrize("shares", [(0.0, 0.0, 0.0), (-1.0, 1.0, 1.0), (1.0, 2.0)])
def test_bad_shares_are_refused(shares: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="shares"):
        ChartRow("x", None, None, shares)


def test_an_answer_without_a_lean_is_refused() -> None:
    with pytest.raises(ValueError, match="no lean"):
        ChartRow("x", None, "an answer")


def test_chart_of_a_profile_keeps_skipped_lines_as_skipped() -> None:
    lines = (ProfileLine("Means or end", "Some of it", Lean.MIXED), ProfileLine("How long", None, None))
    made = chart.chart_of("Job or career?", lines)
    assert made.rows == (ChartRow("Means or end", Lean.MIXED, "Some of it"), ChartRow("How long", None, None))
    assert made.rows[1].skipped and not made.rows[0].skipped


_NO_PIL_AT_START = """
import sys
import bot.chart, bot.console
assert "PIL" not in sys.modules, "importing bot.chart or bot.console loaded PIL"
from bot.cli import main
code = main(sys.argv[1:])
print("PIL_LOADED", "PIL" in sys.modules, flush=True)
sys.exit(code)
"""


def test_starting_the_chat_does_not_import_pillow(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _NO_PIL_AT_START, "chat", "--db", str(tmp_path / "c.db"), "--user", "t"],
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "PIL_LOADED False" in done.stdout
