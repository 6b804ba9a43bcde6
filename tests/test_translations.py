"""Languages from files: the Spanish content, the checks on a translation, a third language.

A translation is a folder beside the dialogs (``dialogs.translations``); these tests copy
the built-in content to a temporary folder and change only files there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialogs.content import Dialog
from dialogs.engine import new_state, step
from dialogs.events import Choose, FreeText, Start
from dialogs.i18n import ENGLISH, entries, messages, speaking
from dialogs.loader import BUILTIN_CONTENT, DEFAULT_DIALOG_ID, DialogError, load_dialogs
from dialogs.replies import Confirmation, Explanation, Question
from dialogs.workshop import count_text
from tests.languages import add_language

SPANISH = BUILTIN_CONTENT / "es" / "job_vs_career.yaml"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(BUILTIN_CONTENT, folder)
    return folder


def error_of(folder: Path) -> str:
    with pytest.raises(DialogError) as caught:
        load_dialogs(folder)
    return str(caught.value)


def line_col(path: Path, text: str, column_of: str | None = None) -> str:
    """``LINE:COL`` (1-based) of the first line holding ``text``, at ``column_of`` in it."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return f"{number}:{line.index(column_of or text) + 1}"
    raise AssertionError(f"{text!r} is not in {path}")


def test_spanish_is_complete_and_shares_the_structure(dialog: Dialog) -> None:
    spanish = dialog.in_language("es")
    assert spanish.language == "es" and spanish is not dialog
    assert spanish.fingerprint == dialog.fingerprint and spanish.structure == dialog.structure
    assert [c.leans for d in spanish.distinctions for c in d.choices] == [
        c.leans for d in dialog.distinctions for c in d.choices
    ]
    assert spanish.messages.missing == (), "run `careerbot translate es` and translate the new entries"
    assert spanish.title == "¿Empleo o carrera?"
    # Every text differs from the English: nothing was left untranslated by accident.
    for english, translated in zip(dialog.distinctions, spanish.distinctions, strict=True):
        assert translated.question != english.question
        assert translated.explain.job != english.explain.job
        assert translated.explain.career != english.explain.career
        assert all(a.label != b.label for a, b in zip(english.choices, translated.choices, strict=True))
    # A sentence left in English by mistake: the same text, with words beyond its
    # placeholders and commands ("/quit", "{title}: {answer} ({when})" are the same anyway).
    same = [
        name
        for name, text in ENGLISH.values.items()
        if isinstance(text, str)
        and spanish.messages.values[name] == text
        and re.search(r"[^\W\d_]{3}", re.sub(r"\{\w*\}|/\w+|Telegram|Discord|UTC|%\w", "", text))
    ]
    assert same == []


def test_the_engine_speaks_the_dialogs_language(dialog: Dialog) -> None:
    spanish = dialog.in_language("es")
    first = step(spanish, new_state(spanish), Start())
    question = next(r for r in first.replies if isinstance(r, Question))
    assert question.text == spanish.distinctions[0].question
    chosen = step(spanish, first.state, Choose(question.distinction, "path", question.turn))
    explanation = next(r for r in chosen.replies if isinstance(r, Explanation))
    assert explanation.career.startswith("Una carrera es tu propio recorrido")
    # Typed Spanish: "no sé" asks to skip, in Spanish; a Spanish synonym is read.
    unsure = step(spanish, chosen.state, FreeText("no sé"))
    offer = next(r for r in unsure.replies if isinstance(r, Confirmation))
    assert offer.text.startswith("Parece que no lo tienes claro")
    typed = step(spanish, chosen.state, FreeText("sobre todo el sueldo"))
    assert any(isinstance(r, Explanation) for r in typed.replies)
    assert typed.state.answers[-1].choice == "pay"
    # The same state read in English: the answers are ids, the words follow the dialog.
    again = step(dialog, typed.state, FreeText("qqqq zzzz"))
    shown = next(r for r in again.replies if isinstance(r, Question))
    assert shown.distinction == "means" and shown.text.startswith("Suppose you no longer needed")
    assert shown.hint is not None and shown.hint.startswith("I did not quite catch")
    # Outside a step, the English is spoken.
    assert ENGLISH.values["RESTARTED"] == messages.RESTARTED
    with speaking(spanish.messages):
        assert messages.RESTARTED.startswith("Empezamos otra vez")


