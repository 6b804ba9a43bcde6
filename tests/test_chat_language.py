"""The terminal's language: ``--lang``, the locale, /language; and a language from files only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from dialogs.loader import BUILTIN_CONTENT
from tests.languages import add_language

ROOT = Path(__file__).resolve().parents[1]
WAIT = 30.0


def chat(tmp_path: Path, lines: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    database = str(tmp_path / "chat.db")
    command = [sys.executable, "-m", "bot.cli", "chat", "--db", database, "--user", "lu", *args]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(command, input=lines, capture_output=True, text=True, env=environment, timeout=WAIT)


def test_the_locale_picks_spanish_and_an_unknown_one_the_default(tmp_path: Path) -> None:
    spanish = chat(tmp_path, "1\n/help\n/quit\n", LC_ALL="", LC_MESSAGES="", LANG="es_MX.UTF-8")
    assert spanish.returncode == 0
    assert "Pregunta 2 de 8" in spanish.stdout and "Lo que te da el trabajo" in spanish.stdout
    assert "/language: elegir el idioma en que hablo" in spanish.stdout
    assert "¡Hasta luego! Tus respuestas están guardadas" in spanish.stdout
    (tmp_path / "fr").mkdir()
    french = chat(tmp_path / "fr", "/quit\n", LC_ALL="fr_FR.UTF-8")
    assert "Question 1 of 8" in french.stdout


def test_lang_and_language_switch_mid_way_keeping_the_answers(tmp_path: Path) -> None:
    first = chat(tmp_path, "1\n2\n/language en\n/summary\n/quit\n", "--lang", "es")
    assert first.returncode == 0
    assert "Pregunta 3 de 8" in first.stdout
    after = first.stdout.split("From now on I speak English with you.", 1)[1]
    assert "Question 3 of 8" in after and "Means or end" in after
    assert "Your answers so far (2 of 8)" in after
    # The choice is kept: the next run speaks English although the locale is Spanish.
    again = chat(tmp_path, "/quit\n", LANG="es_ES.UTF-8")
    assert "here is question 3" in again.stdout
    wrong = chat(tmp_path, "", "--lang", "xx")
    assert wrong.returncode == 2
    expected = "--lang 'xx' is not a language the dialogs have, expected one of: en, es"
    assert wrong.stderr == f"careerbot: {expected}\n"


def test_a_third_language_from_files_alone_is_spoken(tmp_path: Path) -> None:
    """Catalan, written into a copy of the content folder: no code change, and the bot speaks it."""
    content = tmp_path / "content"
    shutil.copytree(BUILTIN_CONTENT, content)
    add_language(
        content,
        "ca",
        "Quan descrius la teva feina a algú proper, què s'assembla més a tu?",
        "Pregunta {position} de {total} (ca)",
    )
    run = chat(tmp_path, "/quit\n", "--lang", "ca", CAREERBOT_DIALOGS=str(content))
    assert run.returncode == 0, run.stderr
    assert "Pregunta 1 de 8 (ca)" in run.stdout
    assert "Quan descrius la teva feina a algú proper" in run.stdout
    checked = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", str(content)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=WAIT,
        check=False,
    )
    assert checked.returncode == 0 and "ok: language ca" in checked.stdout


def test_the_default_language_is_a_setting(tmp_path: Path) -> None:
    def careerbot(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "CAREERBOT_DB": str(tmp_path / "c.db"), **env}
        command = [sys.executable, "-m", "bot.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=WAIT)

    stats = careerbot("stats", CAREERBOT_LANGUAGE="es")
    assert stats.returncode == 0 and "Menos de 5 personas, así que no se muestra nada más." in stats.stdout
    chat = careerbot("chat", "--user", "lu", CAREERBOT_LANGUAGE="es")
    assert "Pregunta 1 de 8" in chat.stdout
    wrong = careerbot("stats", CAREERBOT_LANGUAGE="xx")
    assert wrong.returncode == 2
    assert wrong.stderr == (
        "careerbot: CAREERBOT_LANGUAGE='xx' is not a language the dialogs have, expected one of: en, es\n"
    )