def test_a_translation_missing_an_id_is_refused_with_its_place(content: Path) -> None:
    path = content / "es" / "job_vs_career.yaml"
    source = path.read_text(encoding="utf-8")
    start = source.index("      trade:\n")
    end = source.index("      path:\n")
    path.write_text(source[:start] + source[end:], encoding="utf-8")
    where = line_col(path, "      role:", "role")
    assert error_of(content) == (
        f"{path}:{where}: work.choices has no translation of 'trade', expected every id"
    )


def test_a_translation_with_an_extra_id_is_refused_with_its_place(content: Path) -> None:
    path = content / "es" / "job_vs_career.yaml"
    source = path.read_text(encoding="utf-8").replace("  hours:\n", "  horas:\n")
    path.write_text(source, encoding="utf-8")
    where = line_col(path, "  horas:", "horas")
    message = error_of(content)
    assert message.startswith(f"{path}:{where}: 'horas' in distinctions is not an id of the dialog")


def test_a_translation_with_a_lean_is_refused(content: Path) -> None:
    path = content / "es" / "job_vs_career.yaml"
    source = path.read_text(encoding="utf-8").replace(
        "        label: Sobre todo el sueldo\n",
        "        label: Sobre todo el sueldo\n        leans: career\n",
    )
    path.write_text(source, encoding="utf-8")
    where = line_col(path, "        leans: career", "leans")
    assert error_of(content).startswith(f"{path}:{where}: unknown key 'leans' in choice value.pay")


def test_a_changed_placeholder_is_refused_in_a_dialog_and_in_a_catalog(content: Path) -> None:
    path = content / "es" / "job_vs_career.yaml"
    source = path.read_text(encoding="utf-8")
    path.write_text(
        source.replace("title: Los contactos", "title: Los contactos de {name}"), encoding="utf-8"
    )
    where = line_col(path, "title: Los contactos", "Los contactos")
    assert error_of(content) == (
        f"{path}:{where}: network.title changes the placeholders, expected the English ones: none"
    )
    path.write_text(source, encoding="utf-8")
    po = content / "es" / "messages.po"
    catalog = po.read_text(encoding="utf-8")
    po.write_text(
        catalog.replace('msgstr "Pregunta {position} de {total}"', 'msgstr "Pregunta {posicion} de {total}"')
    )
    where = line_col(po, 'msgctxt "QUESTION_PROGRESS"')
    assert error_of(content) == (
        f"{po}:{int(where.split(':')[0]) + 1}:1: the translation of QUESTION_PROGRESS has the placeholders "
        "posicion, total, expected the English ones: position, total"
    )


def test_a_label_over_80_characters_and_empty_text_are_refused(content: Path) -> None:
    path = content / "es" / "job_vs_career.yaml"
    source = path.read_text(encoding="utf-8")
    long_label = "Casi nada, las mismas tareas cada día " * 3
    path.write_text(source.replace("label: Casi nada, las mismas tareas cada día", f"label: {long_label}"))
    where = line_col(path, "label: Casi nada", "Casi nada")
    assert error_of(content).startswith(f"{path}:{where}: innovation.rote.label is ")
    why = next(line for line in source.splitlines() if line.startswith("    why: Saber qué cuenta"))
    path.write_text(source.replace(why, '    why: ""'))
    where = line_col(path, '    why: ""', '""')
    assert error_of(content) == f"{path}:{where}: qualify.why is empty, expected some text"


def test_a_third_language_is_only_files(content: Path, tmp_path: Path) -> None:
    """Esperanto, written into a copy of the content: no code names it, and it is spoken."""
    add_language(
        content,
        "eo",
        "Kiam vi priskribas vian laboron al amiko, kio plej similas al vi?",
        "Demando {position} el {total}",
    )
    dialog = load_dialogs(content)[DEFAULT_DIALOG_ID]
    assert sorted(dialog.translations) == ["en", "eo", "es"]
    esperanto = dialog.in_language("eo")
    first = step(esperanto, new_state(esperanto), Start())
    question = next(r for r in first.replies if isinstance(r, Question))
    assert question.text.startswith("Kiam vi priskribas")
    with speaking(esperanto.messages):
        assert messages.QUESTION_PROGRESS.format(position=1, total=8) == "Demando 1 el 8"
    # It can also be the default language.
    assert load_dialogs(content, "eo")[DEFAULT_DIALOG_ID].language == "eo"


def test_check_names_every_sentence_a_catalog_lacks(content: Path) -> None:
    po = content / "es" / "messages.po"
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "Pregunta {position} de {total}"', 'msgstr ""'),
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", str(content)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert (
        f"{po}:1:1: no translation of QUESTION_PROGRESS ('Question {{position}} of {{total}}')" in run.stderr
    )
    # careerbot translate brings a catalog up to date, keeping what is translated.
    made = subprocess.run(
        [sys.executable, "-m", "bot.cli", "translate", "es", str(content)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        made.returncode == 0 and f"{len(entries()) - 1} sentences translated, 1 to translate" in made.stdout
    )


def test_a_language_folder_without_a_catalog_is_refused(content: Path) -> None:
    (content / "es" / "messages.po").unlink()
    po = content / "es" / "messages.po"
    assert error_of(content) == f"{po}:1:1: missing, expected the bot's sentences in es (a gettext catalog)"


POLISH_PLURALS = (
    "nplurals=3; plural=(n == 1 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 1 : 2);"
)
POLISH_VOTE_COUNT = (
    'msgstr[0] "Odpowiedziała 1 osoba."\n'
    'msgstr[1] "Odpowiedziały {voters} osoby."\n'
    'msgstr[2] "Odpowiedziało {voters} osób."\n'
)


def add_polish(content: Path) -> Path:
    """A language with three plural forms, as a translator would write it: its own
    Plural-Forms header and three forms of the vote count."""
    folder = add_language(content, "pl", "Kiedy opisujesz swoją pracę?", "Pytanie {position} z {total}")
    po = folder / "messages.po"
    header = f'"Plural-Forms: {POLISH_PLURALS}\\\\n"'
    catalog = re.sub(r'"Plural-Forms: [^"]*\\n"', header, po.read_text("utf-8"))
    spanish_count = re.search(r'msgctxt "VOTE_COUNT"\n(?:msgid.*\n)+((?:msgstr\[\d\] .*\n)+)', catalog)
    assert spanish_count is not None
    po.write_text(catalog.replace(spanish_count.group(1), POLISH_VOTE_COUNT), encoding="utf-8")
    return po


def test_a_count_takes_the_plural_form_of_the_catalogs_rule(content: Path) -> None:
    """Polish has three forms (1 osoba, 2 osoby, 5 osób): the .po's Plural-Forms picks one."""
    add_polish(content)
    polish = load_dialogs(content)[DEFAULT_DIALOG_ID].in_language("pl")
    with speaking(polish.messages):
        said = [count_text(n) for n in (1, 2, 5, 22, 25)]
    assert said == [
        "Odpowiedziała 1 osoba.",
        "Odpowiedziały 2 osoby.",
        "Odpowiedziało 5 osób.",
        "Odpowiedziały 22 osoby.",
        "Odpowiedziało 25 osób.",
    ]
    # English and Spanish keep their two sentences (Spanish's rule has a third form, for millions).
    assert [count_text(n) for n in (1, 2, 5)] == [
        "1 person has answered.",
        "2 people have answered.",
        "5 people have answered.",
    ]
    spanish = load_dialogs(content)[DEFAULT_DIALOG_ID].in_language("es")
    with speaking(spanish.messages):
        assert [count_text(n) for n in (1, 2)] == ["Ha respondido 1 persona.", "Han respondido 2 personas."]


def test_check_and_translate_keep_every_plural_form(content: Path) -> None:
    po = add_polish(content)
    made = subprocess.run(
        [sys.executable, "-m", "bot.cli", "translate", "pl", str(content)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0 and f"{len(entries())} sentences translated, 0 to translate" in made.stdout
    assert POLISH_VOTE_COUNT in po.read_text(encoding="utf-8")
    # A form left empty is a missing sentence, named by check; the others still fall back whole.
    po.write_text(po.read_text(encoding="utf-8").replace('"Odpowiedziało {voters} osób."', '""'))
    run = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", str(content)], capture_output=True, text=True, check=False
    )
    assert run.returncode == 1
    assert f"{po}:1:1: no translation of VOTE_COUNT ('1 person has answered.')" in run.stderr


def test_a_plural_form_with_a_field_the_english_lacks_is_refused(content: Path) -> None:
    po = add_polish(content)
    catalog = po.read_text(encoding="utf-8")
    po.write_text(catalog.replace("{voters} osoby.", "{osoby} osoby."), encoding="utf-8")
    where = line_col(po, 'msgctxt "VOTE_COUNT"')
    assert error_of(content) == (
        f"{po}:{int(where.split(':')[0]) + 1}:1: the translation of VOTE_COUNT has the placeholders "
        "osoby, expected the English ones: voters"
    )
